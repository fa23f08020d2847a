"""Predictions for options changed on a bound socket (the corner group after_bind):
the sockets bind with their options, sock1's options change
without a new check (the port's cached reuse state keeps what it had at
bind, bindcheck.py), then a last socket binds. The outcome is judged against
the same sockets bound fresh with their current options: `stale_ok` when the
kernel allowed what a fresh bind() refuses."""
from . import kinds
from .bindcheck import Port, check
from .binds import bind
from .sockets import sock


def _sequence(objs, proto, ctx):
    """The sockets bound fresh, in order, on a port of their own: "ok" or the first failure."""
    port = Port()
    for obj in objs:
        token, _ = bind(port, sock(obj, proto), ctx)
        if token != "ok":
            return token
    return "ok"


def _stale(token, fresh):
    return "stale_ok" if token == "ok" and fresh != "ok" else token


@kinds.register("option_change")
def option_change(p, ctx):
    """The first `change_after_socket` sockets bind, sock1's options become
    `sock1_after_change`, then the sockets left (if any) bind."""
    proto, n = p["proto"], p["change_after_socket"]
    bound, later = p["sockets"][:n], p["sockets"][n:]
    port = Port()
    for i, obj in enumerate(bound):
        token, _ = bind(port, sock(obj, proto), ctx)
        if token != "ok":
            raise kinds.NoPrediction(f"the case's premise: sock{i + 1} {token}")
    changed = {**bound[0], **p["sock1_after_change"]}
    before, after = port.socks[0], sock(changed, proto)
    after = after.with_(state=before.state)
    rules = []
    if after.dev != before.dev:
        rules.append("R6.device-change-unchecked")
        if not ctx.on("R6.device-change-unchecked"):
            # A kernel that re-checked the changed socket would refuse the change.
            others = Port(socks=port.socks[1:])
            d = check(others, after.with_(state="bound"), ctx)
            if not d.ok:
                return "setsockopt:EADDRINUSE", rules + d.rules
    port.socks[0] = after
    now = [changed] + bound[1:]
    if not later:
        return _stale("ok", _sequence(now, proto, ctx)), rules or ["R1.port-free"]
    then = later[0]
    token, chain = bind(port, sock(then, proto), ctx)
    fresh = "ok"
    for obj in now:
        fresh = _sequence([obj, then], proto, ctx)
        if fresh != "ok":
            break
    return _stale(token, fresh), rules + chain


@kinds.register("reuseport_relisten")
def reuseport_relisten(p, ctx):
    """A SO_REUSEPORT listener shut down and listening again, flows spread by hash."""
    if not ctx.on("R9.relisten-rejoins"):
        return "spread_partial", ["R9.relisten-rejoins"]
    return "spread", ["R9.relisten-rejoins", "R7.reuseport-hash"]
