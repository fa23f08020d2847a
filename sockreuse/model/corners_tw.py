"""Predictions for the other forms of TIME_WAIT (the corner group tw_forms): the
client's TIME_WAIT, endings that leave none, and connect() over a TIME_WAIT's
4-tuple with tcp_tw_reuse. The conflict itself is bindcheck.py's."""
from . import kinds
from .bindcheck import Port
from .binds import bind
from .sockets import ip_of, sock


@kinds.register("client_timewait")
def client_timewait(p, ctx):
    """The client's socket (the first) went to TIME_WAIT; the second binds its
    address and port, then may connect to the same peer."""
    old, new = p["sockets"]
    port = Port()
    token, _ = bind(port, sock(old, "tcp").with_(state="bound"), ctx)
    if token != "ok":
        raise kinds.NoPrediction(f"the client itself would not bind ({token})")
    port.socks[-1] = port.socks[-1].with_(state="timewait")
    token, rules = bind(port, sock(new, "tcp"), ctx)
    if token != "ok" or p["then"] != "connect_same_peer":
        return token, rules
    if not ctx.on("R3.tw-yields-to-bound-connect"):
        return "connect:EADDRNOTAVAIL", rules + ["R3.tw-yields-to-bound-connect"]
    return "ok", rules + ["R3.tw-yields-to-bound-connect"]


@kinds.register("no_timewait")
def no_timewait(p, ctx):
    """The first socket is where the TIME_WAIT would be, the second binds there."""
    would_be, new = p["sockets"]
    port = Port()
    if not ctx.on("R3.no-tw-after-reset"):
        port.socks.append(sock(would_be, "tcp"))
    token, rules = bind(port, sock(new, "tcp"), ctx)
    return token, ["R3.no-tw-after-reset"] + rules


@kinds.register("tw_reuse_connect")
def tw_reuse_connect(p, ctx):
    reuse, loopback = p["sysctls"]["net.ipv4.tcp_tw_reuse"], ip_of(p["peer"]).is_loopback
    allowed = reuse == 1 or (reuse == 2 and loopback)
    if allowed and ctx.on("R3.tw-reuse-connect"):
        return "ok", ["R1.connect-port-by-4tuple", "R3.tw-reuse-connect"]
    return "connect:EADDRNOTAVAIL", ["R1.connect-port-by-4tuple", "R3.tw-reuse-connect"]
