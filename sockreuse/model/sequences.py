"""Predictions for the explorer's two-socket sequences (explore/space.yaml):
the first socket is given its options (before bind, after it, or before it
and cleared after), bound and brought to its state; then the second binds
and, for TCP, listens. Kind "explore_sequence": the parameters are the
sequence's values by dimension plus the concrete addresses the space gives
them (see explore_params)."""

import functools

from sockreuse.explore.space import read as read_space

from . import kinds
from .bindcheck import Port, check, update_bucket
from .sockets import Sock, ip_of, unmapped, v6only_on_bind
from .topology import device_of, route_device, source_for


def explore_params(seq, space):
    """The parameters of one sequence: {dimension: value} plus, from the space
    file's data, each socket's address, V6ONLY, options, device and EUID."""
    info = space["dimensions"]
    p = {"kind": "explore_sequence", **seq}
    for n in ("1", "2"):
        a = info[f"a{n}"]["values"][seq[f"a{n}"]]
        o = info[f"o{n}"]["values"][seq[f"o{n}"]]
        d = info[f"d{n}"]["values"][seq[f"d{n}"]]
        p[f"ip{n}"] = str(a["ip"])
        p[f"v6only{n}"] = int(a["v6only"])
        p[f"ra{n}"], p[f"rp{n}"] = int(o["reuseaddr"]), int(o["reuseport"])
        p[f"dev{n}"] = d["dev"]
        if n == "1":
            p["target"] = str(a["target"][seq["d1"]])
            p["peer"] = str(a["peer"][seq["d1"]])
    p["uid2"] = int(info["euid"]["values"][seq["euid"]]["uid"])
    return p


def _sock(p, n, proto, uid=0, with_options=True):
    ip = p[f"ip{n}"]
    return Sock(proto=proto, family=6 if ":" in ip else 4, addr=ip,
                reuseaddr=bool(p[f"ra{n}"]) and with_options,
                reuseport=bool(p[f"rp{n}"]) and with_options,
                v6only=v6only_on_bind(ip, p[f"v6only{n}"] == 1),
                dev=p[f"dev{n}"] if with_options else "", euid=uid)


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


def _first(p, ctx):
    """(port, first socket as the second finds it) or (token, rules) when the
    kernel refuses the first socket's premise."""
    proto, when, state = p["proto"], p["when"], p["state"]
    final = _sock(p, "1", proto, with_options=when != "cleared")
    at_bind = _sock(p, "1", proto, with_options=when != "after")
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
        refused = _connect_refused(final, p["peer"], ctx)
        if refused:
            return None, refused
        s = final.with_(state="connected")
        if s.ip.is_unspecified or (s.mapped is not None and s.mapped.is_unspecified):
            # connect() fills in a wildcard's local address with the source the route picks.
            src = source_for(p["peer"])
            alias = "127.0.0.6" if s.family == 6 and ":" in src and "." not in src else ""
            s = s.with_(addr=src, v4_alias=alias)
        port.socks[-1] = s
        return port, s
    # timewait, established: the first socket listened, a client connected to
    # `target`, the listener accepted and closed.
    listener = final.with_(state="listen")
    port.socks[-1] = listener
    update_bucket(port, listener, ctx)
    arrives = device_of(p["target"])
    if final.dev and final.dev != arrives and ctx.on("R6.device-serves"):
        return None, ("connect:ECONNREFUSED", ["R6.device-serves"])
    target = ip_of(p["target"])
    addr = str(target) if final.family == target.version else f"::ffff:{target}"
    # An IPv6 child of a wildcard listener keeps the listener's V6ONLY and, for
    # an IPv6 connection, the IPv4 alias a specific bind would not have.
    alias = "127.0.0.6" if final.family == 6 and final.ip.is_unspecified and \
        target.version == 6 else ""
    child = final.with_(addr=addr, v4_alias=alias,
                        state="tw" if state == "timewait" else "established")
    port.socks[-1] = child
    return port, child


@kinds.register("explore_sequence")
def explore_sequence(p, ctx):
    port, first = _first(p, ctx)
    if port is None:
        token, rules = first
        return f"sock1.{token}", rules
    proto = p["proto"]
    second = _sock(p, "2", proto, uid=p["uid2"])
    refused = _bind_refused(second, ctx)
    if refused:
        return refused
    d = check(port, second, ctx)
    if not d.ok:
        return "bind:EADDRINUSE", d.rules
    if proto == "udp":
        return "ok", d.rules
    port.socks.append(second)
    update_bucket(port, second, ctx)
    s = second.with_(state="listen")
    port.socks[-1] = s
    d2 = check(port, s, ctx, listening=True)
    if not d2.ok:
        return "listen:EADDRINUSE", d2.rules
    return "ok", d.rules + [r for r in d2.rules if r not in d.rules]


@functools.lru_cache(maxsize=1)
def _space():
    return read_space()


@kinds.register("explorer_key")
def explorer_key(p, ctx):
    """A curated case that runs one explorer sequence, named by its key."""
    doc = _space()
    seq = dict(zip(doc["dimensions"], p["explorer_key"].split(" ")))
    return explore_sequence(explore_params(seq, doc), ctx)
