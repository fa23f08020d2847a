"""R10: a program attached to a SO_REUSEPORT group (SO_ATTACH_REUSEPORT_CBPF or
_EBPF) picks each packet's member by the index it returns; the hash decides
past the group's end or once the program is detached; and the flow hash
itself (R7.reuseport-hash) is a scaled hash over the member count."""
from . import kinds


@kinds.register("r10_program")
def program(p, ctx):
    prog, then = p["program"], p["then"]
    if not p["reuseport"]:
        if not ctx.on("R10.attach-needs-reuseport"):
            return "ok", ["R10.attach-needs-reuseport"]
        return "setsockopt:EINVAL", ["R10.attach-needs-reuseport"]
    if prog["when"] == "before_bind" and len(prog["attached_to"]) > 1:
        # Both sockets have SO_REUSEPORT, so without the rule they would share.
        if not ctx.on("R10.program-before-bind-own-group"):
            return "ok", ["R5.reuseport-all", "R10.program-before-bind-own-group"]
        return "bind:EADDRINUSE", ["R10.program-before-bind-own-group"]
    if not ctx.on("R10.program-picks"):
        return "spread", ["R7.reuseport-hash", "R10.program-picks"]
    rules = ["R10.program-picks"]
    if then is not None and then["op"] == "detach":
        if ctx.on("R10.detach-restores-hash"):
            return "spread", rules + ["R10.detach-restores-hash", "R7.reuseport-hash"]
        rules.append("R10.detach-restores-hash")
    replaced = then is not None and then["op"] == "attach"
    if prog["attached_to"] != [1] or replaced:
        # A program came through a member other than the first.
        if not ctx.on("R10.program-governs-group"):
            return "spread", rules + ["R10.program-governs-group", "R7.reuseport-hash"]
        rules.append("R10.program-governs-group")
    if prog["returns"] == "index" and prog["index"] >= p["members"]:
        if not ctx.on("R10.out-of-range-hash"):
            return "none", rules + ["R10.out-of-range-hash"]
        return "spread", rules + ["R10.out-of-range-hash", "R7.reuseport-hash"]
    return "by_program", rules


@kinds.register("r10_detach")
def detach(p, ctx):
    if not p["reuseport"] and ctx.on("R10.detach-needs-group"):
        return "setsockopt:EINVAL", ["R10.detach-needs-group"]
    if not p["program_attached"] and ctx.on("R10.detach-needs-program"):
        return "setsockopt:ENOENT", ["R10.detach-needs-program"]
    return "ok", ["R10.detach-needs-group", "R10.detach-needs-program"]


@kinds.register("r10_hash")
def flow_hash(p, ctx):
    then = p["then"]
    if then is None:
        return "stable", ["R7.reuseport-hash"]
    if not ctx.on("R10.hash-reciprocal-scale"):
        # A consistent hash would move only the flows the change must move.
        return ("only_to_new" if then["op"] == "join" else "only_from_leaver"), \
            ["R7.reuseport-hash", "R10.hash-reciprocal-scale"]
    return "reshuffled", ["R7.reuseport-hash", "R10.hash-reciprocal-scale"]
