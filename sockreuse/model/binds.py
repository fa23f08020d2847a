"""Predictions for the cases that bind and listen: bind sequences, the
bind_wildcard port, listen turns, restarts beside a TIME_WAIT or an
established connection, and the option corners of R5 and R8."""

from . import kinds
from .bindcheck import Port, check, update_bucket
from .sockets import sock


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


def run_sequence(p, step):
    """Each socket of the sequence in turn through step(index, socket object)
    -> (token, rules): the last socket's result, or "sock<N>.<token>" for the
    first that failed."""
    socks = p["sockets"]
    for i, obj in enumerate(socks):
        token, rules = step(i, obj)
        if i + 1 == len(socks):
            return token, rules
        if token != "ok":
            return f"sock{i + 1}.{token}", rules
    raise ValueError("a bind sequence without sockets")


@kinds.register("bind_sequence")
def bind_sequence(p, ctx):
    port = Port()
    return run_sequence(p, lambda i, obj: bind(port, sock(obj, p["proto"]), ctx))


@kinds.register("bind_wildcard")
def bind_wildcard(p, ctx):
    """The selftest's pair, then the sockets of `then` on the same port."""
    port = Port()
    first, second = p["sockets"]
    token, rules = bind(port, sock(first, p["proto"]), ctx)
    if token != "ok":
        return f"sock1.{token}", rules
    results, chain = [], []
    for obj in (second, *p["then"]):
        token, rules = bind(port, sock(obj, p["proto"]), ctx)
        results.append(token.split(":")[-1])
        chain += [r for r in rules if r not in chain]
    return "binds:" + results[0] + "|" + ",".join(results[1:]), chain


@kinds.register("listen_turns")
def listen_turns(p, ctx):
    """The sockets bound, then listening in `listen_order` (1-based)."""
    port = Port()
    for i, obj in enumerate(p["sockets"]):
        token, rules = bind(port, sock(obj, p["proto"]), ctx)
        if token != "ok":
            return f"sock{i + 1}.{token}", rules
    order = p["listen_order"]
    for k, n in enumerate(order):
        s = port.socks[n - 1].with_(state="listen")
        port.socks[n - 1] = s
        d = check(port, s, ctx, listening=True)
        if not d.ok:
            last = k + 1 == len(order)
            return ("listen:EADDRINUSE" if last else f"sock{n}.listen:EADDRINUSE"), d.rules
        update_bucket(port, s, ctx)
    return "ok", ["R2.listen-checks-listeners"]


def _served_connection(p, state, ctx):
    """The port after a connection to `connection_to` was accepted by the
    listener (the first socket): the connection's socket carries the
    listener's options and the specific address the client connected to."""
    listener = sock(p["sockets"][0], "tcp")
    port = Port()
    token, rules = bind(port, listener, ctx)
    if token != "ok":
        raise kinds.NoPrediction(f"the listener itself would not bind ({token})")
    to = p["connection_to"]
    conn = listener.with_(addr=to, state=state, family=6 if ":" in to else 4)
    port.socks.append(conn)
    if not p["listener_open"]:
        port.socks = [s for s in port.socks if s.state != "listen"]
    return port


@kinds.register("timewait_rebind")
def timewait_rebind(p, ctx):
    port = _served_connection(p, "timewait", ctx)
    return bind(port, sock(p["sockets"][-1], "tcp"), ctx)


@kinds.register("established_rebind")
def established_rebind(p, ctx):
    port = _served_connection(p, "established", ctx)
    token, rules = bind(port, sock(p["sockets"][-1], "tcp"), ctx)
    return token, ["R3.established-like-bound"] + rules


@kinds.register("reuseport_pair")
def reuseport_pair(p, ctx):
    # SO_REUSEPORT is option 15 on Linux, which is all the article's #define did.
    return bind_sequence(p, ctx)


@kinds.register("setsockopt_reuseport")
def setsockopt_reuseport(p, ctx):
    if ctx.has("reuseport_inet_only") and ctx.on("R5.inet-only"):
        return "setsockopt:EOPNOTSUPP", ["R5.inet-only"]
    return "ok", ["R5.inet-only"]


@kinds.register("udp_hash2")
def udp_hash2(p, ctx):
    """UDP sockets on specific addresses, then a wildcard. Past 10 sockets on
    the port, the check goes through hash2, where only the fix sees the specifics."""
    n = len(p["sockets"]) - 1
    if n > 10 and not ctx.has("udp_hash2_wildcard_fix") and ctx.on("R4.udp-hash2-gap"):
        return "ok", ["R4.wildcard-vs-specific", "R4.udp-hash2-gap"]
    return "bind:EADDRINUSE", ["R4.wildcard-vs-specific"]
