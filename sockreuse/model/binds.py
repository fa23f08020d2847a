"""Predictions for the cases that bind and listen: bind sequences, the
bind_wildcard port, listen turns, restarts beside a TIME_WAIT or an
established connection, and the option corners of R5 and R8."""
from sockreuse.topology_facts import named

from . import kinds
from .bindcheck import Port, check, update_bucket
from .sockets import parse

_ADDR = named()
_EXTRA = ("0.0.0.0", _ADDR["lo_4"], ":: dualstack", _ADDR["lo_6"], "::ffff:0.0.0.0 dualstack",
          f"{_ADDR['lo_4_mapped']} dualstack")


def bind(port, sock, ctx):
    """(token, rules) for sock binding (and listening, if its state says so)
    on the port; on success the socket joins the port as it is afterwards."""
    listen = sock.state == "listen"
    s = sock.with_(state="bound")
    if s.family == 6 and s.v6only and s.mapped is not None and ctx.on("R8.mapped-on-v6only"):
        return "bind:EINVAL", ["R8.mapped-on-v6only"]
    d = check(port, s.binding(), ctx)
    if not d.ok:
        return "bind:EADDRINUSE", d.rules
    # One object: update_bucket() recognises the port's first socket by identity.
    at_bind = s.binding()
    port.socks.append(at_bind)
    update_bucket(port, at_bind, ctx)
    port.socks[-1] = s.bound()
    if not listen:
        return "ok", d.rules
    s = s.bound().with_(state="listen")
    port.socks[-1] = s
    d2 = check(port, s, ctx, listening=True)
    if not d2.ok:
        port.socks[-1] = s.with_(state="bound")
        return "listen:EADDRINUSE", d2.rules
    update_bucket(port, s, ctx)
    return "ok", d.rules + [r for r in d2.rules if r not in d.rules]


def sock_names(p):
    """The parameters naming the sequence's sockets, in order: sock1, sock2, ..."""
    return sorted((k for k in p if k.startswith("sock") and k[4:].isdigit()), key=lambda k: int(k[4:]))


def run_sequence(p, step):
    """Each socket of the sequence in turn through step(name) -> (token, rules):
    the last socket's result, or "sock<N>.<token>" for the first that failed."""
    names = sock_names(p)
    for i, name in enumerate(names):
        token, rules = step(name)
        if i + 1 == len(names):
            return token, rules
        if token != "ok":
            return f"{name}.{token}", rules
    raise ValueError("a bind sequence without sockets")


@kinds.register("bind_sequence")
def bind_sequence(p, ctx):
    port = Port()
    return run_sequence(p, lambda name: bind(port, parse(p[name], p["proto"]), ctx))


@kinds.register("bind_wildcard")
def bind_wildcard(p, ctx):
    port = Port()
    first, rules = bind(port, parse(p["sock1"], "tcp"), ctx)
    if first != "ok":
        return f"sock1.{first}", rules
    results, chain = [], []
    for desc in (p["sock2"], *_EXTRA):
        token, rules = bind(port, parse(desc, "tcp"), ctx)
        results.append(token.split(":")[-1])
        chain += [r for r in rules if r not in chain]
    return "binds:" + results[0] + "|" + ",".join(results[1:]), chain


@kinds.register("listen_turns")
def listen_turns(p, ctx):
    """Two SO_REUSEADDR sockets bound, the second listens, then the first."""
    port = Port()
    desc = f"{p['addr']} reuseaddr"
    for i in (1, 2):
        token, rules = bind(port, parse(desc, "tcp"), ctx)
        if token != "ok":
            return f"sock{i}.{token}", rules
    for i in (1, 0):
        s = port.socks[i].with_(state="listen")
        port.socks[i] = s
        d = check(port, s, ctx, listening=True)
        if not d.ok:
            return ("listen:EADDRINUSE" if i == 0 else "sock2.listen:EADDRINUSE"), d.rules
        update_bucket(port, s, ctx)
    return "ok", ["R2.listen-checks-listeners"]


def _served_connection(p, state, ctx):
    """The port after a connection to `connection_to` was accepted by the
    listener: the connection's socket carries the listener's options and the
    specific address the client connected to."""
    listener = parse(p["listener"], "tcp")
    port = Port()
    token, rules = bind(port, listener, ctx)
    if token != "ok":
        raise kinds.NoPrediction(f"the listener itself would not bind ({token})")
    conn = listener.with_(addr=p["connection_to"], state=state,
                          family=6 if ":" in p["connection_to"] else 4)
    port.socks.append(conn)
    if p.get("listener_open", "no") != "yes":
        port.socks = [s for s in port.socks if s.state != "listen"]
    return port


@kinds.register("timewait_rebind")
def timewait_rebind(p, ctx):
    port = _served_connection(p, "tw", ctx)
    return bind(port, parse(p["new"], "tcp"), ctx)


@kinds.register("established_rebind")
def established_rebind(p, ctx):
    port = _served_connection(p, "established", ctx)
    token, rules = bind(port, parse(p["new"], "tcp"), ctx)
    return token, ["R3.established-like-bound"] + rules


@kinds.register("reuseport_pair")
def reuseport_pair(p, ctx):
    # SO_REUSEPORT is option 15 on Linux, which is all the article's #define did.
    listener = f"{_ADDR['s0_4']} reuseport listen"
    return bind_sequence({"proto": "tcp", "sock1": listener, "sock2": listener}, ctx)


@kinds.register("setsockopt_reuseport")
def setsockopt_reuseport(p, ctx):
    if ctx.has("reuseport_inet_only") and ctx.on("R5.inet-only"):
        return "setsockopt:EOPNOTSUPP", ["R5.inet-only"]
    return "ok", ["R5.inet-only"]


@kinds.register("udp_hash2")
def udp_hash2(p, ctx):
    """n UDP sockets on 127.0.0.1..n, then a wildcard. Past 10 sockets on the
    port, the check goes through hash2, where only the fix sees the specifics."""
    n = int(p["specific_sockets"])
    if n > 10 and not ctx.has("udp_hash2_wildcard_fix") and ctx.on("R4.udp-hash2-gap"):
        return "ok", ["R4.wildcard-vs-specific", "R4.udp-hash2-gap"]
    return "bind:EADDRINUSE", ["R4.wildcard-vs-specific"]
