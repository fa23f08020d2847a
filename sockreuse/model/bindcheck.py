"""bind() and listen() on a port as the kernel decides them, for TCP and UDP:
the conflict check against every socket already on the port (R1-R6, R8) and,
for TCP, the port's cached reuse state (the bind bucket's fastreuse and
fastreuseport), which a later bind trusts without looking at the sockets.
Each decision comes with the chain of rules that made it."""
from dataclasses import dataclass, field

from .addrs import cache_matches, overlap

FASTREUSEPORT_ANY, FASTREUSEPORT_STRICT = 1, 2


@dataclass
class Bucket:
    """The TCP bind bucket of one port."""
    fastreuse: int = 0
    fastreuseport: int = 0
    fastuid: int = 0
    fast_sock: object = None  # the socket whose address a strict fastreuseport remembers


@dataclass
class Port:
    """Every socket on one port of one namespace, in bind order, and its bucket."""
    socks: list = field(default_factory=list)
    bucket: Bucket = field(default_factory=Bucket)


@dataclass
class Decision:
    ok: bool     # the call succeeds
    rules: list  # the rules that decided it, in order


def pair_conflict(new, old, listening, ctx):
    """(conflict?, rules): does `old` stop `new` binding (or, with
    listening=True, the bound `new` starting to listen)?"""
    if new.dev and old.dev and new.dev != old.dev and ctx.on("R6.different-devices"):
        return False, ["R6.different-devices"]
    rules = []
    if bool(new.dev) != bool(old.dev):
        if not ctx.on("R6.device-falls-through"):
            return False, ["R6.device-falls-through"]
        rules.append("R6.device-falls-through")
    hit, rule = overlap(new, old, ctx)
    rules.append(rule)
    if not hit:
        return False, rules
    listener = "R2.listen-checks-listeners" if listening else "R2.listener-blocks-bind"
    if new.proto == "tcp" and old.state == "listen" and new.reuseaddr and old.reuseaddr \
            and ctx.on(listener):
        return _reuseport_or_conflict(new, old, rules, ctx, listener)
    if new.reuseaddr and old.reuseaddr and ctx.on("R2.reuseaddr-not-listening"):
        tw = old.state == "timewait" and ctx.on("R3.tw-needs-reuseaddr-both")
        rules.append("R3.tw-needs-reuseaddr-both" if tw else "R2.reuseaddr-not-listening")
        return False, rules
    for option, rule in (("reuseaddr", "R2.reuseaddr-needs-both"),
                         ("reuseport", "R5.reuseport-needs-both")):
        one = getattr(new, option) or getattr(old, option)
        if one and old.state != "listen" and not ctx.on(rule):
            return False, rules + [rule]
    if new.reuseport or old.reuseport:
        why = "R5.reuseport-needs-both"
    elif old.state == "timewait":
        why = "R3.tw-needs-reuseaddr-both"
    elif new.reuseaddr or old.reuseaddr:
        why = "R2.reuseaddr-needs-both"
    else:
        why = None
    return _reuseport_or_conflict(new, old, rules, ctx, why)


def _reuseport_or_conflict(new, old, rules, ctx, why):
    """SO_REUSEPORT is the last way to share; otherwise `why` names the conflict."""
    if new.reuseport and old.reuseport and ctx.on("R5.reuseport-all"):
        exempt = new.proto == "tcp" and old.state == "timewait" and ctx.on("R5.tw-exempt-from-uid")
        if new.euid == old.euid or exempt or not ctx.on("R5.euid-must-match"):
            rules.append("R5.tw-exempt-from-uid" if exempt and new.euid != old.euid
                         else "R5.reuseport-all")
            return False, rules
        rules.append("R5.euid-must-match")
        return True, rules
    if why:
        rules.append(why)
    return True, rules


def reuseport_match(bucket, new, ctx):
    """The bucket's fast path for SO_REUSEPORT (sk_reuseport_match)."""
    if bucket.fastreuseport <= 0 or not new.reuseport or bucket.fastuid != new.euid:
        return False
    if bucket.fastreuseport == FASTREUSEPORT_ANY:
        return True
    return cache_matches(bucket.fast_sock, new)


def update_bucket(port, sock, ctx):
    """inet_csk_update_fastreuse: what the port remembers once sock bound or listened."""
    b = port.bucket
    reuse = sock.reuseaddr and sock.state != "listen"
    # Once bhash2 is linked to bhash, the port already lists the first socket's
    # address bucket when the cache is updated: the first socket takes the
    # "others" path (feature fastreuse_first_owner_unset).
    if all(s is sock for s in port.socks) and not ctx.has("fastreuse_first_owner_unset"):
        b.fastreuse = int(reuse)
        if sock.reuseport:
            b.fastreuseport, b.fastuid, b.fast_sock = FASTREUSEPORT_ANY, sock.euid, sock
        else:
            b.fastreuseport = 0
        return
    if not reuse:
        b.fastreuse = 0
    if sock.reuseport:
        if not reuseport_match(b, sock, ctx):
            b.fastreuseport, b.fastuid, b.fast_sock = FASTREUSEPORT_STRICT, sock.euid, sock
    else:
        b.fastreuseport = 0


def _v4_wildcard(s):
    return (s.family == 4 and s.ip.is_unspecified) or (s.mapped is not None
                                                       and s.mapped.is_unspecified)


def mapped_any_gap(new, others, ctx):
    """The 6.1 bhash2 gap (feature bhash2_mapped_any_gap): a new specific
    v4-mapped socket looks for IPv4 wildcards only in the port's first
    wildcard bucket; when ::ffff:0.0.0.0 made that bucket, it sees no IPv4
    wildcard at all, 0.0.0.0 bound later included."""
    if new.proto != "tcp" or new.mapped is None or new.mapped.is_unspecified:
        return False
    first = next((o for o in others if _v4_wildcard(o)), None)
    return first is not None and first.family == 6 and ctx.has("bhash2_mapped_any_gap") \
        and ctx.on("R8.mapped-any-gap")


def udp_slot_order(socks):
    """The order udp_lib_lport_inuse() walks a port's sockets: each bind()
    puts its socket at the head of the port's slot, an IPv6 socket with
    SO_REUSEPORT (at its bind) at the tail."""
    out = []
    for s in socks:
        if s.binding().reuseport and s.family == 6:
            out.append(s)
        else:
            out.insert(0, s)
    return out


def same_group(old, new):
    """Whether UDP's walk stops at `old` on a kernel with the feature
    udp_first_match_group_only: the new socket would join its SO_REUSEPORT
    group (same family, address, IPV6_V6ONLY and device, the address compared
    as it is now, after a connect()), and neither sets SO_REUSEADDR. Without
    it, as the mainline source reads, any overlapping SO_REUSEPORT socket of
    the same EUID stops the walk."""
    return old.family == new.family and old.ip == new.ip and old.v6only == new.v6only \
        and old.dev == new.dev and not old.reuseaddr and not new.reuseaddr


def check(port, new, ctx, listening=False):
    """Decision for `new` binding the port (or, listening=True, for the already
    bound `new` starting to listen)."""
    others = [s for s in port.socks if s is not new]
    # UDP stops at the first socket, in the slot's order, that SO_REUSEPORT
    # lets it share with (on some builds only one whose group it joins): the
    # sockets after it are never looked at (found by the triples,
    # docs/explorer.md).
    first_match = new.proto == "udp" and not listening and ctx.on("R5.udp-first-match")
    if first_match:
        others = udp_slot_order(others)
    if new.proto == "tcp" and others and ctx.on("R2.fastreuse-cache"):
        b = port.bucket
        if b.fastreuse > 0 and new.reuseaddr and not listening:
            return Decision(True, ["R2.fastreuse-cache"])
        if reuseport_match(b, new, ctx):
            return Decision(True, ["R2.fastreuse-cache", "R5.reuseport-all"])
    chain = []
    blind = mapped_any_gap(new, others, ctx)
    for old in others:
        if blind and _v4_wildcard(old):
            chain = chain or ["R8.mapped-any-gap"]
            continue
        # Switched off, these rules take TIME_WAIT and orphaned connections out of the check.
        if old.state == "timewait" and not ctx.on("R3.tw-needs-reuseaddr-both") or \
                old.state == "established" and not ctx.on("R3.established-like-bound"):
            continue
        conflict, rules = pair_conflict(new, old, listening, ctx)
        if conflict:
            return Decision(False, rules)
        if first_match and rules[-1] == "R5.reuseport-all" and (
                not ctx.has("udp_first_match_group_only") or same_group(old, new)):
            return Decision(True, (chain or rules) + ["R5.udp-first-match"])
        chain = chain or rules
    if not others and not ctx.on("R1.port-free"):
        return Decision(False, ["R1.port-free"])
    return Decision(True, chain or ["R1.port-free"])
