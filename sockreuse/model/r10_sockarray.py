"""R10: a BPF_PROG_TYPE_SK_REUSEPORT program with a REUSEPORT_SOCKARRAY map:
bpf_sk_select_reuseport() picks the socket in the slot when it is a live
member of the packet's group, and the program's verdict decides whether the
packet is delivered at all. The case's word is where the flows went, then
what the helper returned ("by_program|helper:ok")."""
from . import kinds
from .r10_tokens import refused

# What the helper returns for what a slot holds, when it is not a live member.
_HELPER_ERRORS = {
    "empty": "ENOENT",
    "member_closed": "ENOENT",
    "other_group": "EBADFD",
    "other_protocol": "EPROTOTYPE",
    "other_family": "EAFNOSUPPORT",
}


@kinds.register("r10_sockarray")
def sockarray(p, ctx):
    rules = ["R10.program-picks"]
    program, then = p["program"], p["then"]
    if then is not None and then["op"] == "detach":
        if ctx.on("R10.detach-restores-hash"):
            # The program no longer runs: it never calls the helper.
            return "spread|helper:ok", rules + ["R10.detach-restores-hash", "R7.reuseport-hash"]
        rules.append("R10.detach-restores-hash")
    helper, selected = "ok", False
    if program["selects"]:
        rules.append("R10.sockarray-select")
        err = _HELPER_ERRORS.get(p["slot"])
        if err and ctx.on("R10.sockarray-select"):
            helper = err
        else:
            selected = True
    verdict = program["verdict"] if helper == "ok" else program["verdict_on_helper_error"]
    if verdict == "SK_DROP" and ctx.on("R10.sockarray-verdict"):
        return f"{refused(p['proto'])}|helper:{helper}", rules + ["R10.sockarray-verdict"]
    if selected and ctx.on("R10.program-picks"):
        return f"by_program|helper:{helper}", rules
    return f"spread|helper:{helper}", rules + ["R10.sockarray-verdict", "R7.reuseport-hash"]


# The state in which a socket of each protocol is a member of its group.
_MEMBER_STATE = {"tcp": "listening", "udp": "bound"}


@kinds.register("r10_sockarray_update")
def sockarray_update(p, ctx):
    member = p["reuseport"] and p["state"] == _MEMBER_STATE[p["proto"]]
    if member or not ctx.on("R10.sockarray-members-only"):
        return "ok", ["R10.sockarray-members-only"]
    return "map_update:EINVAL", ["R10.sockarray-members-only"]
