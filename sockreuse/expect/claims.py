"""The seed articles' claims (results/seed_claims.yaml) against one kernel's
case records: whether each claim holds. Used by a run's summary and by the
compatibility report alike."""
import os

from sockreuse import files


def load(path):
    if not path or not os.path.isfile(path):
        return []
    with open(path) as f:
        return files.yaml_doc(f) or []


def matches(claimed, observed):
    """An article names an errno, rarely the call; a claimed errno alone
    ("EADDRINUSE") matches whichever call failed with it."""
    claimed = str(claimed)
    if observed == claimed:
        return True
    return ":" not in claimed and "|" not in claimed and observed.rsplit(":", 1)[-1] == claimed \
        and ":" in observed


def status(claim, record):
    """(css class, text) for one claim on one kernel; record is the case's
    results.json entry or None."""
    if record is None or record["verdict"] in ("error", "skip"):
        return "notrun", "not run"
    if matches(claim["claimed"], record["observed"]):
        return "holds", "holds"
    return "nothold", f"does NOT hold (observed {record['observed']})"
