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
    def __init__(self, doc, path=SPACE_FILE):
        self.path = path
        try:
            self.dims = list(doc["dimensions"])
            self.values = {d: list(doc["dimensions"][d]["values"]) for d in self.dims}
            self.info = {d: doc["dimensions"][d]["values"] for d in self.dims}
            self.docs = {d: doc["dimensions"][d].get("doc", "") for d in self.dims}
            self.constraints = [(c["if"], c["then"]) for c in doc.get("constraints", [])]
            self.pattern_order = doc.get("pattern", {})
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
        """How many meaningful sequences have every dim's value in restrict[dim]."""
        n = 1
        for g in self._coupled:
            n *= len(self.group_combos(g, restrict))
        return n

    def sequences(self):
        """Every meaningful sequence as a tuple of values in key order, in
        the space's own order (dimensions and values as the file lists them).
        A constraint is checked as soon as its last dimension has a value, so
        whole subtrees of meaningless prefixes are never built."""
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

    # --- keys ---------------------------------------------------------------
    def key(self, combo):
        return " ".join(combo)

    def parse_key(self, key):
        """{dimension: value} of a key; SpaceError when it is not one of this space's."""
        parts = key.split(" ")
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
    return Space(read(path), path)


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
