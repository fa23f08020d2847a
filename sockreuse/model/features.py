"""Named behaviours that differ between kernels. Each is tied to the kernel
change that explains it (its commit subject) and is detected by behaviour:
the cases in `evidence` show it, whatever the version number says. A table
declares the features of its kernel (`features:` in results/expected/*.yaml);
--record proposes the set that explains the run."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    change: str      # commit subject of the kernel change (or "known gap: ...")
    since: str       # the mainline release that brought the change
    meaning: str     # what the kernel does when it has the feature
    evidence: tuple  # case id patterns (fnmatch) whose outcomes depend on it


FEATURES = {f.name: f for f in (
    Feature("reuseport_inet_only",
            "net: restrict SO_REUSEPORT to inet sockets",
            "6.13",
            "setsockopt(SO_REUSEPORT) on an AF_UNIX or AF_NETLINK socket fails with EOPNOTSUPP",
            ("unix.reuseport.*", "netlink.reuseport.*")),
    Feature("udp_hash2_wildcard_fix",
            "udp: Fix wildcard bind conflict check when using hash2",
            "7.0",
            "past 10 UDP sockets on a port, a wildcard bind still sees the sockets bound to "
            "specific addresses",
            ("udp4.hash2.*",)),
    Feature("migrate_req_sysctl",
            "net: Introduce net.ipv4.tcp_migrate_req.",
            "5.14",
            "the sysctl net.ipv4.tcp_migrate_req exists",
            ("*.migrate.*",)),
    Feature("migrate_req",
            "tcp: Migrate TCP_ESTABLISHED/TCP_SYN_RECV sockets in accept queues.",
            "5.14",
            "with tcp_migrate_req=1, connections queued on a closed SO_REUSEPORT listener move "
            "to a surviving one",
            ("*.migrate.*",)),
    Feature("bhash2_mapped_any_gap",
            "tcp: Fix bind() regression for v4-mapped-v6 non-wildcard address.",
            "6.1",
            "known gap: a bound ::ffff:0.0.0.0 does not stop a later ::ffff:127.0.0.1 (a 6.1 "
            "build with bhash2 but not all of its v4-mapped fixes)",
            ("tcp.bind_wildcard.*", "tcp46.bhash2.*")),
    Feature("fastreuse_first_owner_unset",
            "tcp: Check hlist_empty(&tb->bhash2) instead of hlist_empty(&tb->owners).",
            "6.8",
            "the port's cached SO_REUSEADDR state is never set by its first socket (its "
            "address bucket is linked to the port before the cache is updated), so a "
            "SO_REUSEADDR cleared after bind is not trusted, and SO_REUSEPORT's cache is "
            "strict, with the first address, from the start",
            ("tcp4.explorer.*", "explore:tcp bound cleared *", "tcp*.after_bind.*")),
    Feature("ip_autobind_reuse",
            "tcp: bind(0) remove the SO_REUSEADDR restriction when ephemeral ports are exhausted",
            "5.6",
            "the sysctl net.ipv4.ip_autobind_reuse exists",
            ("tcp4.autobind.*",)),
    Feature("bindtodevice_unprivileged",
            "net: core: enable SO_BINDTODEVICE for non-root users",
            "5.7",
            "a process without CAP_NET_RAW may bind a socket to a device once",
            ("udp4.bindtodevice.unprivileged.*",)),
    # R10
    Feature("incoming_cpu_select",
            "soreuseport: Fix socket selection for SO_INCOMING_CPU.",
            "6.1",
            "a SO_REUSEPORT group gives a packet to the member whose SO_INCOMING_CPU is the CPU "
            "it arrives on, whatever order the option was set in (before, the hash ignored it)",
            ("*.r10.incoming_cpu.*",)),
    Feature("reuseport_migrate_prog",
            "bpf: Support socket migration by eBPF.",
            "5.14",
            "an sk_reuseport program can be loaded for BPF_SK_REUSEPORT_SELECT_OR_MIGRATE and "
            "decides where a closed listener's connections go",
            ("tcp*.r10.migrate_prog.*",)),
    Feature("udp_connected_leaves_group",
            "ipv4/udp: Add 4-tuple hash for connected socket",
            "6.13",
            "a UDP socket bound to a specific address leaves its SO_REUSEPORT group when it "
            "connects (and its IPv6 twin, 'ipv6/udp: Add 4-tuple hash for connected socket')",
            ("udp*.r10.membership.connected_member.*",)),
    Feature("udp_first_match_group_only",
            "known difference: not in the udp_lib_lport_inuse() of Debian's 6.12.117 or 7.2.13 "
            "sources; seen on the 6.18.44-fc build the suite's host runs",
            "6.18",
            "UDP bind() stops early only at a SO_REUSEPORT socket whose group the new one joins "
            "(same address, family, IPV6_V6ONLY and device, neither with SO_REUSEADDR); "
            "without it the walk stops at the first overlapping SO_REUSEPORT socket of the "
            "same EUID, whatever its device, address or SO_REUSEADDR, and admits the new one "
            "unchecked against the sockets behind it",
            ("udp4.first_match.*",)),
)}


def cause(name):
    """A feature as reports name a cause: name, commit subject, release."""
    f = FEATURES.get(name)
    return f"{name}: {f.change} ({f.since})" if f else str(name)
