"""A verdict is right for the right reason: each test here makes the harness
or the "kernel" (through the LD_PRELOAD fault shim) misbehave in one way and
checks that no case passes by accident and no harness failure is reported as
kernel behaviour."""
import os
import re
import subprocess

import pytest

from tests.system.harness import CLEAN_RUN, BUILD, SUITE, load_results, run_runner

SHIM = os.path.join(BUILD, "fault_shim.so")


def cases(results):
    return {c["id"]: c for c in results["cases"]}


def with_fault(tmp_path, table, fault, *args, env=None):
    full = {"LD_PRELOAD": SHIM, "SOCKREUSE_FAULT": fault}
    full.update(env or {})
    r = run_runner(tmp_path, "--expect", str(table), *args, env=full)
    return r, cases(load_results(tmp_path))


@CLEAN_RUN
def test_every_conflict_carries_a_passing_control(clean_run):
    r, out = clean_run
    assert r.returncode == 0, r.stdout[-2000:]
    conflicts = [c for c in load_results(out)["cases"] if "EADDRINUSE" in c["observed"]]
    assert len(conflicts) > 150
    assert [c["id"] for c in conflicts if c["control"] != "ok"] == []


def test_an_errno_chance_cannot_explain_decides_the_hash2_cases(recorded_table, tmp_path):
    r, got = with_fault(tmp_path, recorded_table, "bind_any_eacces", "-k", "hash2")
    assert r.returncode == 1
    hash2 = {i: c for i, c in got.items() if ".hash2." in i}
    assert len(hash2) == 6
    assert {c["observed"] for c in hash2.values()} == {"bind:EACCES"}
    assert {c["verdict"] for c in hash2.values()} == {"fail"}


def test_a_kernel_wrong_in_most_trials_is_not_hidden_by_one(recorded_table, tmp_path):
    # Three wildcard conflicts of four become successes, as on a kernel that
    # lost the hash2 fix most of the time: the majority shows it.
    r, got = with_fault(tmp_path, recorded_table, "bind_any_flaky", "-k", "hash2")
    assert r.returncode == 1
    for case_id in ("udp4.hash2.specific_10.then_any4", "udp4.hash2.specific_11.then_any4"):
        assert got[case_id]["verdict"] == "fail" and got[case_id]["observed"] == "ok", got[case_id]


@pytest.mark.heavy
def test_time_outs_are_errors_never_outcomes(recorded_table, tmp_path):
    # The harness never sees what it waits for; waits are 200 ms. Eight suite
    # processes: the cases mostly sleep out their waits.
    r, got = with_fault(tmp_path, recorded_table, "blind", "--jobs", "8",
                        env={"SOCKREUSE_WAIT_SCALE": "0.02"})
    assert r.returncode == 1
    errors = [c for c in got.values() if c["verdict"] == "error"]
    assert len(errors) >= 60
    assert [c["id"] for c in errors if not c["detail"].startswith("waited 200 ms for ")] == []
    assert [c["id"] for c in got.values() if c["verdict"] == "fail"] == []
    for word in ("lost", "none", "mixed", "reset", "migrated", "spread", "last_bound"):
        assert not any(c["observed"] == word for c in errors)


def test_receive_steering_on_by_default_loses_nothing(recorded_table, tmp_path):
    r, got = with_fault(tmp_path, recorded_table, "rps_on", "--repeat", "15", "-k",
                        "deliver or reuseport_addr_any or reuseport_dualstack or "
                        "connected_member or receive_threads")
    assert r.returncode == 0, r.stdout[-3000:]
    assert len(got) >= 35
    assert {c["verdict"] for c in got.values()} == {"pass"}


def test_a_conflict_moved_from_bind_to_listen_fails(recorded_table, tmp_path):
    r, got = with_fault(tmp_path, recorded_table, "conflict_at_listen", "-k", "reuseaddr")
    assert r.returncode == 1
    moved = got["tcp4.reuseaddr.both.listening_then_listen"]
    assert (moved["observed"], moved["expected"]) == ("listen:EADDRINUSE", "bind:EADDRINUSE")
    assert moved["verdict"] == "fail"


def test_a_conflict_the_blocker_did_not_cause_is_an_error(recorded_table, tmp_path):
    # Every SO_REUSEADDR bind fails, whoever holds the port: a case expecting
    # EADDRINUSE would pass without its control.
    r, got = with_fault(tmp_path, recorded_table, "reuseaddr_busy", "-k", "default")
    assert r.returncode == 1
    c = got["udp4.default.reuseaddr_second_only"]
    assert c["expected"] == "bind:EADDRINUSE"
    assert c["verdict"] == "error" and "positive control failed" in c["detail"], c
    assert got["tcp4.default.same_addr"]["verdict"] == "pass"


def test_a_case_without_a_row_is_not_a_pass(recorded_table, tmp_path):
    text = recorded_table.read_text()
    missing = "tcp4.default.same_addr"
    table = tmp_path / "t.yaml"
    table.write_text(re.sub(rf"^\s+{re.escape(missing)}:.*\n", "", text, flags=re.M))
    r = run_runner(tmp_path / "run", "--expect", str(table), "-k", "default")
    assert r.returncode == 3, r.stdout[-2000:]
    assert "no row in the table" in r.stdout and "--allow-new" in r.stdout
    run = tmp_path / "run"
    ktap = (run / "results.ktap").read_text()
    assert re.search(rf"^ok \d+ {re.escape(missing)} # SKIP new", ktap, re.M)
    assert "pass:" in ktap and "skip:1 " in ktap
    junit = (run / "junit.xml").read_text()
    assert re.search(rf'name="{re.escape(missing)}"[^>]*>\s*<skipped', junit)
    assert run_runner(tmp_path / "run2", "--expect", str(table), "-k", "default",
                      "--allow-new").returncode == 0


def test_the_suite_binary_alone_claims_no_pass():
    r = subprocess.run([SUITE, "--gtest_filter=R1.*"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:]
    assert "PASSED" not in r.stdout and "[       OK ]" not in r.stdout
    assert re.search(r"\d+ cases recorded, 0 harness errors", r.stdout)
    assert "[ RECORDED ] R1.tcp4.default.same_addr: bind:EADDRINUSE" in r.stdout


def test_a_token_outside_the_vocabulary_is_an_error(tmp_path):
    stub = tmp_path / "suite"
    stub.write_text("#!/bin/sh\n"
                    "if [ \"$1\" = --list-cases ]; then\n"
                    "  echo '{\"id\": \"stub.one\", \"rule\": \"R1\", \"gtest\": \"R1.stub.one\", "
                    "\"params\": {}}'; exit 0\nfi\n"
                    "echo 'SOCKREUSE-RESULT {\"id\": \"stub.one\", \"status\": \"ok\", "
                    "\"observed\": \"EADDRINUSE\", \"control\": \"\", \"detail\": \"\", "
                    "\"duration_ms\": 1, \"setup_ms\": 0}'\n")
    stub.chmod(0o755)
    table = tmp_path / "t.yaml"
    table.write_text('kernel: "stub"\ncases:\n  stub.one: {expected: "ok", rule: "R1"}\n')
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider",
                        "-q", "--suite-bin", str(stub), "--expect", str(table),
                        "--results-dir", str(tmp_path / "out")],
                       cwd=os.path.dirname(BUILD), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    c = load_results(tmp_path / "out")["cases"][0]
    assert c["verdict"] == "error" and "not in" in c["detail"] and "vocabulary" in c["detail"]


def test_a_table_with_an_unknown_token_is_refused(tmp_path):
    table = tmp_path / "t.yaml"
    table.write_text('kernel: "6.18"\ncases:\n'
                     '  tcp4.default.same_addr: {expected: "EADDRINUSE", rule: "R1"}\n')
    r = run_runner(tmp_path / "run", "--expect", str(table))
    assert r.returncode == 2
    assert f"{table}:3:" in r.stdout + r.stderr and "no outcome token" in r.stdout + r.stderr


@pytest.fixture
def busy_loops():
    procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(4)]
    yield
    for p in procs:
        p.kill()
        p.wait()


def test_no_errors_or_variation_under_load(recorded_table, tmp_path, busy_loops):
    r = run_runner(tmp_path, "--expect", str(recorded_table), "--jobs", "16", "--repeat", "3",
                   "-k", "deliver or migrate or timewait or hash2 or bindtodevice")
    doc = load_results(tmp_path)
    bad = [(c["id"], c["verdict"], c["detail"][:120]) for c in doc["cases"]
           if c["verdict"] != "pass"]
    assert r.returncode == 0 and bad == [], bad
    assert doc["summary"]["total"] >= 90
