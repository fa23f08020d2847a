"""Predictions for where traffic goes (R6, R7) and for the kernel knobs
around listeners (R3, R9) and ports (R2, R6)."""

from . import kinds
from .sockets import ip_of


def _special(dst):
    ip = ip_of(dst)
    return ip.is_multicast or (ip.version == 4 and ip.packed[-1] == 255)


@kinds.register("udp_delivery")
def udp_delivery(p, ctx):
    if _special(p["send_to"]) and ctx.on("R7.broadcast-all"):
        return "all", ["R7.broadcast-all"]
    reuseport = all(obj["reuseport"] for obj in p["sockets"])
    if reuseport and ctx.on("R7.reuseport-hash"):
        if p["flows"] > 1:
            return "spread", ["R5.reuseport-all", "R7.reuseport-hash"]
    if not reuseport and ctx.on("R7.last-bound"):
        return "last_bound", ["R2.reuseaddr-not-listening", "R7.last-bound"]
    return "first_bound", ["R7.last-bound"]


@kinds.register("tcp_delivery")
def tcp_delivery(p, ctx):
    if ctx.on("R7.reuseport-hash"):
        return "spread", ["R5.reuseport-all", "R7.reuseport-hash"]
    return "first_bound", ["R7.reuseport-hash"]


@kinds.register("device_delivery")
def device_delivery(p, ctx):
    devs = [obj["device"] for obj in p["sockets"]]
    if not ctx.on("R6.device-serves"):
        return "first_bound", ["R6.device-serves"]
    i = devs.index(p["arrives_on"])
    word = "first_bound" if i == 0 else "last_bound" if i == len(devs) - 1 else f"only_sock{i + 1}"
    return word, ["R6.different-devices", "R6.device-serves"]


def _score(obj, dst):
    """How well a group member fits a destination: exact address over
    wildcard (R7.most-specific), IPv4 socket over dual-stack for IPv4 (R7.family-match)."""
    addr = ip_of(obj["addr"])
    dst = ip_of(dst)
    if dst.version == 4:
        if addr.version == 6 and (obj["v6only"] is True or not addr.is_unspecified):
            return None
        exact = addr == dst
        return (2 if exact else 0) + (1 if addr.version == 4 else 0)
    if addr.version == 4:
        return None
    return 2 if addr == dst else 0


@kinds.register("group_delivery")
def group_delivery(p, ctx):
    labels = p["labels"]
    scores = [_score(obj, p["send_to"]) for obj in p["sockets"]]
    rules = ["R7.reuseport-hash"]
    if not ctx.on("R7.most-specific"):
        scores = [None if s is None else s % 2 for s in scores]
    else:
        rules.insert(0, "R7.most-specific")
    if not ctx.on("R7.family-match"):
        scores = [None if s is None else s - s % 2 for s in scores]
    elif ip_of(p["send_to"]).version == 4:
        rules.insert(0, "R7.family-match")
    best = max(s for s in scores if s is not None)
    winners = [labels[i] for i, s in enumerate(scores) if s == best]
    return "+".join(dict.fromkeys(winners)), rules


@kinds.register("udp_connected_member")
def udp_connected_member(p, ctx):
    sender = p["sender"]
    if not ctx.on("R7.connected-preferred"):
        return "includes_connected", ["R7.reuseport-hash"]
    rules = ["R7.connected-preferred"]
    if sender in ("connected_peer", "reconnected_peer"):
        return "connected_member", rules
    if sender == "first_peer":
        return "other_members", rules
    return "unconnected_members", rules + ["R7.reuseport-hash"]


def _migrate_req(p):
    # The R10 cases still give the sysctl as a parameter of its own, as a string.
    if "sysctls" in p:
        return p["sysctls"]["net.ipv4.tcp_migrate_req"]
    return int(p["tcp_migrate_req"])


@kinds.register("migrate")
def migrate(p, ctx):
    if not ctx.on("R9.close-resets"):
        return "migrated", ["R9.close-resets"]
    if _migrate_req(p) != 1:
        return "reset", ["R9.close-resets"]
    if not ctx.has("migrate_req_sysctl"):
        return "unsupported", ["R9.migrate-req"]
    if ctx.has("migrate_req") and ctx.on("R9.migrate-req"):
        return "migrated", ["R9.migrate-req"]
    return "reset", ["R9.migrate-req", "R9.close-resets"]


@kinds.register("sysctl_default")
def sysctl_default(p, ctx):
    if not ctx.has("migrate_req_sysctl"):
        return "unsupported", ["R9.migrate-req"]
    if not ctx.on("R9.migrate-off-by-default"):
        return "value_1", ["R9.migrate-off-by-default"]
    return "value_0", ["R9.migrate-off-by-default"]


@kinds.register("timewait_length")
def timewait_length(p, ctx):
    if not ctx.on("R3.tw-lasts-60s"):
        return f"tw_{p['sysctls']['net.ipv4.tcp_fin_timeout']}s", ["R3.tw-lasts-60s"]
    return "tw_60s", ["R3.tw-lasts-60s"]


@kinds.register("autobind")
def autobind(p, ctx):
    if not ctx.has("ip_autobind_reuse"):
        return "unsupported", ["R2.autobind-reuse"]
    reuse = p["sysctls"]["net.ipv4.ip_autobind_reuse"]
    if p["sockets"][-1]["reuseaddr"] and reuse == 1 and ctx.on("R2.autobind-reuse"):
        return "ok", ["R2.autobind-reuse", "R2.reuseaddr-not-listening"]
    return "bind:EADDRINUSE", ["R2.autobind-reuse"]


@kinds.register("bindtodevice_unprivileged")
def bindtodevice_unprivileged(p, ctx):
    if p["step"] == "set" and ctx.has("bindtodevice_unprivileged") \
            and ctx.on("R6.unprivileged-bind-once"):
        return "ok", ["R6.unprivileged-bind-once"]
    return "setsockopt:EPERM", ["R6.unprivileged-bind-once"]
