"""Which feature set explains a run: each feature is tried on and off, and
kept in the state under which more of the run's observations match the
model. Features are detected by behaviour only, never by version."""
import fnmatch

from . import FEATURES, predict


def explained(records, features):
    return sum(1 for r in records if predict(r["params"], features).predicted == r["observed"])


def infer(records, start=()):
    """(features, evidence): the set that explains the most of `records` (case
    records with params and observed), starting from `start`; evidence maps
    each feature to how many of the run's cases could show it (0: the run
    says nothing about it, and it keeps its starting state)."""
    ran = [r for r in records if r.get("verdict") not in ("error", "skip")]
    features = set(start)
    evidence = {}
    for _ in range(2):  # a second pass settles features that depend on each other
        for name, f in FEATURES.items():
            seen = [r for r in ran if any(fnmatch.fnmatch(r["id"], p) for p in f.evidence)]
            evidence[name] = len(seen)
            if not seen:
                continue
            on, off = explained(seen, features | {name}), explained(seen, features - {name})
            if on > off:
                features.add(name)
            elif off > on:
                features.discard(name)
    return sorted(features), evidence


def annotate(records, features):
    """Adds `model` and `explained` to every record; returns the unexplained ones."""
    out = []
    for r in records:
        p = predict(r["params"], features)
        r["model"] = p.as_dict()
        if r.get("verdict") in ("error", "skip"):
            r["explained"] = None
            continue
        r["explained"] = p.predicted == r["observed"]
        if not r["explained"]:
            out.append(r)
    return out
