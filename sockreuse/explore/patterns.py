"""Minimal patterns: a few conjunctions that together cover exactly a set of
sequences (those that differ), each as short as a greedy search finds.

A term is a raw dimension limited to some of its values ("first 0.0.0.0 or
[::]") or a derived predicate of explore/predicates.yaml, true or false
("addresses overlap", "not both SO_REUSEPORT"); a rule is a conjunction of
terms. Sets of sequences are Python integers used as bitsets over the
universe (the sequences that ran), so a rule's sequences are the AND of its
terms' bitsets and a test is a few big-integer operations.

A rule is found top-down: starting from every sequence, a beam of the best
few rules is refined one literal at a time (dimension = value, dimension !=
value, predicate, its negation), each step scored by FOIL's gain — keep many
sequences still to cover, lose the others — until no rule holds a sequence
outside the allowed set. The literals that then add nothing are dropped and
every dimension term takes back the values it can, so a rule is as wide as
it can be with what it names. Rules are added until the target is covered;
a rule the others cover is dropped at the end."""
import math

BEAM = 4


class Universe:
    def __init__(self, dims, points):
        """dims: dimension names in key order; points: tuples of values."""
        self.dims = list(dims)
        self.points = points if isinstance(points, list) else list(points)
        n = len(self.points)
        self.all = (1 << n) - 1
        self.values, self.masks = {}, {}
        for i, d in enumerate(self.dims):
            self.values[d], self.masks[d] = column_masks([p[i] for p in self.points])
        self.preds = []

    def add_predicates(self, preds):
        """preds: [(tag, label if true, label if false, bitset)]."""
        self.preds = list(preds)
        self.pred_mask = {tag: m for tag, _, _, m in self.preds}
        self.pred_label = {tag: (t, f) for tag, t, f, _ in self.preds}

    def dim_mask(self, d, vals):
        m = 0
        for v in vals:
            m |= self.masks[d].get(v, 0)
        return m

    def mask(self, rule):
        """Bitset of the rule's sequences. A rule: {dim: set of values} for
        raw terms and {("pred", tag): bool} for predicate terms; a cube
        (every dimension a set) is a rule too."""
        m = self.all
        for k, want in rule.items():
            if isinstance(k, tuple):
                pm = self.pred_mask[k[1]]
                m &= pm if want else ~pm
            elif len(want) < len(self.values[k]):
                m &= self.dim_mask(k, want)
            if not m:
                return 0
        return m & self.all

    def bits(self, indices):
        return _bits(indices)


def column_masks(column):
    """(values in first-seen order, {value: bitset of the positions that
    hold it}) of a list. One byte per position, then one C-speed translate
    and parse per value: per-position Python work is one pass."""
    seen = list(dict.fromkeys(column))
    if len(seen) >= 256:
        return seen, {v: _bits([k for k, x in enumerate(column) if x == v]) for v in seen}
    code = {v: j for j, v in enumerate(seen)}
    raw = bytes(map(code.__getitem__, reversed(column)))
    out = {}
    for j, v in enumerate(seen):
        table = bytes(0x31 if b == j else 0x30 for b in range(256))
        out[v] = int(raw.translate(table), 2)
    return seen, out


def _bits(indices):
    if not indices:
        return 0
    buf = bytearray((max(indices) >> 3) + 1)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(bytes(buf), "little")


def _literals(u):
    """(rule fragment, bitset) for every literal, those with the same
    sequences as an earlier one left out (a predicate comes first, so it
    wins over a raw value that says the same)."""
    out, seen = [], set()
    for tag, _, _, m in u.preds:
        for want in (True, False):
            out.append(({("pred", tag): want}, m if want else u.all & ~m))
    for d in u.dims:
        vals = u.values[d]
        if len(vals) < 2:
            continue
        for v in vals:
            out.append(({d: {v}}, u.masks[d][v]))
            if len(vals) > 2:
                out.append(({d: set(vals) - {v}}, u.all & ~u.masks[d][v]))
    kept = []
    for frag, m in out:
        if m and m != u.all and m not in seen:
            seen.add(m)
            kept.append((frag, m))
    return kept


def _join(rule, frag):
    out = dict(rule)
    for k, want in frag.items():
        if isinstance(k, tuple):
            out[k] = want
        else:
            out[k] = (out[k] & want) if k in out else set(want)
    return out


def _gain(p0, n0, p1, n1):
    if p1 == 0:
        return -math.inf
    before = math.log2(p0 / (p0 + n0)) if p0 else -64.0
    return p1 * (math.log2(p1 / (p1 + n1)) - before)


def terms(rule):
    """How many things a rule names (a dimension or a predicate each)."""
    return len(rule)


def common(u, lits, target):
    """The conjunction of the facts every sequence of the target shares:
    predicates that hold and single raw values. Every rule starts from it
    and keeps it, so each line says what all the differences have in common
    (both SO_REUSEPORT), even where the rest of the line would imply it; a
    fact the earlier ones imply is left out."""
    rule, m = {}, u.all
    for frag, lm in lits:
        (k, want), = frag.items()
        if target & ~lm == 0 and m & ~lm and \
                (want is True or (not isinstance(k, tuple) and len(want) == 1)):
            rule, m = _join(rule, frag), m & lm
    for k in list(rule):  # a predicate the raw values imply says nothing more
        trial = {j: w for j, w in rule.items() if j != k}
        if u.mask(trial) == m:
            rule = trial
    return rule, m


def _search(u, lits, todo, bad, start):
    """One rule: as many sequences of `todo` as the beam finds, none of `bad`."""
    beam = [start]
    done = []
    for _ in range(64):
        cands = {}
        for rule, m in beam:
            p0, n0 = (m & todo).bit_count(), (m & bad).bit_count()
            mb, mt = m & bad, m & todo
            for frag, lm in lits:
                n1 = (mb & lm).bit_count()
                if n1 >= n0:
                    continue
                p1 = (mt & lm).bit_count()
                if not p1:
                    continue
                g = _gain(p0, n0, p1, n1)
                new = _join(rule, frag)
                key = _key(new)
                if key not in cands or cands[key][0] < g:
                    cands[key] = (g, new, m & lm, p1, n1)
        if not cands:
            break
        best = sorted(cands.values(), key=lambda c: (-c[0], terms(c[1])))[:BEAM]
        beam = []
        for g, rule, m, p1, n1 in best:
            (done if n1 == 0 else beam).append((rule, m))
        if not beam:
            break
    if start[1] & bad == 0:
        done.append(start)
    return max(((_widen(u, r, bad, start[0]), r) for r, _ in done),
               key=lambda wr: ((wr[0][1] & todo).bit_count(), -terms(wr[0][0])))[0]


def _key(rule):
    return tuple(sorted((str(k), str(sorted(v)) if isinstance(v, set) else str(v))
                        for k, v in rule.items()))


def _widen(u, rule, bad, keep):
    """Drops the terms the rule does not need (but those of `keep`), then
    lets every dimension term take back the values it can, keeping the rule
    clear of `bad`."""
    rule = dict(rule)
    for k in sorted((k for k in rule if k not in keep), key=lambda k: isinstance(k, tuple)):
        trial = dict(rule)
        del trial[k]
        if not u.mask(trial) & bad:
            rule = trial
    for k in [k for k in rule if not isinstance(k, tuple) and k not in keep]:
        for v in u.values[k]:
            if v in rule[k]:
                continue
            trial = dict(rule)
            trial[k] = rule[k] | {v}
            if not u.mask(trial) & bad:
                rule = trial
        if len(rule[k]) == len(u.values[k]):
            del rule[k]
    return rule, u.mask(rule)


def cover(u, target, allowed=None, scope=None):
    """[(rule, bitset)] covering every sequence of `target` and none of
    `scope` (default: all) outside `allowed` (default: the target), the most
    sequences first."""
    allowed = target if allowed is None else allowed
    bad = (u.all if scope is None else scope) & ~allowed
    lits = _literals(u)
    start = common(u, lits, target)
    rules = []
    todo = target
    while todo:
        rule, m = _search(u, lits, todo, bad, start)
        if not m & todo:  # cannot happen: a single sequence is a rule
            raise AssertionError("pattern search made no progress")
        rules.append((rule, m))
        todo &= ~m
    rules.sort(key=lambda rm: (rm[1] & target).bit_count())
    kept = list(rules)
    for rm in rules:
        rest = 0
        for other in kept:
            if other is not rm:
                rest |= other[1]
        if rm[1] & target & ~rest == 0:
            kept.remove(rm)
    kept.sort(key=lambda rm: -(rm[1] & target).bit_count())
    return kept


def present(u, m):
    """{dimension: values some sequence of the bitset has}, in the space's
    order: a pattern never names a combination that does not exist."""
    return {d: [v for v in u.values[d] if u.masks[d][v] & m] for d in u.dims}


def match_of(u, rule, m=None):
    """{dimension: [values]} for the raw dimensions the rule's sequences do
    not span whole; a dimension left out is "any"."""
    m = u.mask(rule) if m is None else m
    return {d: vals for d, vals in present(u, m).items() if len(vals) < len(u.values[d])}


def predicates_of(rule):
    """{predicate tag: bool} of the rule's predicate terms."""
    return {k[1]: v for k, v in rule.items() if isinstance(k, tuple)}


def group(u, differing, side=None, tokens=None):
    """differing: {point index: signature}. [(rule, bitset, {signature:
    count})]: rules covering exactly the differing sequences, each with what
    differs inside it, the largest first. With side (an index into the
    signatures) and tokens (every sequence's outcome on that side), a rule
    holds sequences of one outcome on that side and is exact among the
    sequences with that outcome: its line states the outcome, so the others
    need not be kept out of it."""
    by_sig = {}
    for i, sig in differing.items():
        by_sig.setdefault(sig, []).append(i)
    sig_bits = {sig: u.bits(idx) for sig, idx in by_sig.items()}
    parts = {}
    for sig, b in sig_bits.items():
        ref = sig[side] if side is not None else None
        parts[ref] = parts.get(ref, 0) | b
    scopes = column_masks(tokens)[1] if side is not None else {None: u.all}
    out = []
    for ref, target in parts.items():
        for rule, m in cover(u, target, scope=scopes[ref]):
            m &= scopes[ref]
            counts = {sig: (b & m).bit_count() for sig, b in sig_bits.items() if b & m}
            out.append((rule, m, dict(sorted(counts.items(),
                                             key=lambda kv: (-kv[1], str(kv[0]))))))
    out.sort(key=lambda t: -sum(t[2].values()))
    return out
