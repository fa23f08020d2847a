"""Minimal patterns: sequences that show the same difference, grouped into
as few cubes as a greedy cover finds, each cube described by as few
dimensions as possible.

A cube gives every dimension a set of values; its sequences are the points
of the universe (the sequences that ran) with every value in its set. A cube
is admissible for a difference when every one of its sequences shows that
difference. Starting from one differing sequence, a cube is grown first by
turning whole dimensions into "any" (all values), then by adding single
values, as long as it stays admissible; the largest of a few such growths
(different dimension orders) is kept, its sequences are covered, and the
next uncovered sequence seeds the next cube. Cubes that others cover
entirely are dropped at the end. Sets are Python integers used as bitsets
over the universe, so a containment test is a few big-integer operations."""


class Universe:
    def __init__(self, dims, points):
        """dims: dimension names in key order; points: tuples of values."""
        self.dims = list(dims)
        self.points = list(points)
        self.values = {d: [] for d in self.dims}
        masks = {d: {} for d in self.dims}
        for i, p in enumerate(self.points):
            for d, v in zip(self.dims, p):
                if v not in masks[d]:
                    masks[d][v] = []
                    self.values[d].append(v)
                masks[d][v].append(i)
        self.masks = {d: {v: _bits(ix) for v, ix in mv.items()} for d, mv in masks.items()}
        self.all = (1 << len(self.points)) - 1

    def mask(self, cube):
        """Bitset of the universe's points inside the cube ({dim: set of values})."""
        m = self.all
        for d in self.dims:
            vals = cube[d]
            if len(vals) == len(self.values[d]):
                continue
            dm = 0
            for v in vals:
                dm |= self.masks[d].get(v, 0)
            m &= dm
            if not m:
                return 0
        return m

    def bits(self, indices):
        return _bits(indices)


def _bits(indices):
    # Building from a bytearray is much faster than OR-ing single bits.
    if not indices:
        return 0
    buf = bytearray((max(indices) >> 3) + 1)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(bytes(buf), "little")


def _indices(bits):
    out = []
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for byte_i, b in enumerate(raw):
        while b:
            low = b & -b
            out.append((byte_i << 3) + low.bit_length() - 1)
            b ^= low
    return out


def _grow(u, seed, target, order):
    cube = {d: {v} for d, v in zip(u.dims, seed)}
    # Whole dimensions first: a pattern should name as few as it can.
    for d in order:
        trial = dict(cube)
        trial[d] = set(u.values[d])
        if u.mask(trial) & ~target == 0:
            cube = trial
    for d in order:
        if len(cube[d]) == len(u.values[d]):
            continue
        for v in u.values[d]:
            if v in cube[d]:
                continue
            trial = dict(cube)
            trial[d] = cube[d] | {v}
            if u.mask(trial) & ~target == 0:
                cube = trial
    return _prune(u, cube)


def _prune(u, cube):
    """Drops values that add no sequence to the cube (udp's states from a tcp
    cube), so that a pattern never names a combination that does not exist.
    A dimension that keeps all its values stays whole ("any")."""
    m = u.mask(cube)
    out = dict(cube)
    for d in u.dims:
        if len(cube[d]) == len(u.values[d]):
            continue
        keep = set()
        for v in cube[d]:
            trial = dict(out)
            trial[d] = {v}
            if u.mask(trial) & m:
                keep.add(v)
        out[d] = keep
    return out


def minimise(u, target):
    """Cubes covering exactly the points of `target` (a bitset over u)."""
    orders = [list(u.dims), list(reversed(u.dims)),
              list(u.dims[len(u.dims) // 2:]) + list(u.dims[:len(u.dims) // 2])]
    cubes = []
    uncovered = target
    while uncovered:
        low = uncovered & -uncovered
        seed = u.points[low.bit_length() - 1]
        best, best_new = None, -1
        for order in orders:
            cube = _grow(u, seed, target, order)
            m = u.mask(cube)
            gain = (m & uncovered).bit_count()
            if gain > best_new:
                best, best_new = (cube, m), gain
        cubes.append(best)
        uncovered &= ~best[1]
    # Drop a cube whose points the others cover (smallest first).
    cubes.sort(key=lambda cm: (cm[1]).bit_count())
    kept = list(cubes)
    for cm in cubes:
        rest = 0
        for other in kept:
            if other is not cm:
                rest |= other[1]
        if cm[1] & ~rest == 0:
            kept.remove(cm)
    kept.sort(key=lambda cm: -(cm[1]).bit_count())
    return [(cube, (m).bit_count()) for cube, m in kept]


def present(u, cube):
    """{dimension: values that some sequence of the cube has}, in the
    space's order: what a pattern says, with nothing that cannot occur (a
    tcp cube's states never include udp's)."""
    m = u.mask(cube)
    out = {}
    for d in u.dims:
        out[d] = []
        for v in u.values[d]:
            if v not in cube[d]:
                continue
            trial = dict(cube)
            trial[d] = {v}
            if u.mask(trial) & m:
                out[d].append(v)
    return out


def free_dims(u, cube):
    """Dimensions the pattern says nothing about ("any"): every value of the
    dimension occurs in the cube."""
    return {d for d, vals in present(u, cube).items() if len(vals) == len(u.values[d])}


def match_of(u, cube):
    """{dimension: [values]} for the dimensions the pattern names, values in
    the space's order; a dimension left out is "any"."""
    return {d: vals for d, vals in present(u, cube).items() if len(vals) < len(u.values[d])}


def group(u, differing):
    """differing: {point index: signature}. Returns [(signature, cube, count)]
    for every signature, largest groups first."""
    by_sig = {}
    for i, sig in differing.items():
        by_sig.setdefault(sig, []).append(i)
    out = []
    for sig, idx in by_sig.items():
        for cube, n in minimise(u, u.bits(idx)):
            out.append((sig, cube, n))
    out.sort(key=lambda t: (-t[2], str(t[0])))
    return out
