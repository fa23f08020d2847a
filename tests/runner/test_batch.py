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
