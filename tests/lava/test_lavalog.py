"""Reading LAVA jobs back (sockreuse/lava/lavalog.py) from logs lava-run wrote here: the
device's report files, LAVA's test cases and their agreement, and why a job
failed."""
import json
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

from sockreuse.boot import bundle
from sockreuse.lava import cases
from sockreuse.lava import lavalog

FIXTURES = os.path.join(HERE, "fixtures")


def log_of(kind):
    with open(os.path.join(FIXTURES, f"{kind}-6.1.log.yaml")) as f:
        return lavalog.entries(f.read())


def test_lava_run_lines_and_server_lines_read_alike():
    log = log_of("default")
    as_server = "".join("- " + json.dumps(e) + "\n" for e in log)
    assert lavalog.entries(as_server) == log
    # lava-run marks log line numbers with YAML's `!` tag: not JSON, still read.
    assert any("starttc" in r for r in lavalog.results_in_log(log))


def test_the_device_report_and_lava_cases_agree():
    log = log_of("default")
    console = lavalog.console(log)
    name, code, files = bundle.find(console)
    doc = json.loads(files["results.json"])
    assert (name, code) == ("6.1.0-50-amd64", 0) and len(doc["cases"]) == 21
    results = lavalog.results_in_log(log)
    assert lavalog.disagreements(doc, results, console) == []
    sets = {r["set"] for r in results if r["definition"] != "lava" and "set" in r}
    assert sets == {c["rule"] for c in doc["cases"]}
    assert lavalog.job_failure(results) is None
    assert 0 < lavalog.boot_seconds(log) < 120


def test_disagreements_name_the_case():
    log = log_of("default")
    console = lavalog.console(log)
    doc = json.loads(bundle.find(console)[2]["results.json"])
    results = [dict(r) for r in lavalog.results_in_log(log)]
    victim = doc["cases"][0]
    for r in results:
        if r["case"] == victim["id"]:
            r["result"] = "skip"
    assert lavalog.disagreements(doc, results, console) == [
        f"{victim['id']}: LAVA has skip, the device pass"]
    missing = [r for r in results if r["case"] != victim["id"]]
    assert lavalog.disagreements(doc, missing, console) == [f"{victim['id']}: not a LAVA test case"]
    mine = f"sockreuse: {victim['id']}: "
    reworded = [mine + "observed ?" if l.startswith(mine) else l for l in console]
    assert lavalog.disagreements(doc, lavalog.results_in_log(log), reworded) == [
        f"{victim['id']}: LAVA's log line is 'observed ?'"]


def test_a_job_that_never_gave_a_shell():
    log = log_of("noshell")
    failure = lavalog.job_failure(lavalog.results_in_log(log))
    assert failure == "Job error: login-action timed out after 107 seconds"
    assert "sockreuse" in lavalog.last_lines(lavalog.console(log))


def test_verdicts_map_onto_lava_results():
    assert {v: cases.lava_result(v) for v in ("pass", "fail", "error", "skip", "new")} == {
        "pass": "pass", "fail": "fail", "error": "fail", "skip": "skip", "new": "unknown"}
    record = cases.record({"id": "x", "observed": "ok", "expected": "EADDRINUSE", "verdict": "fail",
                           "detail": "bind()\n  returned 0"})
    assert record == "observed ok, expected EADDRINUSE: fail (bind() returned 0)"


def test_server_results_read_as_the_log_has_them():
    logged = {"case": "tcp4.default.any_any", "definition": "0_sockreuse", "result": "pass",
              "set": "R1"}
    server = yaml.safe_load(yaml.safe_dump([
        {"name": "tcp4.default.any_any", "suite": "0_sockreuse", "result": "pass",
         "metadata": logged},
        {"name": "job", "suite": "lava", "result": "fail", "metadata": {}}]))
    assert lavalog.results_from_server(server) == [
        logged, {"case": "job", "definition": "lava", "result": "fail"}]
