"""Derived predicates of explore/predicates.yaml ("addresses overlap", "both
SO_REUSEPORT", ...), computed for every socket pair of a shape from the value
attributes of explore/space.yaml, as bitsets over a patterns.Universe.

A socket is the dimensions space.yaml's `pattern:` section lists under its
name (first:, second:, third:); each dimension plays the role of the
attributes its values carry (ip and v6only, reuseaddr and reuseport, dev,
uid) or is the socket's state when all its values are states of
predicates.yaml. A predicate depends on a few dimensions only, so its bitset
is the union, over the combinations of their values where it holds, of the
intersection of those values' bitsets: no per-sequence evaluation.

A predicate `over: binding` is read at the moment socket j binds: j as it
binds (its bound address, no state yet), the earlier socket i as it is then
(its state, less what it took back before j binds: predicates.yaml's
`clears`); it is the conjunction of its `all` tests, each a bitset of its own
few dimensions. `over: last` holds where its `any` binding predicate holds
for the socket that binds last against some earlier socket."""
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
OVER = ("pair", "socket", "binding", "last")
SOCKET_NAMES = ("first", "second", "third", "fourth")


class PredicateError(Exception):
    pass


def load(path=PREDICATES_FILE):
    doc = read_yaml(path, PredicateError, "the predicates")
    preds = doc.get("predicates", {})
    for name, p in preds.items():
        tests = p.get("all", ()) if p.get("over") == "binding" else \
            () if p.get("over") == "last" else (p,)
        if p.get("over") not in OVER or len(p.get("label", ())) != 2 or \
                any(t.get("test") not in TESTS for t in tests) or \
                (p.get("over") == "binding" and not tests) or \
                (p.get("over") == "last" and preds.get(p.get("any"), {}).get("over") != "binding"):
            raise PredicateError(f"{path}: predicate {name} needs `over` (one of {', '.join(OVER)}), "
                                 f"two labels and a `test` of {', '.join(TESTS)} (binding: each "
                                 "of `all`; last: `any`, a binding predicate)")
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
    # SO_REUSEADDR lets the later socket share: both hold it and the earlier
    # one is not listening (TCP's rule; a UDP socket never listens).
    "reuseaddr_shares": lambda p, x, y: bool(int(x["reuseaddr"])) and
    bool(int(y["reuseaddr"])) and not int(x.get("listening", 0) or 0),
}
READS = {"reuseaddr_shares": ("reuseaddr", "listening")}


def reads(test):
    """The attributes a test reads."""
    if test["test"] in ADDRESS_TESTS:
        return ADDRESS
    return READS[test["test"]] if test["test"] in READS else (test["attr"],)


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
                elif d in doc.get("clears", {}):
                    self.role[d] = "clears"
                else:
                    keys = {k for i in infos for k in i if k in ROLES}
                    self.role[d] = next(iter(sorted(keys)), None)

    def inputs(self, s, attrs):
        """The dimensions socket s's attributes `attrs` depend on."""
        return [d for d in self.dims[s] if set(self.provides(d)) & set(attrs)]

    def binding_inputs(self, i, j, attrs, of=None):
        """The dimensions of sockets i < j (or only one, `of` "i" or "j")
        the attributes `attrs` depend on when j binds: j's without its
        state, i's with what it clears."""
        later = [d for d in self.inputs(j, attrs) if self.role.get(d) != "state"]
        clears = [d for d in self.dims[i] if self.role.get(d) == "clears" and
                  {k for ks in self.doc["clears"][d]["values"].values() for k in ks}
                  & set(attrs)]
        earlier = self.inputs(i, attrs) + clears
        return {"i": earlier, "j": later}.get(of, earlier + later)

    def provides(self, d):
        role = self.role.get(d)
        if role == "state":
            return {"state"} | {k for a in self.doc["states"].values() for k in (a or {})}
        return ROLES.get(role, ())

    def attrs(self, s, values, later=None):
        """Socket s's attributes given {dim: value} for its inputs; with
        `later` (a socket's index), as s is when that socket binds, less
        what it took back before then."""
        out = dict(self.doc.get("defaults", {}))
        out.setdefault("ip", None)
        out.setdefault("v6only", -1)
        address = device = None
        cleared = []
        for d in self.dims[s]:
            if d not in values:
                continue
            v, role = values[d], self.role[d]
            info = self.sp.info[d][v] or {}
            if role == "state":
                out["state"] = v
                out.update(self.doc["states"].get(v) or {})
            elif role == "clears":
                c = self.doc["clears"][d]
                if later is not None and c["before"] in self.names and \
                        self.names.index(c["before"]) <= later:
                    cleared += c["values"].get(v, [])
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
        defaults = self.doc.get("defaults", {})
        out.update({k: defaults.get(k, 0) for k in cleared})
        return out

    def binding_mask(self, u, test, i, j):
        """Bitset of one test of a binding predicate for sockets i < j: a
        pair test, or a socket test of the one its `of` names."""
        dims = sorted(set(self.binding_inputs(i, j, reads(test), test.get("of"))),
                      key=u.dims.index)

        def holds(values):
            x, y = self.attrs(i, values, later=j), self.attrs(j, values)
            args = {"i": (x,), "j": (y,)}.get(test.get("of"), (x, y))
            return TESTS[test["test"]](test, *args) != bool(test.get("not"))
        return cells(u, dims, holds)


def cells(u, dims, holds):
    """Bitset of the sequences whose values of `dims` make holds({dim:
    value}) true: the union of the cells (intersections of value bitsets)
    of the combinations where it does."""
    m = 0
    for combo in itertools.product(*(u.values[d] for d in dims)):
        values = dict(zip(dims, combo))
        if holds(values):
            cell = u.all
            for d, v in values.items():
                cell &= u.masks[d][v]
                if not cell:
                    break
            m |= cell
    return m


def masks(u, sp, doc=None):
    """[(name, label if true, label if false, bitset)] of every predicate of
    the file, for every socket or pair of sockets of the space (`last`: for
    the socket that binds last)."""
    doc = doc if doc is not None else load()
    socks = Sockets(sp, doc)
    n = len(socks.names)
    preds = doc.get("predicates", {})
    binding = {}

    def bound(name, g):
        if (name, g) not in binding:
            m = u.all
            for test in preds[name]["all"]:
                m &= socks.binding_mask(u, test, *g)
            binding[name, g] = m
        return binding[name, g]
    out = []
    for name, p in preds.items():
        if p["over"] in ("pair", "binding"):
            groups = list(itertools.combinations(range(n), 2))
        elif p["over"] == "last":
            groups = [(n - 1,)]
        else:
            groups = [(s,) for s in range(n)
                      if any(socks.role.get(d) == "state" for d in socks.dims[s])]
        for g in groups:
            if p["over"] == "binding":
                m = bound(name, g)
            elif p["over"] == "last":
                m = 0
                for i in range(n - 1):
                    m |= bound(p["any"], (i, n - 1))
            else:
                dims = sorted({d for s in g for d in socks.inputs(s, reads(p))}, key=u.dims.index)
                m = cells(u, dims, lambda values, g=g, p=p:
                          TESTS[p["test"]](p, *(socks.attrs(s, values) for s in g)))
            names = {"i": socks.names[g[0]], "j": socks.names[g[-1]], "s": socks.names[g[0]]}
            labels = [(lab.replace("{i},{j} ", "") if n == 2 else lab).format(**names)
                      for lab in p["label"]]
            tag = name + "(" + ",".join(socks.names[s] for s in g) + ")"
            out.append((tag, labels[0], labels[1], m))
    return out
