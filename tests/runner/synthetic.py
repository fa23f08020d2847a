"""Small case records shaped like the ones the pytest plugin builds: a
--list-cases entry, one run's SOCKREUSE-RESULT, a table row, and whole
results.json documents made from them through verdict.decide."""
from types import SimpleNamespace

from sockreuse.expect.vocabulary import is_conflict
from sockreuse.run import reports, verdict

RELEASE = "6.18.44-unit"


def case(cid, rule="R1", params=None):
    return {"id": cid, "rule": rule, "gtest": f"{rule}.{cid}", "params": params or {}}


def run(observed, status="ok", control=None, detail="", duration_ms=2.0, setup_ms=1.0):
    """One run of a case as the suite binary reports it."""
    return {"id": "-", "status": status, "observed": observed, "control": control,
            "detail": detail, "duration_ms": duration_ms, "setup_ms": setup_ms}


def row(expected, feature=None):
    """A table row: decide() reads `expected` and `feature` (None: a base row)."""
    return SimpleNamespace(expected=expected, feature=feature, line=1)


def record(cid, rule, wanted, observed="ok", expected="ok", detail=""):
    """The results.json entry decide() gives for a case meant to end `wanted`."""
    results = [run(observed, detail=detail, control="ok" if is_conflict(observed) else None,
                   status={"error": "error", "skip": "skip"}.get(wanted, "ok"))]
    if wanted == "fail" and observed == expected:
        expected = f"not-{observed}"
    rec = verdict.decide(case(cid, rule), results, None if wanted == "new" else row(expected))
    assert rec["verdict"] == wanted, rec
    return rec


TABLE = {"base": "results/expected/base.yaml", "delta": "results/expected/6.18.yaml",
         "series": "6.18", "complete": False, "warning": None}


def doc(cases, release=RELEASE, table=TABLE, wall_s=1.234, model=None):
    return {"kernel": {"release": release, "table": table, "table_warning": None},
            "mode": "root", "repeat": 1, "model": model, "cases": cases,
            "summary": reports.summarize(cases, wall_s)}


def mixed():
    """One case of every verdict, over rules given out of order."""
    return [
        record("tcp4.a.pass", "R10", "pass"),
        record("tcp4.b.fail", "R2", "fail", observed="bind:EADDRINUSE", expected="ok"),
        record("tcp4.c.new", "R2", "new", observed="ok"),
        record("tcp4.d.error", "R1", "error", observed="", detail="suite crashed | core"),
        record("tcp4.e.skip", "R10", "skip", observed="", detail="no IPv6 here"),
    ]
