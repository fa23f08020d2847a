"""Predictions for VRFs (the corner group vrf): sockets bound into a VRF (or a
device it enslaves) beside sockets of the default VRF, with
net.ipv4.{tcp,udp}_l3mdev_accept; who may bind, and who receives."""
from . import kinds
from .bindcheck import Port
from .binds import bind, run_sequence
from .sockets import sock


def _masters(p):
    """Device -> its VRF: the VRF itself and each device it enslaves."""
    vrf = p["vrf"]["name"]
    return {vrf: vrf, **{d: vrf for d in p["vrf"]["enslaves"]}}


def _accept(p):
    return p["sysctls"].get(f"net.ipv4.{p['proto']}_l3mdev_accept", 0)


@kinds.register("vrf_sequence")
def vrf_sequence(p, ctx):
    """A bind sequence in which, for TCP with tcp_l3mdev_accept=0, each VRF's
    sockets have the port's bind bucket to themselves (the bucket is keyed by
    the socket's L3 master device)."""
    masters, proto = _masters(p), p["proto"]
    own = proto == "tcp" and _accept(p) == 0 and ctx.on("R6.vrf-own-bind-bucket")
    buckets = {}

    def step(i, obj):
        s = sock(obj, proto)
        key = masters.get(s.dev, "") if own else ""
        # The sockets of other buckets are the ones this rule kept out of the check.
        pre = ["R6.vrf-own-bind-bucket"] if any(k != key and b.socks for k, b in buckets.items()) \
            else []
        token, rules = bind(buckets.setdefault(key, Port()), s, ctx)
        return token, pre + rules
    return run_sequence(p, step)


@kinds.register("vrf_delivery")
def vrf_delivery(p, ctx):
    """A connection or datagram to 0.0.0.0's port arrives on a VRF's slave or
    on a device of the default VRF; which socket gets it."""
    masters, tcp = _masters(p), p["proto"] == "tcp"
    in_vrf = p["arrives_on"] in masters
    socks = ["vrf" if obj["device"] else "global" for obj in p["sockets"]]
    rules = ["R6.l3mdev-accept" if in_vrf else "R6.vrf-socket-own-vrf"]
    takers = []
    for s in socks:
        if s == "vrf" and (in_vrf or not ctx.on("R6.vrf-socket-own-vrf")):
            takers.append(s)
        if s == "global" and (not in_vrf or _accept(p) == 1 or not ctx.on("R6.l3mdev-accept")):
            takers.append(s)
    if not takers:
        return ("connect:ECONNREFUSED" if tcp else "port_unreachable"), rules
    return ("vrf_socket" if "vrf" in takers else "global_socket"), rules
