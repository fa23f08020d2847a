"""Predictions for multicast and broadcast to a shared UDP port (the
group_cast group) and for how evenly a SO_REUSEPORT group spreads many
flows (the fairness group)."""
from sockreuse import topology_facts

from . import kinds
from .device_lookup import receiver_word
from .sockets import ip_of, sock


def _receives(s, member, dst, dev, group, ctx):
    """(receives?, rules) for one socket of the port."""
    if not (s.ip.is_unspecified or s.ip == dst) and ctx.on("R7.cast-by-address"):
        return False, ["R7.cast-by-address"]
    if s.dev and s.dev != dev:
        return False, ["R6.device-serves"]
    if not dst.is_multicast:
        return True, ["R7.broadcast-all"]
    joined = member["group"] == group and member["device"] == dev and not member["dropped"]
    if joined:
        return True, ["R7.broadcast-all"]
    if member["multicast_all"] or not ctx.on("R7.multicast-all"):
        return True, ["R7.broadcast-all", "R7.multicast-all"]
    return False, ["R7.multicast-all"]


@kinds.register("group_cast")
def group_cast(p, ctx):
    group, dev = p["send_to"], p["arrives_on"]
    dst = ip_of(topology_facts.named()[group])
    members = p["members"]
    if dst.is_multicast and not any(m["group"] == group and m["device"] == dev
                                    and not m["dropped"] for m in members):
        raise kinds.NoPrediction("no socket keeps the group joined on the device")
    got, rules = [], []
    for obj, member in zip(p["sockets"], members):
        yes, why = _receives(sock(obj, p["proto"]), member, dst, dev, group, ctx)
        got.append(yes)
        rules += [r for r in why if r not in rules]
    n, who = len(got), [i for i, yes in enumerate(got) if yes]
    if len(who) == n > 1:
        return "all", rules
    if not who:
        return "none", rules
    if len(who) == 1:
        return receiver_word(who[0], n), rules
    return "only_socks" + "+".join(str(i + 1) for i in who), rules


@kinds.register("reuseport_fairness")
def reuseport_fairness(p, ctx):
    """The case's bound holds for a uniform hash except with a probability
    the case sets below one in a million, so the prediction is the bound."""
    if all(obj["reuseport"] for obj in p["sockets"]) and ctx.on("R7.reuseport-hash"):
        return "fair", ["R5.reuseport-all", "R7.reuseport-hash"]
    return "first_bound", ["R7.reuseport-hash"]
