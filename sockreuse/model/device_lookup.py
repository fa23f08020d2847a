"""Predictions for traffic to a port that a device-bound socket shares with
sockets bound to no device (the device_reuse group): the receive lookup as
the kernel runs it. It walks the port's list of matching sockets, scores
each (a socket bound to the arrival device above one bound to none), and
stops at the first SO_REUSEPORT socket that scores above what it has seen:
a device-bound and an unbound socket are separate SO_REUSEPORT groups, so
the list's order, not the score, then decides."""

from . import kinds
from .sockets import ip_of, sock


def receiver_word(i, n):
    """The delivery word for receiver i (0-based) of n getting everything."""
    return "first_bound" if i == 0 else "last_bound" if i == n - 1 else f"only_sock{i + 1}"


def matches(s, dst, dev):
    """Does socket s take traffic for dst arriving on device dev?"""
    if s.family != dst.version:
        return False
    return (s.ip.is_unspecified or s.ip == dst) and (not s.dev or s.dev == dev)


def lookup_order(socks, ctx):
    """Indexes in the order the lookup meets them: the kernel puts a new
    socket at the head of the port's list, except an IPv6 SO_REUSEPORT one,
    which goes to the tail."""
    if not ctx.on("R7.reuseport-first-match"):
        return list(reversed(range(len(socks))))
    head = [i for i in reversed(range(len(socks))) if not (socks[i].family == 6
                                                           and socks[i].reuseport)]
    tail = [i for i in range(len(socks)) if socks[i].family == 6 and socks[i].reuseport]
    return head + tail


@kinds.register("shared_port_delivery")
def shared_port_delivery(p, ctx):
    socks = [sock(obj, p["proto"]) for obj in p["sockets"]]
    dst, dev = ip_of(p["send_to"]), p["arrives_on"]
    rules = []
    if any(s.dev and s.dev != dev for s in socks):
        rules.append("R6.device-serves")
    best, winner = None, None
    for i in lookup_order(socks, ctx):
        s = socks[i]
        if not matches(s, dst, dev):
            continue
        score = 1 + (1 if s.dev and ctx.on("R6.device-preferred") else 0)
        if best is not None and score <= best:
            continue
        best, winner = score, i
        if s.reuseport and ctx.on("R7.reuseport-first-match"):
            rules.append("R7.reuseport-first-match")
            break
    if winner is None:
        raise kinds.NoPrediction("no socket matches the traffic")
    if not socks[winner].reuseport:
        rules += ["R6.device-preferred"] + (["R7.last-bound"] if p["proto"] == "udp" else [])
    return receiver_word(winner, len(socks)), rules
