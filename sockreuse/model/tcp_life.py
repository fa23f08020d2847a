"""Predictions for the TCP port lifetime cases (the corner group tcp_life).
The first socket is followed through its life after it bound, listened or
connected (`life`: shutdown, close, a refused connect(), the peer closing
first, a timer running out); what that life leaves on the port, if anything,
then meets the later calls (`then`): a new socket's bind(), listen() again,
a connect() from the port or to it. The conflict itself is bindcheck.py's."""
from dataclasses import dataclass

from . import kinds
from .bindcheck import Port, check
from .binds import bind
from .sockets import sock

# How the followed socket can be left: a listener, a connection in one of
# its states, a timewait socket (TIME_WAIT, or FIN_WAIT2 as its substate),
# CLOSE with its descriptor still open, or nothing at all.
LISTEN, ESTABLISHED, CLOSE_WAIT, TIMEWAIT, CLOSE, GONE = (
    "listen", "established", "close_wait", "timewait", "close", "gone")


@dataclass
class End:
    state: str
    peer_tw: bool = False   # the peer closed first and keeps a TIME_WAIT of the 4-tuple


def _start(obj):
    return {"listen": LISTEN, "bound": CLOSE, "connected": ESTABLISHED,
            "established": ESTABLISHED}[obj["state"]]


def _passive_end(ctx, rules):
    """The side that got the FIN first sends its own: LAST_ACK, then closed."""
    rules.append("R3.passive-close-no-tw")
    return CLOSE if ctx.on("R3.passive-close-no-tw") else TIMEWAIT


def _step(end, step, ctx, rules):
    """The followed socket after one step of its life."""
    op = step["op"]
    if op == "connect":
        # A refusal (no listener) is a reset: the socket is back in CLOSE.
        end.state = ESTABLISHED if step["peer_listening"] else CLOSE
    elif op == "peer_close" and end.state == ESTABLISHED:
        end.state, end.peer_tw = CLOSE_WAIT, True
    elif op == "setsockopt" and step["option"] == "tcp_linger2":
        pass  # only how long an orphaned FIN_WAIT2 lasts, which the case waits out
    elif op == "shutdown" and end.state == LISTEN:
        if step["how"] in ("rd", "rdwr"):
            rules.append("R1.shutdown-stops-listener")
            if ctx.on("R1.shutdown-stops-listener"):
                end.state = CLOSE
    elif op == "shutdown" and end.state == CLOSE_WAIT and step["how"] in ("wr", "rdwr"):
        end.state = _passive_end(ctx, rules)
    elif op == "close":
        if end.state == CLOSE_WAIT:
            end.state = _passive_end(ctx, rules)
        elif end.state == ESTABLISHED:
            # Closed first while the peer keeps its end open: an orphaned FIN_WAIT2.
            rules.append("R3.orphan-fin-wait2-holds")
            end.state = TIMEWAIT if ctx.on("R3.orphan-fin-wait2-holds") else GONE
        if end.state in (LISTEN, CLOSE):
            end.state = GONE  # its descriptor gone, nothing keeps the socket
    elif op == "wait" and step["until"] == "fin_wait2_timeout" and end.state == TIMEWAIT:
        rules.append("R3.fin-wait2-timeout")
        if ctx.on("R3.fin-wait2-timeout"):
            end.state = GONE
    else:
        raise kinds.NoPrediction(f"no rule for {op} in state {end.state}")


@dataclass
class _Followed:
    sock: object
    port_bound: bool  # bound to its port explicitly (not port 0, not left to connect())


def _held(f, end, ctx, rules):
    """The followed socket as it holds the port at the end of its life, or None."""
    if end.state == CLOSE:
        rules.append("R1.closed-keeps-bound-port")
        if f.port_bound and ctx.on("R1.closed-keeps-bound-port"):
            return f.sock.with_(state="bound")
        return None
    if end.state == GONE:
        return None
    return f.sock.with_(state={LISTEN: "listen", TIMEWAIT: "timewait"}.get(end.state,
                                                                          "established"))


@kinds.register("tcp_life")
def tcp_life(p, ctx):
    socks = p["sockets"]
    first = socks[0]
    followed = _Followed(sock(first, "tcp"), first["port"] != 0)
    port = Port()
    if followed.port_bound:
        listening = first["state"] == "listen"
        token, _ = bind(port, followed.sock.with_(state="listen" if listening else "bound"), ctx)
        if token != "ok":
            raise kinds.NoPrediction(f"the followed socket would not bind ({token})")
    end, rules = End(_start(first)), []
    for step in p["life"]:
        _step(end, step, ctx, rules)
    held = _held(followed, end, ctx, rules)
    if held is None:
        port = Port()  # the last socket gone, the port's bucket goes too
    elif port.socks:
        port.socks[-1] = held
    else:
        port.socks.append(held)
    token = "ok"
    for step in p["then"]:
        token, more = _then(port, socks, step, end, ctx)
        rules += more
        if token != "ok":
            break
    return token, rules


def _then(port, socks, step, end, ctx):
    op = step["op"]
    if op == "bind":
        return bind(port, sock(socks[step["sock"] - 1], "tcp"), ctx)
    if op == "listen" and port.socks:
        s = port.socks[0].with_(state="listen")
        port.socks[0] = s
        d = check(port, s, ctx, listening=True)
        return ("ok" if d.ok else "listen:EADDRINUSE"), d.rules
    if op == "peer_connect":
        listening = any(s.state == "listen" for s in port.socks)
        return ("ok" if listening else "connect:ECONNREFUSED"), ["R1.shutdown-stops-listener"]
    if op == "connect" and end.peer_tw:
        # From the same port to the peer that closed first: its TIME_WAIT meets the SYN.
        ok = ctx.on("R3.peer-tw-takes-syn")
        return ("ok" if ok else "connect:ECONNREFUSED"), ["R3.peer-tw-takes-syn"]
    raise kinds.NoPrediction(f"no rule for {op} after this life")
