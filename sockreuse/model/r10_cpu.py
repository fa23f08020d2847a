"""R10: SO_INCOMING_CPU in a SO_REUSEPORT group. With the fix (a feature), a
member whose option names the CPU a packet arrives on gets it, whatever order
the option, SO_REUSEPORT, bind and listen came in; before it, the group's hash
ignored the option. CPUs are named by their index among the case's CPUs."""
from . import kinds


@kinds.register("r10_incoming_cpu")
def incoming_cpu(p, ctx):
    closed = set(p["closed_before_flows"])
    set_cpus = {cpu for member, cpu in enumerate(p["member_cpus"], 1)
                if cpu is not None and member not in closed}
    if not set_cpus & set(p["flows_from_cpus"]):
        return "spread", ["R10.incoming-cpu", "R7.reuseport-hash"]
    if ctx.has("incoming_cpu_select") and ctx.on("R10.incoming-cpu"):
        return "to_incoming_cpu", ["R10.incoming-cpu"]
    return "spread", ["R10.incoming-cpu", "R7.reuseport-hash"]
