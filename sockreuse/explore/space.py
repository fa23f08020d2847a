"""The space of explore/space.yaml: its dimensions, the meaningful
sequences in a fixed order, and keys.

A key names one sequence: the values of every dimension in the file's order,
separated by single spaces, e.g. "tcp listen after any4 ra s0 s0_4 rp none
other". Every value name is unique within its dimension, so `parse_key`
recovers {dimension: value} from a key alone."""
import ipaddress
import itertools
import os

from sockreuse import topology_facts
from sockreuse.files import read_yaml
from sockreuse.paths import REPO
SPACE_FILE = os.path.join(REPO, "explore", "space.yaml")


class SpaceError(Exception):
    pass


class Space:
    """One shape of sequences: the pairs (the file's top level), or, with
    shape="triples", the three-socket sequences of its `triples` section,
    whose socket-2 prune (sockreuse/explore/prune.py) `sequences` applies."""
    shape = "pairs"
    triples = None  # the pairs' Space carries the triples' (load)

    def __init__(self, doc, path=SPACE_FILE, shape="pairs"):
        self.path = path
        self.shape = shape
        self._kept = None
        self._count = None
        try:
            part = doc if shape == "pairs" else doc[shape]
            dims = part["dimensions"] if shape == "pairs" else shape_dimensions(doc, part)
            self.dims = list(dims)
            self.values = {d: list(dims[d]["values"]) for d in self.dims}
            self.info = {d: dims[d]["values"] for d in self.dims}
            self.docs = {d: dims[d].get("doc", "") for d in self.dims}
            self.constraints = [(c["if"], c["then"]) for c in part.get("constraints", [])]
            # Each socket's dimensions of this shape, in the order a pattern prints them.
            self.pattern_order = {g: [d for d in names if d in dims]
                                  for g, names in doc.get("pattern", {}).items()
                                  if any(d in dims for d in names)}
            self.prune = part.get("prune") if shape != "pairs" else None
            self.doc = doc  # resolved: what the prune builds the model's parameters from
        except (KeyError, TypeError) as e:
            raise SpaceError(f"{path}: malformed space ({e})")
        for cond, then in self.constraints:
            for d, vals in list(cond.items()) + list(then.items()):
                if d not in self.values or any(v not in self.values[d] for v in vals):
                    raise SpaceError(f"{path}: constraint names unknown {d}={vals}")
        self._coupled = self._groups()

    # --- meaningful sequences -------------------------------------------------
    def allowed(self, seq):
        """seq: {dim: value}. True when every constraint holds."""
        for cond, then in self.constraints:
            if all(seq[d] in vals for d, vals in cond.items()) and \
                    not all(seq[d] in vals for d, vals in then.items()):
                return False
        return True

    def _groups(self):
        """Dimensions the constraints tie together, as groups (lists in key
        order); every other dimension is free."""
        parent = {d: d for d in self.dims}

        def find(d):
            while parent[d] != d:
                d = parent[d]
            return d
        for cond, then in self.constraints:
            names = list(cond) + list(then)
            for n in names[1:]:
                parent[find(n)] = find(names[0])
        groups = {}
        for d in self.dims:
            groups.setdefault(find(d), []).append(d)
        return list(groups.values())

    def group_combos(self, group, restrict=None):
        """The allowed value combinations of a coupled group of dimensions,
        each value limited to restrict[dim] when given."""
        restrict = restrict or {}
        lists = [restrict.get(d, self.values[d]) for d in group]
        out = []
        for combo in itertools.product(*lists):
            seq = dict(zip(group, combo))
            ok = True
            for cond, then in self.constraints:
                if not set(cond) | set(then) <= set(group):
                    continue
                if all(seq[d] in v for d, v in cond.items()) and \
                        not all(seq[d] in v for d, v in then.items()):
                    ok = False
                    break
            if ok:
                out.append(combo)
        return out

    def count(self, restrict=None):
        """How many meaningful sequences have every dim's value in restrict[dim]
        (a pruned shape counts its sequences one by one)."""
        if self.prune:
            if restrict is None:
                if self._count is None:
                    self._count = sum(1 for _ in self.sequences())
                return self._count
            return sum(1 for c in self.sequences()
                       if all(v in restrict.get(d, (v,)) for d, v in zip(self.dims, c)))
        n = 1
        for g in self._coupled:
            n *= len(self.group_combos(g, restrict))
        return n

    def sequences(self):
        """Every meaningful sequence as a tuple of values in key order, in
        the space's own order (dimensions and values as the file lists them).
        A constraint is checked as soon as its last dimension has a value, so
        whole subtrees of meaningless prefixes are never built."""
        if self.prune:
            yield from self._pruned_sequences()
            return
        last = {}
        for i, (cond, then) in enumerate(self.constraints):
            depth = max(self.dims.index(d) for d in list(cond) + list(then))
            last.setdefault(depth, []).append(i)
        tail = max(last) + 1 if last else 0
        tail_product = list(itertools.product(*(self.values[d] for d in self.dims[tail:])))

        def ok(prefix, checks):
            seq = dict(zip(self.dims, prefix))
            for i in checks:
                cond, then = self.constraints[i]
                if all(seq[d] in v for d, v in cond.items()) and \
                        not all(seq[d] in v for d, v in then.items()):
                    return False
            return True

        def walk(prefix):
            depth = len(prefix)
            if depth == tail:
                for rest in tail_product:
                    yield prefix + rest
                return
            for v in self.values[self.dims[depth]]:
                nxt = prefix + (v,)
                if depth in last and not ok(nxt, last[depth]):
                    continue
                yield from walk(nxt)
        yield from walk(())

    def _pruned_sequences(self):
        """A pruned shape's sequences: every kept prefix (sockets 1 and 2, in
        the space's order) followed by every allowed rest. Which rests are
        allowed depends on the prefix only through the dimensions the
        constraints tie to them, so each such combination is worked out once."""
        cut = self.dims.index(PRUNE_AFTER) + 1
        head, rest = self.dims[:cut], self.dims[cut:]
        tied = sorted({head.index(d) for cond, then in self.constraints
                       if (set(cond) | set(then)) & set(rest)
                       for d in list(cond) + list(then) if d in head})
        rests = list(itertools.product(*(self.values[d] for d in rest)))
        memo = {}
        order = {d: {v: i for i, v in enumerate(self.values[d])} for d in head}
        for prefix in sorted(self.kept_prefixes(),
                             key=lambda c: [order[d][v] for d, v in zip(head, c)]):
            sig = tuple(prefix[i] for i in tied)
            if sig not in memo:
                memo[sig] = [r for r in rests if self.allowed(dict(zip(self.dims, prefix + r)))]
            for r in memo[sig]:
                yield prefix + r

    def kept_prefixes(self):
        """The settings of sockets 1 and 2 (values up to PRUNE_AFTER) the prune keeps."""
        if self._kept is None:
            from sockreuse.explore import prune  # the model, only for a pruned shape
            self._kept = prune.kept(self, self.doc, self.dims.index(PRUNE_AFTER) + 1)
        return self._kept

    def shapes(self):
        """This space and the shapes it carries, pairs first."""
        return [self] + ([self.triples] if self.triples else [])

    def shape_of(self, key):
        """The Space whose keys have this key's length (pairs 10, triples 15)."""
        n = key.count(" ") + 1
        return next((s for s in self.shapes() if len(s.dims) == n), self)

    def counts(self):
        """{shape: number of sequences}, e.g. {"pairs": 489600, "triples": ...}."""
        return {s.shape: s.count() for s in self.shapes()}

    # --- keys ---------------------------------------------------------------
    def key(self, combo):
        return " ".join(combo)

    def parse_key(self, key):
        """{dimension: value} of a key of any shape (its length says which);
        SpaceError when it is not one of this space's."""
        parts = key.split(" ")
        other = self.shape_of(key)
        if other is not self:
            return other.parse_key(key)
        if len(parts) != len(self.dims):
            raise SpaceError(f"key '{key}' has {len(parts)} values, the space {len(self.dims)}")
        seq = dict(zip(self.dims, parts))
        for d, v in seq.items():
            if v not in self.values[d]:
                raise SpaceError(f"key '{key}': '{v}' is no value of {d} "
                                 f"({', '.join(self.values[d])})")
        return seq

    def label(self, dim, value):
        return str(self.info[dim][value].get("label", value))


def read(path=SPACE_FILE):
    """The space file's document with every address resolved (resolve)."""
    return resolve(read_yaml(path, SpaceError, "the space"), path)


def load(path=SPACE_FILE):
    """The pairs' Space; its `triples` attribute is the three-socket shape's
    (None when the file has no `triples` section)."""
    doc = read(path)
    sp = Space(doc, path)
    if "triples" in doc:
        sp.triples = Space(doc, path, "triples")
    return sp


# The prune decides on the settings of sockets 1 and 2: the dimensions up to this one.
PRUNE_AFTER = "euid"


def shape_dimensions(doc, part):
    """A shape's dimensions in key order; `{from: d, only: [...]}` is the
    pairs' dimension d, its values limited to `only`."""
    out = {}
    for name, dd in part["dimensions"].items():
        if "from" in dd:
            base = doc["dimensions"][dd["from"]]
            only = dd.get("only") or list(base["values"])
            dd = {**base, "values": {v: base["values"][v] for v in only}}
        out[name] = dd
    return out


# --- addresses by name ---------------------------------------------------------
def resolve(doc, path=SPACE_FILE):
    """doc with the addresses of its address dimensions (values with an
    `ip`) made concrete: ip, target and peer name an address of
    fixtures/topology.yaml (topology_facts.named: s0_4, c1_6, lo_4_mapped
    ...) or are a literal outside the topology (a wildcard); a label may say
    {name}. A topology address written as a literal is an error, so that the
    topology file stays the one place it is written."""
    try:
        named = topology_facts.named()
    except topology_facts.TopologyError as e:
        raise SpaceError(str(e))
    name_of = {a: n for n, a in reversed(named.items())}

    def addr(text, where):
        text = str(text)
        if text in named:
            return named[text]
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise SpaceError(f"{path}: {where}: '{text}' is no address and no name in "
                             f"{topology_facts.TOPOLOGY_FILE} ({', '.join(named)})")
        if text in name_of:
            raise SpaceError(f"{path}: {where}: write {text} by its name, {name_of[text]}")
        return text

    def value(where, info):
        if not isinstance(info, dict) or "ip" not in info:
            return info
        try:
            label = {"label": str(info["label"]).format_map(named)} if "label" in info else {}
        except (KeyError, ValueError) as e:
            raise SpaceError(f"{path}: {where}: label names no address of the topology ({e})")
        return {**info, **label, "ip": addr(info["ip"], where),
                **{k: {d: addr(a, f"{where} {k} {d}") for d, a in info[k].items()}
                   for k in ("target", "peer") if isinstance(info.get(k), dict)}}

    try:
        dims = {d: {**dd, "values": {v: value(f"{d} {v}", i) for v, i in dd["values"].items()}}
                for d, dd in doc["dimensions"].items()}
    except (KeyError, TypeError, AttributeError) as e:
        raise SpaceError(f"{path}: malformed space ({e})")
    return {**doc, "dimensions": dims}


# --- the executor's input -----------------------------------------------------
def legend(space):
    """Lines telling the executor what each value means concretely, so that
    its code holds no value of the space (see explore/input.h)."""
    out = []
    for role, dims in (("addr", ("a1",)), ("opts", ("o1",)), ("dev", ("d1",)),
                       ("euid", ("euid",))):
        for name, info in space.info[dims[0]].items():
            if role == "addr":
                t, p = info["target"], info["peer"]
                out.append(f"addr {name} {info['ip']} {info['v6only']} "
                           f"{t['none']} {t['s0']} {t['s1']} {p['none']} {p['s0']} {p['s1']}")
            elif role == "opts":
                out.append(f"opts {name} {int(info['reuseaddr'])} {int(info['reuseport'])}")
            elif role == "dev":
                out.append(f"dev {name} {info['dev'] or '-'}")
            else:
                out.append(f"euid {name} {int(info['uid'])}")
    return out
