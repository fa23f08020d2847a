"""One case's record: what was observed, what the table expected, the verdict."""
from collections import Counter


def decide(case, results, row):
    """case: the --list-cases entry; results: one or more runs of it; row: the
    table row or None. Returns the record written to results.json."""
    first = results[0]
    observed = [r.get("observed", "") for r in results]
    record = {
        "id": case["id"],
        "rule": case["rule"],
        "params": case.get("params", {}),
        "observed": first.get("observed", ""),
        "expected": row.expected if row else None,
        "verdict": None,
        "duration_ms": round(sum(r.get("duration_ms", 0) for r in results) / len(results), 3),
        "setup_ms": round(sum(r.get("setup_ms", 0) for r in results) / len(results), 3),
        "detail": first.get("detail", ""),
        "note": row.note if row else None,
    }
    statuses = {r.get("status") for r in results}
    if "error" in statuses:
        record["verdict"] = "error"
        record["detail"] = next(r["detail"] for r in results if r.get("status") == "error")
    elif statuses == {"skip"}:
        record["verdict"] = "skip"
    elif len(set(observed)) > 1:
        seen = ", ".join(f"{o} x{n}" for o, n in Counter(observed).most_common())
        record["verdict"] = "fail"
        record["observed"] = "varied"
        record["detail"] = f"outcome varied over {len(results)} runs: {seen}"
    elif row is None:
        record["verdict"] = "new"
    else:
        record["verdict"] = "pass" if record["observed"] == row.expected else "fail"
    return record
