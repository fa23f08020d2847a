"""--bisect: one guest run read as one step of `git bisect run`. A kernel
that could not be tested (not built, not booted, lacking an option the
cases need, every selected case skipped, or the harness broke) must be
skipped, never marked bad: a bisection that blames the wrong commit costs
more than one that takes a step longer."""
import json
import os

from sockreuse.boot import landing
from sockreuse.errors import BISECT_BAD, BISECT_GOOD, BISECT_SKIP


def results(kernel, since):
    """The results.json document this run wrote (at `since`, time.time(), or
    later), or None when the guest sent none. Successive commits of a tree
    often share a release name, so an earlier step's results sit in the same
    folder and must not be read as this one's."""
    path = os.path.join(landing.run_dir(kernel), "results.json")
    try:
        if os.path.getmtime(path) < since:
            return None
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def verdict(doc):
    """(git bisect run's status, why) for one run's results (None: none came back)."""
    if doc is None:
        return BISECT_SKIP, "no results: the kernel could not be prepared, booted or run"
    s = doc["summary"]
    if s["fail"]:
        failed = sorted(c["id"] for c in doc["cases"] if c["verdict"] == "fail")
        return BISECT_BAD, f"{s['fail']} case(s) failed: {', '.join(failed[:5])}"
    if s["error"]:
        return BISECT_SKIP, f"{s['error']} case(s) errored: the harness broke, not the kernel"
    if s["new"]:
        return BISECT_SKIP, f"{s['new']} case(s) have no table row to judge them by"
    if not s["pass"]:
        return BISECT_SKIP, f"every selected case skipped ({s['skip']})"
    return BISECT_GOOD, f"{s['pass']} case(s) passed" + (f", {s['skip']} skipped" if s["skip"] else "")


def status(kernels, since):
    """The bisection step's status for the run of `kernels` (empty: the
    kernel was never prepared) that started at `since`, with the one line
    that says why."""
    code, why = verdict(results(kernels[0], since) if kernels else None)
    word = {BISECT_GOOD: "good", BISECT_BAD: "bad", BISECT_SKIP: "skip"}[code]
    return code, f"bisect: {word} (exit {code}): {why}"
