"""Predictions for the explorer's two-socket sequences (explore/space.yaml):
the first socket is given its options (before bind, after it, or before it
and cleared after), bound and brought to its state; then the second binds
and, for TCP, listens. Kind "explore_sequence" (the explorer) and
"explorer_key" (a curated case that runs one explorer sequence) share one
shape of parameters: {"proto", "sockets": [first, second], "sysctls",
"connect_to", "peer", "explorer_key"}, each socket an object as
fixtures/sock_params.cc writes it (explore_params builds it from a key)."""

from . import kinds
from .bindcheck import Port, check, update_bucket
from .sockets import ip_of, sock, unmapped
from .topology import device_of, route_device, source_for

_TIMING = {"before": None, "after": "after_bind", "cleared": "cleared_after_bind"}


def _sock_obj(a, o, d, state, uid, when):
    """One explorer socket as a case's socket object."""
    ip, dev = str(a["ip"]), d["dev"]
    v6only = {1: True, 0: False}.get(int(a["v6only"]))
    options = {"reuseaddr": bool(o["reuseaddr"]), "reuseport": bool(o["reuseport"]),
               "device": dev or None}
    timing = {k: _TIMING[when] for k, v in options.items() if v and _TIMING[when]}
    return {"family": 6 if ":" in ip else 4, "addr": ip, "scope": None, "port": "shared",
            **options, "v6only": v6only, "state": state, "euid": uid, "timing": timing}


def explore_params(seq, space):
    """The parameters of one sequence, {dimension: value}, with the concrete
    addresses, options, devices and EUID the space file gives its values (a
    triple's when it has socket 3's dimensions)."""
    if "a3" in seq:
        return triple_params(seq, space)
    info = space["dimensions"]
    dims = {}
    for n in ("1", "2"):
        dims[n] = (info[f"a{n}"]["values"][seq[f"a{n}"]], info[f"o{n}"]["values"][seq[f"o{n}"]],
                   info[f"d{n}"]["values"][seq[f"d{n}"]])
    a1 = dims["1"][0]
    uid = int(info["euid"]["values"][seq["euid"]]["uid"])
    second_state = "listen" if seq["proto"] == "tcp" else "bound"
    return {"kind": "explore_sequence", "proto": seq["proto"],
            "sockets": [_sock_obj(*dims["1"], seq["state"], 0, seq["when"]),
                        _sock_obj(*dims["2"], second_state, uid, "before")],
            "sysctls": {},
            "connect_to": str(a1["target"][seq["d1"]]),
            "peer": str(a1["peer"][seq["d1"]]),
            "explorer_key": list(seq.values())}


def _bind_refused(sock, ctx):
    """bind()'s own checks, before any conflict: a host-scope IPv6 address
    (::1) can be bound only on its device (R6.v6-host-address-on-device)."""
    ip = sock.ip
    if sock.family == 6 and ip.is_loopback and sock.dev and sock.dev != "lo" \
            and ctx.on("R6.v6-host-address-on-device"):
        return "bind:EADDRNOTAVAIL", ["R6.v6-host-address-on-device"]
    return None


def _connect_refused(sock, peer, ctx):
    """connect()'s routing for a UDP socket bound to a device."""
    if not sock.dev:
        return None
    dest = ip_of(peer)
    v4 = unmapped(peer)
    if v4.is_loopback and sock.dev != "lo" and dest.version == 4 and ctx.on("R6.route-by-device"):
        return "connect:EINVAL", ["R6.route-by-device"]
    if dest.version == 6 and dest.ipv4_mapped is None and route_device(peer) != sock.dev \
            and ctx.on("R6.route-by-device"):
        return "connect:ENETUNREACH", ["R6.route-by-device"]
    return None


def _connected(s, peer, ctx):
    """A UDP socket after connect(peer), or (None, (token, rules)) when the
    route refuses: connect() fills in a wildcard's local address with the
    source the route picks."""
    refused = _connect_refused(s, peer, ctx)
    if refused:
        return None, refused
    s = s.with_(state="connected")
    if s.ip.is_unspecified or (s.mapped is not None and s.mapped.is_unspecified):
        src = source_for(peer)
        alias = "127.0.0.6" if s.family == 6 and ":" in src and "." not in src else ""
        s = s.with_(addr=src, v4_alias=alias)
    return s, None


def _first(p, ctx, obj=None):
    """(port, first socket as the second finds it) or (None, (token, rules))
    when the kernel refuses the first socket's premise."""
    proto = p["proto"]
    obj = obj or p["sockets"][0]
    state = obj["state"]
    final = sock(obj, proto).with_(state="bound")
    at_bind = final.binding()
    final = final.bound()
    refused = _bind_refused(at_bind, ctx)
    if refused:
        return None, refused
    port = Port()
    port.socks.append(at_bind)
    update_bucket(port, at_bind, ctx)
    port.socks[-1] = final
    if state == "bound":
        return port, final
    if state == "listen":
        s = final.with_(state="listen")
        port.socks[-1] = s
        update_bucket(port, s, ctx)
        return port, s
    if state == "connected":
        s, refused = _connected(final, p["peer"], ctx)
        if refused:
            return None, refused
        port.socks[-1] = s
        return port, s
    # timewait, established: the first socket listened, a client connected to
    # `connect_to`, the listener accepted and closed.
    listener = final.with_(state="listen")
    port.socks[-1] = listener
    update_bucket(port, listener, ctx)
    arrives = device_of(p["connect_to"])
    if final.dev and final.dev != arrives and ctx.on("R6.device-serves"):
        return None, ("connect:ECONNREFUSED", ["R6.device-serves"])
    target = ip_of(p["connect_to"])
    addr = str(target) if final.family == target.version else f"::ffff:{target}"
    # An IPv6 child of a wildcard listener keeps the listener's V6ONLY and, for
    # an IPv6 connection, the IPv4 alias a specific bind would not have.
    alias = "127.0.0.6" if final.family == 6 and final.ip.is_unspecified and \
        target.version == 6 else ""
    child = final.with_(addr=addr, v4_alias=alias, state=state)
    port.socks[-1] = child
    return port, child


def _join(port, obj, proto, ctx, listen):
    """A socket binds the port (and, with listen, listens): ("ok", rules,
    the socket as it stays on the port) or (token, rules, None)."""
    new = sock(obj, proto).with_(state="bound")
    refused = _bind_refused(new, ctx)
    if refused:
        return refused[0], refused[1], None
    d = check(port, new, ctx)
    if not d.ok:
        return "bind:EADDRINUSE", d.rules, None
    port.socks.append(new)
    update_bucket(port, new, ctx)
    if not listen:
        return "ok", d.rules, new
    s = new.with_(state="listen")
    port.socks[-1] = s
    d2 = check(port, s, ctx, listening=True)
    if not d2.ok:
        return "listen:EADDRINUSE", d2.rules, None
    update_bucket(port, s, ctx)
    return "ok", d.rules + [r for r in d2.rules if r not in d.rules], s


@kinds.register("explore_sequence")
def explore_sequence(p, ctx):
    port, first = _first(p, ctx)
    if port is None:
        token, rules = first
        return f"sock1.{token}", rules
    token, rules, _ = _join(port, p["sockets"][1], p["proto"], ctx, p["proto"] == "tcp")
    return token, rules


# --- three sockets ---------------------------------------------------------------

def triple_params(seq, space):
    """A triple's parameters: socket 1 (options before bind; `timing` says
    what it clears once socket 2 reached its state), socket 2 in `state2`,
    socket 3 binding (and, for TCP, listening)."""
    info = space["dimensions"]
    tri = space["triples"]["dimensions"]

    def values(d):
        return info[tri[d]["from"]]["values"][seq[d]] if "from" in tri[d] else \
            tri[d]["values"][seq[d]]
    socks = []
    for n, state, uid in (("1", seq["state"], 0),
                          ("2", seq["state2"], int(values("euid")["uid"])),
                          ("3", "listen" if seq["proto"] == "tcp" else "bound",
                           int(values("euid3")["uid"]))):
        socks.append(_sock_obj(values(f"a{n}"), values(f"o{n}"), values(f"d{n}"), state, uid,
                               "before"))
    cleared = {"ra": "reuseaddr", "rp": "reuseport", "dev": "device"}.get(seq["change"])
    if cleared:
        socks[0]["timing"] = {cleared: "cleared_after_second"}
    a1, a2 = values("a1"), values("a2")
    return {"kind": "explore_triple", "proto": seq["proto"], "sockets": socks, "sysctls": {},
            "connect_to": str(a1["target"][seq["d1"]]), "peer": str(a1["peer"][seq["d1"]]),
            "peer2": str(a2["peer"][seq["d2"]]), "explorer_key": list(seq.values())}


_CLEARED = {"reuseaddr": ("reuseaddr", False), "reuseport": ("reuseport", False),
            "device": ("dev", "")}


def through_second(p, ctx):
    """(port, failure): the port once sockets 1 and 2 reached their states,
    or (None, (token, rules)) where socket 1's premise or socket 2's step
    fails (the triples the space prunes when every kernel fails them)."""
    proto = p["proto"]
    first_obj = p["sockets"][0]
    port, first = _first(p, ctx, {**first_obj, "timing": {}})
    if port is None:
        token, rules = first
        return None, (f"sock1.{token}", rules)
    second = p["sockets"][1]
    token, rules, s2 = _join(port, {**second, "state": "bound"}, proto, ctx,
                             second["state"] == "listen")
    if s2 is None:
        return None, (f"sock2.{token}", rules)
    if second["state"] == "connected":
        s, refused = _connected(s2, p["peer2"], ctx)
        if refused:
            return None, (f"sock2.{refused[0]}", refused[1])
        port.socks[-1] = s
    return port, None


@kinds.register("explore_triple")
def explore_triple(p, ctx):
    """Socket 3's bind (and listen) after sockets 1 and 2; socket 1's cleared
    option leaves the port's cached reuse state (the bucket) as it was."""
    port, failed = through_second(p, ctx)
    if port is None:
        return failed
    for option in p["sockets"][0]["timing"]:
        field, unset = _CLEARED[option]
        s1 = port.socks[0]
        port.socks[0] = s1.with_(**{field: unset}, at_bind=((field, getattr(s1, field)),))
    token, rules, _ = _join(port, p["sockets"][2], p["proto"], ctx, p["proto"] == "tcp")
    return token, rules


@kinds.register("explorer_key")
def explorer_key(p, ctx):
    """A curated case that runs one explorer sequence: the same parameters."""
    return explore_sequence(p, ctx)
