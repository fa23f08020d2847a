"""Predictions for where traffic goes (R6, R7) and for the kernel knobs
around listeners (R3, R9) and ports (R2, R6)."""

from . import kinds
from .sockets import ip_of


def _special(dst):
    ip = ip_of(dst)
    return ip.is_multicast or (ip.version == 4 and str(ip).endswith(".255"))


@kinds.register("udp_delivery")
def udp_delivery(p, ctx):
    if _special(p["send_to"]) and ctx.on("R7.broadcast-all"):
        return "all", ["R7.broadcast-all"]
    if p["option"] == "reuseport" and ctx.on("R7.reuseport-hash"):
        if int(p["flows"]) > 1:
            return "spread", ["R5.reuseport-all", "R7.reuseport-hash"]
    if p["option"] == "reuseaddr" and ctx.on("R7.last-bound"):
        return "last_bound", ["R2.reuseaddr-not-listening", "R7.last-bound"]
    return "first_bound", ["R7.last-bound"]


@kinds.register("tcp_delivery")
def tcp_delivery(p, ctx):
    if ctx.on("R7.reuseport-hash"):
        return "spread", ["R5.reuseport-all", "R7.reuseport-hash"]
    return "first_bound", ["R7.reuseport-hash"]


@kinds.register("device_delivery")
def device_delivery(p, ctx):
    devs = [d.strip().split("=", 1)[1] for d in p["listeners"].split(",")]
    if not ctx.on("R6.device-serves"):
        return "first_bound", ["R6.device-serves"]
    i = devs.index(p["arrives_on"])
    word = "first_bound" if i == 0 else "last_bound" if i == len(devs) - 1 else f"only_sock{i + 1}"
    return word, ["R6.different-devices", "R6.device-serves"]


def _score(sock_desc, dst):
    """How well a group member fits a destination: exact address over
    wildcard (R7.most-specific), IPv4 socket over dual-stack for IPv4 (R7.family-match)."""
    words = sock_desc.split()
    addr = ip_of(words[0])
    dst = ip_of(dst)
    if dst.version == 4:
        if addr.version == 6 and ("v6only" in words or not addr.is_unspecified):
            return None
        exact = addr == dst
        return (2 if exact else 0) + (1 if addr.version == 4 else 0)
    if addr.version == 4:
        return None
    return 2 if addr == dst else 0


@kinds.register("group_delivery")
def group_delivery(p, ctx):
    members = [p[k] for k in sorted(p) if k.startswith("sock") and k[4:].isdigit()]
    labels = _labels(p)
    scores = [_score(m, p["send_to"]) for m in members]
    rules = ["R7.reuseport-hash"]
    if not ctx.on("R7.most-specific"):
        scores = [None if s is None else s % 2 for s in scores]
    else:
        rules.insert(0, "R7.most-specific")
    if not ctx.on("R7.family-match"):
        scores = [None if s is None else s - s % 2 for s in scores]
    elif p["send_to"].count(".") == 3:
        rules.insert(0, "R7.family-match")
    best = max(s for s in scores if s is not None)
    winners = [labels[i] for i, s in enumerate(scores) if s == best]
    return "+".join(dict.fromkeys(winners)), rules


def _labels(p):
    return p["labels"].split(",")


@kinds.register("udp_connected_member")
def udp_connected_member(p, ctx):
    sender = p["sender"]
    if not ctx.on("R7.connected-preferred"):
        return "includes_connected", ["R7.reuseport-hash"]
    rules = ["R7.connected-preferred"]
    if sender in ("the connected peer", "the peer it re-connected to"):
        return "connected_member", rules
    if sender == "the peer it connected to first":
        return "other_members", rules
    return "unconnected_members", rules + ["R7.reuseport-hash"]


@kinds.register("migrate")
def migrate(p, ctx):
    if not ctx.on("R9.close-resets"):
        return "migrated", ["R9.close-resets"]
    if p["tcp_migrate_req"] != "1":
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
        return f"tw_{p['tcp_fin_timeout']}s", ["R3.tw-lasts-60s"]
    return "tw_60s", ["R3.tw-lasts-60s"]


@kinds.register("autobind")
def autobind(p, ctx):
    if not ctx.has("ip_autobind_reuse"):
        return "unsupported", ["R2.autobind-reuse"]
    if p["new"] == "reuseaddr" and p["ip_autobind_reuse"] == "1" and ctx.on("R2.autobind-reuse"):
        return "ok", ["R2.autobind-reuse", "R2.reuseaddr-not-listening"]
    return "bind:EADDRINUSE", ["R2.autobind-reuse"]


@kinds.register("bindtodevice_unprivileged")
def bindtodevice_unprivileged(p, ctx):
    if p["step"] == "set" and ctx.has("bindtodevice_unprivileged") \
            and ctx.on("R6.unprivileged-bind-once"):
        return "ok", ["R6.unprivileged-bind-once"]
    return "setsockopt:EPERM", ["R6.unprivileged-bind-once"]
