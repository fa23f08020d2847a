"""R10: SO_INCOMING_CPU in a SO_REUSEPORT group. With the fix (a feature), a
member whose option names the CPU a packet arrives on gets it, whatever order
the option, SO_REUSEPORT, bind and listen came in; before it, the group's hash
ignored the option."""
from . import kinds


@kinds.register("r10_incoming_cpu")
def incoming_cpu(p, ctx):
    if p["flows_from"] == "a CPU no member set":
        return "spread", ["R10.incoming-cpu", "R7.reuseport-hash"]
    if ctx.has("incoming_cpu_select") and ctx.on("R10.incoming-cpu"):
        return "to_incoming_cpu", ["R10.incoming-cpu"]
    return "spread", ["R10.incoming-cpu", "R7.reuseport-hash"]
