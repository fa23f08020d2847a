"""R10, the programmable side of R9: a program attached with
BPF_SK_REUSEPORT_SELECT_OR_MIGRATE (a feature) decides where a closed or shut
down listener's queued connections and requests go, whatever tcp_migrate_req
says; a plain sk_reuseport program is not asked, and the sysctl decides."""
from . import kinds
from .deliveries import migrate as migrate_by_sysctl


def by_sysctl(p, ctx):
    # R9's migrate kind reads the sysctl as its own string parameter.
    return migrate_by_sysctl(
        {"tcp_migrate_req": str(p["sysctls"]["net.ipv4.tcp_migrate_req"])}, ctx)


@kinds.register("r10_migrate_prog")
def migrate_prog(p, ctx):
    program = p["program"]
    if program["attach_type"] != "select_or_migrate":
        return by_sysctl(p, ctx)
    if not ctx.has("reuseport_migrate_prog"):
        return "prog_load:EACCES", ["R10.select-or-migrate"]
    if not ctx.on("R10.select-or-migrate"):
        return by_sysctl(p, ctx)
    rules = ["R10.select-or-migrate"]
    if program["migrate_to"] is not None:
        return "by_program", rules + ["R10.program-picks"]
    if program["verdict"] == "SK_DROP":
        return "reset", rules + ["R9.close-resets"]
    return "migrated", rules
