"""The runner's side of the suite binary's interface, against a stub binary:
no root, no kernel features needed."""
import os
import subprocess
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STUB = textwrap.dedent("""\
    #!/bin/sh
    if [ "$1" = --list-cases ]; then
      echo '{"id": "stub.one", "rule": "R1", "gtest": "R1.stub.one", "params": {}}'
      exit 0
    fi
    head -c 300000 /dev/zero | tr '\\\\0' x >&2
    echo 'SOCKREUSE-RESULT {"id": "stub.one", "status": "ok", "observed": "ok", "detail": "", "duration_ms": 1, "setup_ms": 0}'
    """)


def test_a_suite_that_writes_much_to_stderr_does_not_stall_the_batch(tmp_path):
    stub = tmp_path / "suite"
    stub.write_text(STUB)
    stub.chmod(0o755)
    table = tmp_path / "t.yaml"
    table.write_text('kernel: "stub"\ncases:\n  stub.one: {expected: "ok", rule: "R1"}\n')
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", os.path.join(ROOT, "runner"),
                        "-p", "no:cacheprovider", "-q", "--suite-bin", str(stub),
                        "--expect", str(table), "--results-dir", str(tmp_path / "out")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "1 pass" in r.stdout


def test_cases_that_wait_on_a_kernel_timer_get_processes_of_their_own(monkeypatch):
    from sockreuse.run import suite
    names = [f"R.c{i}" for i in range(10)]
    timed = ["R.c2", "R.c7"]
    timer, others = suite.plan_chunks(names, 2, timed)
    assert timer == [["R.c2"], ["R.c7"]]
    assert sorted(sum(others, [])) == sorted(set(names) - set(timed)) and len(others) == 2
    # More timed cases than the limit share its processes; -j 1 and a limit of 0 turn it off.
    monkeypatch.setenv(suite.TIMER_PROCESSES_ENV, "1")
    assert suite.plan_chunks(names, 2, timed)[0] == [["R.c2", "R.c7"]]
    assert suite.plan_chunks(names, 1, timed) == ([], [names])
    monkeypatch.setenv(suite.TIMER_PROCESSES_ENV, "0")
    assert suite.plan_chunks(names, 2, timed)[0] == []
    assert suite.waits_on_timer({"params": {"timing": {"kernel_timer": "tcp_linger2"}}})
    assert not suite.waits_on_timer({"params": {"sockets": [{"timing": {}}]}})
