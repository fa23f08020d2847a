"""Reading a LAVA job back, the same for lava-run here and for a lab's
server: the log as entries ({dt, lvl, msg}), what the device printed, the
test cases LAVA recorded, and why a job failed, in one line."""
import datetime
import json

import yaml


from sockreuse import files
from sockreuse.lava import cases
from sockreuse.boot import qemu


def entries(text):
    """Log entries from lava-run's output (one mapping a line) or a server's
    raw log (a YAML list, `- {...}` a line)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("- "):
            line = line[2:]
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            try:
                entry = files.yaml_doc(line)
            except yaml.YAMLError:
                continue
        if isinstance(entry, dict) and "lvl" in entry:
            out.append(entry)
    return out


def console(log):
    """What the device printed, a line an entry."""
    return [str(e["msg"]) for e in log if e["lvl"] == "target"]


def results_in_log(log):
    return [e["msg"] for e in log if e["lvl"] == "results" and isinstance(e["msg"], dict)]


def results_from_server(items):
    """A server's job results (lavacli results --yaml) as the log has them:
    the metadata of each test case is the entry the dispatcher logged."""
    out = []
    for item in items or []:
        meta = item.get("metadata") or {}
        if "case" in meta and "result" in meta:
            out.append(meta)
        else:
            out.append({"case": item.get("name"), "definition": item.get("suite"),
                        "result": item.get("result")})
    return out


def job_failure(results):
    """Why LAVA says the job failed (type: message), or None."""
    for r in results:
        if r.get("definition") == "lava" and r.get("case") == "job" and r.get("result") == "fail":
            return f"{r.get('error_type') or 'Job'} error: {r.get('error_msg') or 'no message'}"
    return None


def last_lines(lines, n=3):
    shown = [" ".join(l.split()) for l in lines if l.strip()][-n:]
    return " | ".join(s[:160] for s in shown) or "(the device printed nothing)"


def seconds_between(log, first, then):
    """Seconds from the first entry matching `first` to the first after it
    matching `then` (predicates on entries), or None."""
    start = None
    for e in log:
        if start is None and first(e):
            start = e
        elif start is not None and then(e):
            return (datetime.datetime.fromisoformat(e["dt"]) -
                    datetime.datetime.fromisoformat(start["dt"])).total_seconds()
    return None


def phase(entry):
    """A top-level LAVA action starting ("start: 2 boot-image-retry ..."), or None."""
    msg = str(entry.get("msg", ""))
    if entry.get("lvl") == "info" and msg.startswith("start: ") and "." not in msg.split()[1]:
        return msg.split()[2]
    return None


def boot_seconds(log):
    """From LAVA starting the boot action to the rootfs's init reporting in."""
    return seconds_between(
        log, lambda e: e["lvl"] == "info" and str(e["msg"]).startswith("start: ") and "boot" in str(e["msg"]),
        lambda e: e["lvl"] == "target" and qemu.BOOTED in str(e["msg"]))


def disagreements(doc, lava_results, console_lines):
    """Where what LAVA recorded differs from the device's own results.json:
    each case must be a LAVA test case with the mapped result, and its line
    in the log must be the record lava-report printed."""
    recorded = {r["case"]: r for r in lava_results if r.get("definition") != "lava"}
    printed = {}
    for line in console_lines:
        if line.startswith("sockreuse: ") and ": observed " in line:
            case_id, _, seen = line[len("sockreuse: "):].partition(": ")
            printed[case_id] = seen.strip()
    out = []
    for case in doc["cases"]:
        want = cases.lava_result(case["verdict"])
        got = recorded.get(case["id"])
        if got is None:
            out.append(f"{case['id']}: not a LAVA test case")
        elif got["result"] != want:
            out.append(f"{case['id']}: LAVA has {got['result']}, the device {case['verdict']}")
        elif printed.get(case["id"]) != cases.record(case):
            out.append(f"{case['id']}: LAVA's log line is {printed.get(case['id'])!r}")
    return out
