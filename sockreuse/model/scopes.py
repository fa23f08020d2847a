"""Predictions for scopes (the corner group scope): IPv6 link-local addresses with a
scope id, and net.ipv6.bindv6only as the namespace's IPV6_V6ONLY default.
Each socket is turned into what bind() sees (its device, its V6ONLY) and
bound as binds.py binds any sequence."""
from . import kinds
from .bindcheck import Port
from .binds import bind, run_sequence
from .sockets import ip_of, sock


def _premise(i, obj, p, ctx):
    """(the socket object as bind() sees it, refusal or None, rules)."""
    obj = dict(obj)
    rules = []
    bindv6only = p["sysctls"].get("net.ipv6.bindv6only") == 1
    if obj["family"] == 6 and bindv6only and obj["v6only"] is None:
        rules.append("R8.bindv6only-default")
        made_before = i < p.get("sysctls_after_socket", 0)
        if not made_before or not ctx.on("R8.bindv6only-default"):
            obj["v6only"] = True
    if ip_of(obj["addr"]).is_link_local:
        scope, dev = obj["scope"], obj["device"]
        if scope:
            rules.append("R6.scope-id-binds-device")
            if ctx.on("R6.scope-id-binds-device"):
                obj["device"] = dev = scope
        elif not dev and ctx.on("R6.link-local-needs-scope"):
            return None, "bind:EINVAL", rules + ["R6.link-local-needs-scope"]
        links = p.get("link_local", {}).get("links", [])
        if dev and dev not in links and ctx.on("R6.address-on-its-link"):
            return None, "bind:EADDRNOTAVAIL", rules + ["R6.address-on-its-link"]
    return obj, None, rules


@kinds.register("scoped_sequence")
def scoped_sequence(p, ctx):
    port = Port()

    def step(i, obj):
        obj, refused, pre = _premise(i, obj, p, ctx)
        token, rules = (refused, []) if refused else bind(port, sock(obj, p["proto"]), ctx)
        return token, pre + rules
    return run_sequence(p, step)


@kinds.register("scoped_accept")
def scoped_accept(p, ctx):
    """Listeners on one link-local address, one per link; a connection
    arrives on one link and goes to that link's listener."""
    scopes = [obj["scope"] or "" for obj in p["sockets"]]
    if not ctx.on("R6.scope-id-binds-device"):
        raise kinds.NoPrediction("without the scope as device the listeners conflict")
    if p["arrives_on"] not in scopes or not ctx.on("R6.device-serves"):
        return "connect:ECONNREFUSED", ["R6.scope-id-binds-device", "R6.device-serves"]
    i = scopes.index(p["arrives_on"])
    word = "first_bound" if i == 0 else "last_bound" if i == len(scopes) - 1 else f"only_sock{i + 1}"
    return word, ["R6.scope-id-binds-device", "R6.device-serves"]
