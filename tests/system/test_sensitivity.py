"""The verdicts come from real syscalls: a wrong expected row fails exactly
that case, and a system on which SO_REUSEADDR or SO_REUSEPORT silently did
nothing fails the cases that depend on them."""
import json
import os
import re

from tests.system.harness import CLEAN_RUN, BUILD, load_results, run_runner

SHIM = os.path.join(BUILD, "fault_shim.so")


def verdicts(results):
    return {c["id"]: c["verdict"] for c in results["cases"]}


@CLEAN_RUN
def test_recorded_table_passes_on_the_same_kernel(clean_run):
    r, out = clean_run
    assert r.returncode == 0, r.stdout[-3000:]
    summary = load_results(out)["summary"]
    assert summary["fail"] == 0 and summary["error"] == 0
    assert summary["total"] >= 120


def test_one_wrong_row_fails_only_that_case(recorded_table, tmp_path):
    text = recorded_table.read_text()
    target = "tcp4.default.same_addr"
    row = re.compile(r'^(\s+' + re.escape(target) + r':\s*)"bind:EADDRINUSE"', re.M)
    assert row.search(text), "the recorded table should have the row to corrupt"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(row.sub(r'\1"ok"', text))
    r = run_runner(tmp_path / "run", "--expect", str(wrong))
    assert r.returncode != 0
    v = verdicts(load_results(tmp_path / "run"))
    assert v[target] == "fail"
    # A case this kernel cannot run (the VRF cases without CONFIG_NET_VRF) is
    # skipped with its reason either way.
    assert [k for k, x in v.items() if x not in ("pass", "skip")] == [target]


def run_with_ignored(option, recorded_table, tmp_path):
    r = run_runner(tmp_path, "--expect", str(recorded_table),
                   env={"LD_PRELOAD": SHIM, "SOCKREUSE_IGNORE": option})
    assert r.returncode != 0, "ignoring %s must make the suite fail" % option
    return load_results(tmp_path)


def test_ignored_so_reuseaddr_is_caught(recorded_table, tmp_path):
    results = run_with_ignored("reuseaddr", recorded_table, tmp_path)
    changed = [c for c in results["cases"] if c["verdict"] not in ("pass", "skip")]
    assert sum(c["verdict"] == "fail" for c in changed) >= 20
    # Only cases that set SO_REUSEADDR can change when it is ignored.
    for c in changed:
        assert "reuseaddr" in c["id"] or '"reuseaddr": true' in json.dumps(c["params"]), c["id"]


def test_ignored_so_reuseport_is_caught(recorded_table, tmp_path):
    results = run_with_ignored("reuseport", recorded_table, tmp_path)
    # A delivery case whose group cannot even bind is an error, not a fail:
    # either way the run does not pass.
    changed = {c["id"] for c in results["cases"] if c["verdict"] != "pass"}
    assert sum(c["verdict"] == "fail" for c in results["cases"]) >= 15
    assert {"tcp4.reuseport.both.listeners", "udp4.deliver.reuseport.two",
            "tcp4.timewait.reuseport.other_uid"} <= changed
