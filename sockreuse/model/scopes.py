"""Predictions for scopes (issue 15, scope): IPv6 link-local addresses with a
scope id, and net.ipv6.bindv6only as the namespace's IPV6_V6ONLY default.
Each socket is turned into what bind() sees (its device, its V6ONLY) and
bound as binds.py binds any sequence."""
import re

from . import kinds
from .bindcheck import Port
from .binds import bind, run_sequence
from .sockets import ip_of, parse


def _links(p):
    """The interfaces that have the link-local address: "fe80::1/64 on s0 and s1"."""
    text = p.get("link_local", "")
    return set(re.findall(r"\b(?:s|c)\d\b|\blo\b", text.split(" on ", 1)[-1])) if text else set()


def _premise(desc, p, ctx):
    """(socket words as bind() sees them, refusal or None, rules)."""
    words = desc.split()
    addr, scope = (words[0].split("%", 1) + [""])[:2]
    rest = words[1:]
    rules = []
    if ":" in addr and p.get("net.ipv6.bindv6only") == "1" \
            and not {"dualstack", "v6only"} & set(rest):
        rules.append("R8.bindv6only-default")
        made_before = p.get("bindv6only_set") == "after socket()"
        if not made_before or not ctx.on("R8.bindv6only-default"):
            rest.append("v6only")
    if ip_of(addr).is_link_local:
        dev = next((w[4:] for w in rest if w.startswith("dev=")), "")
        if scope:
            rules.append("R6.scope-id-binds-device")
            if ctx.on("R6.scope-id-binds-device"):
                rest = [w for w in rest if not w.startswith("dev=")] + [f"dev={scope}"]
                dev = scope
        elif not dev and ctx.on("R6.link-local-needs-scope"):
            return None, "bind:EINVAL", rules + ["R6.link-local-needs-scope"]
        if dev and dev not in _links(p) and ctx.on("R6.address-on-its-link"):
            return None, "bind:EADDRNOTAVAIL", rules + ["R6.address-on-its-link"]
    return " ".join([addr] + rest), None, rules


@kinds.register("scoped_sequence")
def scoped_sequence(p, ctx):
    port = Port()

    def step(name):
        desc, refused, pre = _premise(p[name], p, ctx)
        token, rules = (refused, []) if refused else bind(port, parse(desc, p["proto"]), ctx)
        return token, pre + rules
    return run_sequence(p, step)


@kinds.register("scoped_accept")
def scoped_accept(p, ctx):
    """Listeners on one link-local address, one per link; a connection
    arrives on one link and goes to that link's listener."""
    listeners = [s.strip() for s in p["listeners"].split(",")]
    scopes = [s.split("%", 1)[1] if "%" in s else "" for s in listeners]
    if not ctx.on("R6.scope-id-binds-device"):
        raise kinds.NoPrediction("without the scope as device the listeners conflict")
    if p["arrives_on"] not in scopes or not ctx.on("R6.device-serves"):
        return "connect:ECONNREFUSED", ["R6.scope-id-binds-device", "R6.device-serves"]
    i = scopes.index(p["arrives_on"])
    word = "first_bound" if i == 0 else "last_bound" if i == len(scopes) - 1 else f"only_sock{i + 1}"
    return word, ["R6.scope-id-binds-device", "R6.device-serves"]
