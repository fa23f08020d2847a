"""Do two sockets' local addresses overlap? The kernel's answer (the
inet_rcv_saddr_equal family, as bind() uses it, wildcards matching), in
terms of the rules of R1, R4 and R8, with the rule that decided it."""

from .sockets import ip_of


def overlap(new, old, ctx):
    """(overlap?, rule) for a new socket binding beside an old one."""
    if new.family == 4 and old.family == 4:
        return _same_family(new.ip, old.ip, ctx)
    if new.family == 6 and old.family == 6:
        return _v6_pair(new, old, ctx)
    v4, v6 = (new, old) if new.family == 4 else (old, new)
    if v6.v6only and ctx.on("R8.v6only-excludes-v4"):
        return False, "R8.v6only-excludes-v4"
    if v6.mapped is not None:
        return _mapped(v4.ip, v6.mapped, ctx)
    if v6.ip.is_unspecified:
        return ctx.on("R8.dualstack-covers-v4"), "R8.dualstack-covers-v4"
    if v6.v4_alias and v6 is old and (v4.ip.is_unspecified or str(v4.ip) == v6.v4_alias):
        # Only an IPv4 bind compares IPv4 addresses; an IPv6 one never sees the alias.
        return ctx.on("R8.v6-alias-under-v4-wildcard"), "R8.v6-alias-under-v4-wildcard"
    return False, "R4.distinct-specific"


def _same_family(a, b, ctx):
    if a == b:
        return ctx.on("R1.same-address"), "R1.same-address"
    if a.is_unspecified or b.is_unspecified:
        return ctx.on("R4.wildcard-vs-specific"), "R4.wildcard-vs-specific"
    return (not ctx.on("R4.distinct-specific")), "R4.distinct-specific"


def _mapped(a, b, ctx):
    """Two IPv4 addresses, one of them written as a v4-mapped IPv6 address."""
    hit, _ = _same_family(a, b, ctx)
    return hit and ctx.on("R8.mapped-is-v4"), "R8.mapped-is-v4"


def _v6_pair(new, old, ctx):
    if new.mapped is not None and old.mapped is not None:
        if old.v6only and ctx.on("R8.v6only-excludes-v4"):
            return False, "R8.v6only-excludes-v4"
        return _mapped(new.mapped, old.mapped, ctx)
    if new.ip.is_unspecified and old.ip.is_unspecified:
        return ctx.on("R1.same-address"), "R1.same-address"
    for wild, other in ((old, new), (new, old)):
        if wild.ip.is_unspecified:
            if wild.v6only and other.mapped is not None and ctx.on("R8.v6only-excludes-v4"):
                return False, "R8.v6only-excludes-v4"
            rule = "R8.dualstack-covers-v4" if other.mapped is not None else \
                "R4.wildcard-vs-specific"
            return ctx.on(rule), rule
    if new.ip == old.ip:
        return ctx.on("R1.same-address"), "R1.same-address"
    return (not ctx.on("R4.distinct-specific")), "R4.distinct-specific"


def _rcv4(sock):
    """The IPv4 receive address the kernel keeps for a socket (inet_rcv_saddr)."""
    if sock.family == 4:
        return sock.ip
    if sock.mapped is not None:
        return sock.mapped
    return ip_of("0.0.0.0" if sock.ip.is_unspecified else "127.0.0.6")


def _kind6(sock):
    if sock.family == 4 or sock.mapped is not None:
        return "mapped"
    return "any" if sock.ip.is_unspecified else "unicast"


def cache_matches(cached, new):
    """The strict SO_REUSEPORT cache's address test (sk_reuseport_match, the
    kernel's rcv_saddr_equal with the cached socket's wildcard matching and
    the new one's not)."""
    a4, b4 = _rcv4(cached), _rcv4(new)
    if cached.family == 4:
        return not new.v6only and (a4 == b4 or a4.is_unspecified)
    t1, t2 = _kind6(cached), _kind6(new)
    if t1 == "mapped" and t2 == "mapped":
        return not new.v6only and (a4 == b4 or a4.is_unspecified)
    if t1 == "any" and t2 == "any":
        return True
    if t1 == "any" and not (cached.v6only and t2 == "mapped"):
        return True
    return new.family == 6 and cached.ip == new.ip
