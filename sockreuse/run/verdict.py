"""One case's record: what was observed, what the table expected, the verdict."""
from collections import Counter

from sockreuse.expect.vocabulary import is_conflict

# Every verdict, in the order reports count them.
VERDICTS = ("pass", "fail", "new", "error", "skip")


def _harness_problem(results, vocab):
    """Why the runs cannot stand as an observation, or None: a token outside
    the vocabulary, or a conflict whose positive control is missing or failed."""
    for r in results:
        token, control = r.get("observed", ""), r.get("control") or ""
        if vocab is not None and not vocab.knows(token):
            return (f"outcome token '{token}' is not in {vocab.path}: a suite bug "
                    "(add the word with its meaning, or fix the case)")
        if is_conflict(token) and not control:
            return (f"conflict '{token}' came without a positive control: a suite bug "
                    "(the case must retry the call with the blocker gone)")
        if is_conflict(token) and control != "ok":
            return (f"positive control failed: with the blocker gone the same call gave "
                    f"'{control}', so '{token}' is not the blocker's doing")
    return None


def _mean_steps(results):
    """Each set-up step's mean over the runs (ms), in the order the case
    process marked them."""
    sums = {}
    for r in results:
        for step, ms in (r.get("setup_steps") or {}).items():
            sums[step] = sums.get(step, 0) + ms
    return {step: round(ms / len(results), 3) for step, ms in sums.items()}


def decide(case, results, row, vocab=None):
    """case: the --list-cases entry; results: one or more runs of it; row: the
    table row or None; vocab: the outcome vocabulary (None skips the check).
    Returns the record written to results.json."""
    first = results[0]
    observed = [r.get("observed", "") for r in results]
    record = {
        "id": case["id"],
        "rule": case["rule"],
        "params": case.get("params", {}),
        "observed": first.get("observed", ""),
        "expected": row.expected if row else None,
        "control": first.get("control") or None,
        "verdict": None,
        "duration_ms": round(sum(r.get("duration_ms", 0) for r in results) / len(results), 3),
        "setup_ms": round(sum(r.get("setup_ms", 0) for r in results) / len(results), 3),
        "setup_steps": _mean_steps(results),
        "topology": case.get("topology"),  # two_hosts or server_only (fixtures/topology.h)
        "detail": first.get("detail", ""),
        "feature": row.feature if row else None,  # the delta row's, None for a base row
    }
    statuses = {r.get("status") for r in results}
    if "error" in statuses:
        record["verdict"] = "error"
        record["detail"] = next(r["detail"] for r in results if r.get("status") == "error")
    elif statuses == {"skip"}:
        record["verdict"] = "skip"
    elif (problem := _harness_problem(results, vocab)) is not None:
        record["verdict"] = "error"
        record["detail"] = f"{problem}; detail: {record['detail']}"
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
