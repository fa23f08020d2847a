"""Derived predicates of explore/predicates.yaml ("addresses overlap", "both
SO_REUSEPORT", ...), computed for every socket pair of a shape from the value
attributes of explore/space.yaml, as bitsets over a patterns.Universe.

A socket is the dimensions space.yaml's `pattern:` section lists under its
name (first:, second:, third:); each dimension plays the role of the
attributes its values carry (ip and v6only, reuseaddr and reuseport, dev,
uid) or is the socket's state when all its values are states of
predicates.yaml. A predicate depends on a few dimensions only, so its bitset
is the union, over the combinations of their values where it holds, of the
intersection of those values' bitsets: no per-sequence evaluation."""
import ipaddress
import itertools
import os

from sockreuse.files import read_yaml
from sockreuse.paths import REPO

PREDICATES_FILE = os.path.join(REPO, "explore", "predicates.yaml")
ROLES = {"ip": ("ip", "v6only"), "reuseaddr": ("reuseaddr", "reuseport"),
         "reuseport": ("reuseaddr", "reuseport"), "dev": ("dev",), "uid": ("uid",)}
# An address test reads the state and the device too: a connected socket's
# address is its connection's (predicates.yaml, states).
ADDRESS = ("ip", "v6only", "dev", "state")
ADDRESS_TESTS = ("overlap", "same_family", "same_address")
SOCKET_NAMES = ("first", "second", "third", "fourth")


class PredicateError(Exception):
    pass


def load(path=PREDICATES_FILE):
    doc = read_yaml(path, PredicateError, "the predicates")
    for name, p in doc.get("predicates", {}).items():
        if p.get("test") not in TESTS or p.get("over") not in ("pair", "socket") or \
                len(p.get("label", ())) != 2:
            raise PredicateError(f"{path}: predicate {name} needs `over` (pair or socket), a "
                                 f"`test` of {', '.join(TESTS)} and two labels")
    return doc


# --- addresses -----------------------------------------------------------------
def accepts(ip, v6only):
    """What a local address matches: (wildcard families, one address or None).
    A v4-mapped address is its IPv4 one; [::] without IPV6_V6ONLY matches
    IPv4 too (the kernel's default, bindv6only=0)."""
    if ip is None:
        return frozenset(), None
    a = ipaddress.ip_address(ip)
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    if not a.is_unspecified:
        return frozenset(), a
    if a.version == 4:
        return frozenset({4}), None
    return (frozenset({6}) if int(v6only) == 1 else frozenset({4, 6})), None


def _overlap(x, y):
    (wx, ax), (wy, ay) = accepts(x["ip"], x["v6only"]), accepts(y["ip"], y["v6only"])
    if (x.get("v4_wildcard") and _ipv4_any(y)) or (y.get("v4_wildcard") and _ipv4_any(x)):
        return True
    if ax is not None and ay is not None:
        return ax == ay
    if ax is not None:
        return ax.version in wy
    if ay is not None:
        return ay.version in wx
    return bool(wx & wy)


def _ipv4_any(s):
    """0.0.0.0 itself (an IPv4 socket), not ::ffff:0.0.0.0."""
    if s["ip"] is None:
        return False
    a = ipaddress.ip_address(s["ip"])
    return a.version == 4 and a.is_unspecified


def _family(s):
    wild, a = accepts(s["ip"], s["v6only"])
    return a.version if a is not None else max(wild, default=None)


TESTS = {
    "overlap": lambda p, x, y: x["ip"] is not None and y["ip"] is not None and _overlap(x, y),
    "same_family": lambda p, x, y: x["ip"] is not None and _family(x) == _family(y),
    "same_address": lambda p, x, y: x["ip"] is not None and
    accepts(x["ip"], x["v6only"]) == accepts(y["ip"], y["v6only"]),
    "both": lambda p, x, y: bool(int(x[p["attr"]])) and bool(int(y[p["attr"]])),
    "equal": lambda p, x, y: x[p["attr"]] == y[p["attr"]],
    "compatible": lambda p, x, y: not x[p["attr"]] or not y[p["attr"]] or
    x[p["attr"]] == y[p["attr"]],
    "set": lambda p, s: bool(int(s.get(p["attr"], 0) or 0)),
}


# --- sockets of a shape ---------------------------------------------------------
class Sockets:
    """The sockets of a space: for each, the dimensions that set its
    attributes, and how a combination of their values reads as attributes."""

    def __init__(self, sp, doc):
        self.sp, self.doc = sp, doc
        states = doc.get("states", {})
        self.names, self.dims, self.role = [], [], {}
        for name in SOCKET_NAMES:
            dims = [d for d in sp.pattern_order.get(name, []) if d in sp.values]
            if not dims:
                continue
            self.names.append(name)
            self.dims.append(dims)
            for d in dims:
                infos = [sp.info[d][v] or {} for v in sp.values[d]]
                if all(v in states for v in sp.values[d]):
                    self.role[d] = "state"
                else:
                    keys = {k for i in infos for k in i if k in ROLES}
                    self.role[d] = next(iter(sorted(keys)), None)

    def inputs(self, s, attrs):
        """The dimensions socket s's attributes `attrs` depend on."""
        return [d for d in self.dims[s] if set(self.provides(d)) & set(attrs)]

    def provides(self, d):
        role = self.role.get(d)
        if role == "state":
            return {"state"} | {k for a in self.doc["states"].values() for k in (a or {})}
        return ROLES.get(role, ())

    def attrs(self, s, values):
        """Socket s's attributes given {dim: value} for its inputs."""
        out = dict(self.doc.get("defaults", {}))
        out.setdefault("ip", None)
        out.setdefault("v6only", -1)
        address = device = None
        for d in self.dims[s]:
            if d not in values:
                continue
            v, role = values[d], self.role[d]
            info = self.sp.info[d][v] or {}
            if role == "state":
                out["state"] = v
                out.update(self.doc["states"].get(v) or {})
            else:
                out.update({k: info[k] for k in ROLES[role] if k in info})
                if role == "ip":
                    address = info
                elif role == "dev":
                    device = v
        if out.get("address") == "target" and address is not None and device is not None:
            # A dual-stack wildcard's connection still meets an IPv4
            # wildcard bind (observed on every kernel of the matrix).
            out["v4_wildcard"] = accepts(out["ip"], out["v6only"])[0] == {4, 6}
            out["ip"] = address.get("target", {}).get(device, out["ip"])
        return out


def masks(u, sp, doc=None):
    """[(name, label if true, label if false, bitset)] of every predicate of
    the file, for every socket or pair of sockets of the space."""
    doc = doc if doc is not None else load()
    socks = Sockets(sp, doc)
    two = len(socks.names) == 2
    out = []
    for name, p in doc.get("predicates", {}).items():
        if p["over"] == "pair":
            groups = list(itertools.combinations(range(len(socks.names)), 2))
        else:
            groups = [(s,) for s in range(len(socks.names))
                      if any(socks.role.get(d) == "state" for d in socks.dims[s])]
        for g in groups:
            reads = ADDRESS if p["test"] in ADDRESS_TESTS else (p["attr"],)
            dims = sorted({d for s in g for d in socks.inputs(s, reads)}, key=u.dims.index)
            m = 0
            for combo in itertools.product(*(u.values[d] for d in dims)):
                values = dict(zip(dims, combo))
                sockets = [socks.attrs(s, values) for s in g]
                if TESTS[p["test"]](p, *sockets):
                    cell = u.all
                    for d, v in values.items():
                        cell &= u.masks[d][v]
                        if not cell:
                            break
                    m |= cell
            names = {"i": socks.names[g[0]], "j": socks.names[g[-1]], "s": socks.names[g[0]]}
            labels = [(lab.replace("{i},{j} ", "") if two else lab).format(**names)
                      for lab in p["label"]]
            tag = name + "(" + ",".join(socks.names[s] for s in g) + ")"
            out.append((tag, labels[0], labels[1], m))
    return out
