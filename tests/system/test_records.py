"""Records are never lost or misfiled: --record writes the running kernel's own
delta only (and no other file), a kill at any moment leaves the old table or the new one, and two
runs on one folder take turns. -k names rules exactly."""
import json
import os
import random
import shutil
import signal
import subprocess
import time

import yaml

from tests.system.harness import (ROOT, SUITE, load_results, run_runner, runner_cmd,
                                  table_folder)

SAME_ADDR = "tcp4.default.same_addr"


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != ".lock"}


def test_record_for_a_series_without_a_delta_never_touches_another(recorded_table, tmp_path):
    expected = table_folder(recorded_table, tmp_path / "expected")
    before = snapshot(expected)
    r = run_runner(tmp_path / "run", "--expected-dir", str(expected), "--kernel-release",
                   "6.19.3", "--record", "-k", SAME_ADDR)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    new = expected / "6.19.yaml"
    assert snapshot(expected) == {**before, "6.19.yaml": new.read_bytes()}
    assert "recording into" in r.stderr and "seeded from" in r.stderr
    assert "new delta for series 6.19, seeded from" in r.stdout
    doc = yaml.safe_load(new.read_text())
    # The run observed what the base says: the delta has no row.
    assert doc["kernel"] == "6.19" and doc["cases"] == {} and doc["features"]
    assert "recorded from 6.19.3" in new.read_text()


def test_record_of_an_existing_delta_rewrites_only_it(recorded_table, tmp_path):
    expected = table_folder(recorded_table, tmp_path / "expected", ("6.1", "6.18"))
    before = snapshot(expected)
    r = run_runner(tmp_path / "run", "--expected-dir", str(expected), "--kernel-release",
                   "6.18.44", "--record", "-k", SAME_ADDR)
    assert r.returncode == 0, r.stdout[-2000:]
    after = snapshot(expected)
    assert after.keys() == before.keys()
    assert [n for n in after if after[n] != before[n]] in ([], ["6.18.yaml"])
    assert "seeded" not in r.stderr


def test_a_row_no_feature_explains_is_recorded_for_review(recorded_table, tmp_path):
    """The base says `ok` where the kernel refuses: --record writes the row
    with feature UNEXPLAINED, and the next run stops on it until reviewed."""
    expected = table_folder(recorded_table, tmp_path / "expected")
    base = expected / "base.yaml"
    base.write_text(base.read_text().replace(f'  {SAME_ADDR}: "bind:EADDRINUSE"',
                                             f'  {SAME_ADDR}: "ok"'))
    r = run_runner(tmp_path / "run", "--expected-dir", str(expected), "--kernel-release",
                   "6.18.44", "--record", "-k", SAME_ADDR)
    assert r.returncode == 0, r.stdout[-2000:]
    assert f"~ {SAME_ADDR}: ok -> bind:EADDRINUSE" in r.stdout and "UNEXPLAINED" in r.stdout
    row = yaml.safe_load((expected / "6.18.yaml").read_text())["cases"][SAME_ADDR]
    assert row == {"expected": "bind:EADDRINUSE", "feature": "UNEXPLAINED"}
    r = run_runner(tmp_path / "run2", "--expected-dir", str(expected), "--kernel-release",
                   "6.18.44", "-k", SAME_ADDR)
    assert r.returncode == 2 and r.stderr.startswith("sockreuse: ")
    assert "6.18.yaml:" in r.stderr and "feature UNEXPLAINED" in r.stderr


def test_a_killed_record_leaves_the_old_table_or_the_new_one(recorded_table, tmp_path):
    rng = random.Random(int(os.environ.get("SOCKREUSE_KILL_SEED", "0")) or None)
    table = tmp_path / "t.yaml"
    shutil.copy(recorded_table, table)
    cmd = runner_cmd(tmp_path / "run", "--expect", str(table), "--record", "-k", "default")
    # One run to completion tells how long a run takes; kills then fall
    # anywhere in it, the table's rewrite at the end included.
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True, timeout=600)
    span = time.monotonic() - t0
    new = table.read_bytes()
    row = f"  {SAME_ADDR}: \"bind:EADDRINUSE\"".encode()
    assert row in new
    # Before each run the table says something else for one row; a recording
    # puts the observed value back, so the whole file is either of two texts.
    old = new.replace(row, f"  {SAME_ADDR}: \"ok\"".encode())
    seen = {"old": 0, "new": 0}
    for i in range(20):
        table.write_bytes(old)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2 * span, 1.3 * span))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = table.read_bytes()
        assert now in (old, new), f"kill {i} left a table that is neither the old nor the new one"
        yaml.safe_load(now)
        seen["old" if now == old else "new"] += 1
        assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
    print("kills that left the old table / the new one:", seen, "run span", round(span, 2))


def test_two_runs_on_one_results_folder_take_turns(recorded_table, tmp_path):
    out = tmp_path / "run"
    procs = [subprocess.Popen(runner_cmd(out, "--expect", str(recorded_table), "-k", "timewait"),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    waited = [err for _, err in outs if "waiting for run" in err]
    assert len(waited) == 1, outs
    assert "the results folder" in waited[0] and str(out) in waited[0]
    doc = load_results(out)
    assert doc["summary"]["pass"] == doc["summary"]["total"] > 0


def rules_of_cases():
    out = subprocess.run([SUITE, "--list-cases"], capture_output=True, text=True, check=True)
    return {c["id"]: c["rule"] for c in map(json.loads, out.stdout.splitlines())}


def test_k_with_a_rule_runs_exactly_its_cases(recorded_table, tmp_path):
    rules = rules_of_cases()
    for rule in ("R9", "R1"):
        r = run_runner(tmp_path / rule, "--expect", str(recorded_table), "-k", rule)
        assert r.returncode == 0, r.stdout[-2000:]
        ran = {c["id"] for c in load_results(tmp_path / rule)["cases"]}
        assert ran == {i for i, x in rules.items() if x == rule}
    r = run_runner(tmp_path / "both", "--expect", str(recorded_table), "-k", "R4 and tcp6")
    ran = {c["id"] for c in load_results(tmp_path / "both")["cases"]}
    assert ran and ran == {i for i, x in rules.items() if x == "R4" and "tcp6" in i}
