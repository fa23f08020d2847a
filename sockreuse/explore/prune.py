"""The triples' prune (explore/space.yaml, `triples.prune`): a triple is kept
when the model predicts that sockets 1 and 2 reach their states under the
features of at least one kernel's expected table (results/expected/
<series>.yaml); where they fail under every one, the triple is a pair with
an extra socket. Deterministic and the same on every kernel: it reads the
model and the tables, never the running kernel.

The kept settings of sockets 1 and 2 are cached in explore/triples-kept.txt.xz,
stamped with the hash of what decides them (the space file's triples section,
the feature sets); `python3 -m sockreuse.explore.prune_write` rewrites it,
and tests/explore/test_space.py checks a sample against the model. `space`
below is a Space of sockreuse/explore/space.py (which imports this module,
so this one takes it and its resolved document as arguments)."""
import glob
import hashlib
import json
import lzma
import os
import sys

from sockreuse.expect import tables
from sockreuse.model.context import Context
from sockreuse.model.sequences import through_second, triple_params
from sockreuse.paths import EXPECTED, REPO

CACHE = os.path.join(REPO, "explore", "triples-kept.txt.xz")


def feature_sets(directory=EXPECTED):
    """The distinct feature sets the kernels' expected tables declare, sorted."""
    sets = set()
    for path in glob.glob(os.path.join(directory, "[0-9]*.yaml")):
        sets.add(tuple(sorted(tables.load_delta(path).features or ())))
    return sorted(sets)


def prefix_seq(space, prefix):
    """A full triple {dim: value} for the settings of sockets 1 and 2: what
    comes after them is left at its first value (the prune does not read it)."""
    seq = dict(zip(space.dims, prefix))
    for d in space.dims[len(prefix):]:
        seq[d] = space.values[d][0]
    seq["change"] = "none"
    return seq


def second_step_ok(space, doc, prefix, sets):
    """Whether sockets 1 and 2 reach their states under at least one feature set."""
    p = triple_params(prefix_seq(space, prefix), doc)
    return any(through_second(p, Context(f))[0] is not None for f in sets)


def prefixes(space, cut):
    """Every prefix (values up to PRUNE_AFTER) the constraints allow, in the
    space's order. A constraint whose `if` names a later dimension is left
    out, and a `then` keeps only the prefix's dimensions: socket 3 and the
    change can always take values (none, no device, ...) that trigger none."""
    import itertools
    head = space.dims[:cut]
    rules = [({d: v for d, v in then.items() if d in head}, cond)
             for cond, then in space.constraints if set(cond) <= set(head)]
    out = []
    for combo in itertools.product(*(space.values[d] for d in head)):
        seq = dict(zip(head, combo))
        if all(not all(seq[d] in v for d, v in cond.items()) or
               all(seq[d] in v for d, v in then.items()) for then, cond in rules):
            out.append(combo)
    return out


def stamp(doc, sets):
    text = json.dumps({"triples": doc["triples"], "features": sets}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def compute(space, doc, cut):
    """(stamp, kept prefixes in the space's order) from the model; a prefix
    is the values of the first `cut` dimensions."""
    sets = feature_sets()
    kept = [c for c in prefixes(space, cut) if second_step_ok(space, doc, c, sets)]
    return stamp(doc, sets), kept


def kept(space, doc, cut, cache=CACHE):
    """The kept prefixes as a set of tuples: from the cache when its stamp is
    current, else computed (a minute; with a note to rewrite the cache)."""
    want = stamp(doc, feature_sets())
    try:
        with lzma.open(cache, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines[0] == f"# stamp {want}":
            return {tuple(line.split(" ")) for line in lines[1:] if line}
    except (OSError, lzma.LZMAError):
        pass
    print(f"sockreuse: {os.path.relpath(cache, REPO)} is missing or stale: computing the "
          "triples' prune (rewrite it: /usr/bin/python3 -m sockreuse.explore.prune_write)",
          file=sys.stderr)
    _, rows = compute(space, doc, cut)
    return set(rows)


def write(space, doc, cut, cache=CACHE):
    s, rows = compute(space, doc, cut)
    data = "\n".join([f"# stamp {s}"] + [" ".join(r) for r in rows]) + "\n"
    with open(cache, "wb") as f:
        f.write(lzma.compress(data.encode(), preset=9))
    return len(rows)
