"""Predictions for options changed on a bound socket (issue 15, after_bind):
the sockets bind as the words before the change say, sock1's options change
without a new check (the port's cached reuse state keeps what it had at
bind, bindcheck.py), then a last socket binds. The outcome is judged against
the same sockets bound fresh with their current options: `stale_ok` when the
kernel allowed what a fresh bind() refuses."""
from . import kinds
from .bindcheck import Port, check
from .binds import bind, sock_names
from .sockets import parse


def _sequence(descs, proto, ctx):
    """The sockets bound fresh, in order, on a port of their own: "ok" or the first failure."""
    port = Port()
    for d in descs:
        token, _ = bind(port, parse(d, proto), ctx)
        if token != "ok":
            return token
    return "ok"


def _stale(token, fresh):
    return "stale_ok" if token == "ok" and fresh != "ok" else token


@kinds.register("option_change")
def option_change(p, ctx):
    proto = p["proto"]
    names = sock_names(p)
    port = Port()
    for name in names:
        token, _ = bind(port, parse(p[name], proto), ctx)
        if token != "ok":
            raise kinds.NoPrediction(f"the case's premise: {name} {token}")
    before, after = port.socks[0], parse(p["sock1_after_bind"], proto)
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
    now = [p["sock1_after_bind"]] + [p[n] for n in names[1:]]
    if "then" not in p:
        return _stale("ok", _sequence(now, proto, ctx)), rules or ["R1.port-free"]
    token, chain = bind(port, parse(p["then"], proto), ctx)
    fresh = "ok"
    for d in now:
        fresh = _sequence([d, p["then"]], proto, ctx)
        if fresh != "ok":
            break
    return _stale(token, fresh), rules + chain


@kinds.register("reuseport_relisten")
def reuseport_relisten(p, ctx):
    """A SO_REUSEPORT listener shut down and listening again, flows spread by hash."""
    if not ctx.on("R9.relisten-rejoins"):
        return "spread_partial", ["R9.relisten-rejoins"]
    return "spread", ["R9.relisten-rejoins", "R7.reuseport-hash"]
