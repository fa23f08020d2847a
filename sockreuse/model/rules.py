"""The refined rules the model decides with. Every rule has an id (its R1-R10
family, a dot, a name) and one sentence; a prediction names, in order, the
rules that decided it (its rule chain). A rule can be switched off to show
that something depends on it (tests/model)."""

RULES = {
    # R1 default
    "R1.port-free": "a port no socket holds can be bound",
    "R1.same-address": "a second socket on an address and port in use conflicts, unless a "
                       "reuse rule below lets them share",
    # R2 SO_REUSEADDR
    "R2.reuseaddr-needs-both": "SO_REUSEADDR shares only when both sockets set it (one is "
                               "not enough)",
    "R2.reuseaddr-not-listening": "with SO_REUSEADDR on both, sockets not in LISTEN share",
    "R2.listener-blocks-bind": "a socket already in LISTEN conflicts with a later bind even "
                               "with SO_REUSEADDR on both",
    "R2.listen-checks-listeners": "listen() conflicts only with sockets already listening (or "
                                  "without SO_REUSEADDR)",
    "R2.fastreuse-cache": "the port remembers whether its first socket allowed SO_REUSEADDR "
                          "sharing; a later SO_REUSEADDR bind trusts that cache even when the "
                          "option was cleared since",
    # R3 TIME_WAIT
    "R3.tw-needs-reuseaddr-both": "a TIME_WAIT socket blocks a rebind unless the new socket and "
                                  "the one that went to TIME_WAIT both set SO_REUSEADDR",
    "R3.established-like-bound": "an accepted connection whose listener is gone counts as a "
                                 "bound socket in the conflict check",
    # R4 wildcard vs specific
    "R4.wildcard-vs-specific": "a wildcard and a specific address of the same family overlap",
    "R4.distinct-specific": "two different specific addresses do not overlap",
    # R5 SO_REUSEPORT
    "R5.reuseport-all": "SO_REUSEPORT on both sockets lets them share",
    "R5.reuseport-needs-both": "SO_REUSEPORT shares only when both sockets set it (one is "
                               "not enough)",
    "R5.euid-must-match": "SO_REUSEPORT shares only between sockets of the same effective UID",
    "R5.tw-exempt-from-uid": "a TIME_WAIT socket is exempt from the SO_REUSEPORT UID check",
    "R5.inet-only": "SO_REUSEPORT is refused on non-inet sockets",
    "R5.udp-first-match": "UDP bind() walks the port's sockets newest first (IPv6 SO_REUSEPORT "
                          "sockets at the end) and admits a SO_REUSEPORT socket at the first "
                          "overlapping one with SO_REUSEPORT and the same EUID (feature "
                          "udp_first_match_group_only: only at one whose group it joins), "
                          "without checking the rest",
    # R6 SO_BINDTODEVICE
    "R6.different-devices": "sockets bound to different devices never conflict",
    "R6.device-falls-through": "the same device, or one side bound to none, falls through to "
                               "the address rules (a socket bound to no device meets every "
                               "device)",
    # R8 dual stack
    "R8.dualstack-covers-v4": "an IPv6 wildcard without IPV6_V6ONLY overlaps every IPv4 address",
    "R8.v6only-excludes-v4": "an IPV6_V6ONLY socket overlaps no IPv4 address",
    "R8.mapped-is-v4": "a v4-mapped address counts as the IPv4 address it maps",
    "R8.mapped-on-v6only": "an IPV6_V6ONLY socket cannot bind a v4-mapped address (EINVAL)",
    "R8.mapped-any-gap": "with the bhash2 gap (a feature), a bound ::ffff:0.0.0.0 does not "
                         "overlap a later specific v4-mapped address",
}

RULES.update({
    "R2.autobind-reuse": "bind(0) on exhausted ports reuses a port held by SO_REUSEADDR "
                         "sockets only when the new socket sets it too and "
                         "net.ipv4.ip_autobind_reuse is 1",
    "R3.tw-lasts-60s": "TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN), whatever tcp_fin_timeout says",
    "R4.udp-hash2-gap": "before the hash2 fix, past 10 UDP sockets on a port a wildcard bind "
                        "checks only its own hash2 slot and misses specific addresses",
    "R6.device-serves": "a connection goes to the listener bound to the device it arrives on",
    "R6.unprivileged-bind-once": "a process without CAP_NET_RAW may bind a socket to a device "
                                 "only while it is bound to none",
    "R7.last-bound": "with SO_REUSEADDR, unicast to a shared UDP port goes to the socket bound "
                     "last",
    "R7.broadcast-all": "broadcast and multicast reach every socket on the port",
    "R7.reuseport-hash": "a SO_REUSEPORT group spreads flows over its members by hash, each flow "
                         "staying on one member",
    "R7.most-specific": "a socket bound to the destination address wins over a wildcard one",
    "R7.family-match": "IPv4 traffic prefers IPv4 sockets over dual-stack IPv6 ones",
    "R7.connected-preferred": "a connected UDP member gets its peer's datagrams, and no other "
                              "flow's",
    "R9.close-resets": "closing a listener resets the connections queued on it",
    "R9.migrate-req": "with net.ipv4.tcp_migrate_req=1, a closed SO_REUSEPORT listener's queue "
                      "moves to a surviving listener",
    "R9.migrate-off-by-default": "net.ipv4.tcp_migrate_req is 0 in a new namespace",
})

RULES.update({
    "R6.v6-host-address-on-device": "a host-scope IPv6 address (::1) can be bound only by a "
                                    "socket bound to its own device (EADDRNOTAVAIL)",
    "R6.route-by-device": "a socket bound to a device routes only through it: an IPv6 peer "
                          "behind another device is unreachable, a loopback peer invalid",
})

RULES.update({
    "R8.v6-alias-under-v4-wildcard": "an IPv6 socket that got its specific address from "
                                     "connect() or accept() of a dual-stack wildcard keeps an "
                                     "IPv4 address (127.0.0.6) that an IPv4 wildcard bind "
                                     "overlaps",
})

# The corner groups (docs/coverage.md#corner-groups): TIME_WAIT forms, port selection, scopes, VRFs and
# options changed after bind, each under the R family it refines.
RULES.update({
    # R1 port selection
    "R1.autobind-range": "bind(0) and connect() without a port pick their port from "
                         "net.ipv4.ip_local_port_range",
    "R1.reserved-skipped": "bind(0) and connect() skip net.ipv4.ip_local_reserved_ports; an "
                           "explicit bind() takes a reserved port",
    "R1.no-port-defers": "with IP_BIND_ADDRESS_NO_PORT, bind() to port 0 leaves the port "
                         "unchosen until connect()",
    "R1.picked-port-in-use": "a port bind(0) or connect() picked is held like one bound by "
                             "hand: on the address bound, or on a connection's source "
                             "address, until the socket closes",
    "R1.connect-port-by-4tuple": "a TCP connect() that picks its port needs only a unique "
                                 "4-tuple (one port serves two peers); UDP's connect() "
                                 "autobinds as bind(0) does (EAGAIN when none is free)",
    # R2 / R5 port selection
    "R2.tcp-autobind-strict": "TCP bind(0) takes only a port where the socket would conflict "
                              "with no one without its SO_REUSEADDR and SO_REUSEPORT; UDP's "
                              "bind(0) shares a port as an explicit bind() would",
    # R3 TIME_WAIT forms
    "R3.no-tw-after-reset": "SO_LINGER {1, 0} (a reset) and net.ipv4.tcp_max_tw_buckets=0 "
                            "leave no TIME_WAIT: nothing holds the port",
    "R3.tw-yields-to-bound-connect": "connect() from an explicitly bound port takes over a "
                                     "TIME_WAIT of the same 4-tuple whatever tcp_tw_reuse says",
    "R3.tw-reuse-connect": "connect() with a port it picks takes over a TIME_WAIT's 4-tuple "
                           "only with net.ipv4.tcp_tw_reuse=1, or 2 over loopback",
    # R6 scopes, VRFs, devices changed after bind
    "R6.scope-id-binds-device": "a link-local bind with sin6_scope_id binds the socket to that "
                                "interface, over any SO_BINDTODEVICE",
    "R6.link-local-needs-scope": "a link-local IPv6 address needs a scope id or a device "
                                 "(EINVAL)",
    "R6.address-on-its-link": "a link-local address can be bound only on an interface that "
                              "has it (EADDRNOTAVAIL)",
    "R6.vrf-own-bind-bucket": "with tcp_l3mdev_accept=0 a TCP socket bound into a VRF (or a "
                              "device the VRF enslaves) has the port to itself: sockets "
                              "outside the VRF are not checked",
    "R6.l3mdev-accept": "traffic that arrives in a VRF reaches a socket bound to no device "
                        "only with tcp_l3mdev_accept / udp_l3mdev_accept = 1; a socket bound "
                        "into the VRF is preferred",
    "R6.vrf-socket-own-vrf": "a socket bound into a VRF receives only traffic that arrives "
                             "in that VRF",
    "R6.device-change-unchecked": "SO_BINDTODEVICE on a bound socket is not checked against "
                                  "the port's other sockets; later binds meet the new device",
    # R8 namespace default
    "R8.bindv6only-default": "net.ipv6.bindv6only is IPV6_V6ONLY's default, read when the "
                             "socket is made",
    # R9 SO_REUSEPORT group
    "R9.relisten-rejoins": "a SO_REUSEPORT listener shut down with shutdown() may listen() "
                           "again and rejoins its group",
})

# R10: which member of a SO_REUSEPORT group gets each datagram or connection
# (suites/r10_*.cc; runner/sockreuse_model/r10_*.py).
RULES.update({
    "R10.program-picks": "a program attached to a SO_REUSEPORT group (classic, extended or "
                         "sk_reuseport) picks each packet's member by the index it returns",
    "R10.program-governs-group": "a program attached through any member governs the whole "
                                 "group, and replaces the one attached before",
    "R10.out-of-range-hash": "an index at or past the group's size falls back to the group's "
                             "flow hash",
    "R10.detach-restores-hash": "SO_DETACH_REUSEPORT_BPF removes the group's program, and the "
                                "flow hash decides again",
    "R10.attach-needs-reuseport": "a program attaches only to a socket with SO_REUSEPORT "
                                  "(EINVAL)",
    "R10.program-before-bind-own-group": "a socket that takes a program before bind gets a "
                                         "group of its own and cannot join another group on "
                                         "the port (EADDRINUSE)",
    "R10.detach-needs-group": "SO_DETACH_REUSEPORT_BPF on a socket without SO_REUSEPORT is EINVAL",
    "R10.detach-needs-program": "SO_DETACH_REUSEPORT_BPF on a group without a program is ENOENT",
    "R10.hash-reciprocal-scale": "the group scales a flow's hash onto its member count, so a "
                                 "member joining or leaving also moves flows between members "
                                 "that stay",
    "R10.incoming-cpu": "a member whose SO_INCOMING_CPU is the CPU a packet arrives on gets it, "
                        "whatever order the option was set in; with no such member, the hash",
    "R10.sockarray-select": "bpf_sk_select_reuseport picks the map slot's socket when it is a "
                            "live member of the packet's group, else fails: ENOENT (empty slot "
                            "or closed member), EBADFD (another group), EPROTOTYPE (other "
                            "protocol), EAFNOSUPPORT (other family)",
    "R10.sockarray-verdict": "an sk_reuseport program's SK_DROP drops the packet (a SYN is "
                             "refused); SK_PASS with nothing selected leaves it to the hash",
    "R10.sockarray-members-only": "a REUSEPORT_SOCKARRAY map takes only group members: a bound "
                                  "UDP or a listening TCP socket with SO_REUSEPORT (EINVAL)",
    "R10.select-or-migrate": "a BPF_SK_REUSEPORT_SELECT_OR_MIGRATE program decides where a "
                             "closed or shut down listener's connections and requests go, "
                             "whatever tcp_migrate_req says: the member it selects, the "
                             "kernel's pick on SK_PASS, a reset on SK_DROP",
    "R10.join-at-listen": "a TCP socket joins its group at listen(), a UDP one at bind(); a new "
                          "member takes the next index",
    "R10.leaver-takes-last": "a member that leaves (close, shutdown) has its index filled by the "
                             "group's last member; a shut down listener that listens again "
                             "rejoins at the end",
    "R10.group-per-address-device": "sockets on different specific addresses, or bound to "
                                    "different devices, of one port form separate groups",
    "R10.connect-rehash-leaves": "a UDP member bound to the wildcard address leaves its group on "
                                 "connect(), which rehashes it to a local address",
    "R10.connected-leaves-group": "with the 4-tuple hash, a UDP member bound to a specific "
                                  "address leaves its group when it connects",
})

# Devices, multicast and broadcast on a shared port (suites/device_reuse.cc,
# suites/group_cast.cc).
RULES.update({
    "R6.device-preferred": "traffic arriving on a device goes to a socket bound to that device "
                           "rather than one bound to no device, when neither has SO_REUSEPORT",
    "R7.reuseport-first-match": "the receive lookup stops at the first SO_REUSEPORT socket that "
                                "matches and scores above the ones before it, even if a later "
                                "socket (one bound to the arrival device) would score higher; "
                                "the port's list holds IPv4 sockets newest first and IPv6 "
                                "SO_REUSEPORT sockets oldest first",
    "R7.cast-by-address": "a multicast or broadcast datagram reaches only sockets bound to the "
                          "wildcard or to the datagram's destination, never to another address",
    "R7.multicast-all": "with IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) on, the default, a socket that "
                        "is no member of a group still receives its datagrams once the device "
                        "has joined the group for another socket; with it off, only members do",
})

# TCP port lifetime around close() and shutdown() (suites/tcp_life.cc;
# sockreuse/model/tcp_life.py), under the R family each refines.
RULES.update({
    "R1.shutdown-stops-listener": "shutdown(SHUT_RD) or SHUT_RDWR on a listener stops it "
                                  "listening: back in CLOSE, still bound, it refuses "
                                  "connections and may listen() again; SHUT_WR leaves it "
                                  "listening",
    "R1.closed-keeps-bound-port": "a TCP socket back in CLOSE with its descriptor open (a "
                                  "listener shut down for reading, a refused connect(), a "
                                  "connection ended) holds a port it bound explicitly as a "
                                  "bound socket; a port the kernel chose for it is released",
    "R3.orphan-fin-wait2-holds": "a socket closed first while its peer keeps its end open "
                                 "(an orphaned FIN_WAIT2, a timewait socket of substate "
                                 "FIN_WAIT2) holds its port as a TIME_WAIT does",
    "R3.fin-wait2-timeout": "an orphaned FIN_WAIT2 ends when TCP_LINGER2 (else "
                            "net.ipv4.tcp_fin_timeout) runs out: then nothing holds the port",
    "R3.passive-close-no-tw": "the side that gets the FIN first (CLOSE_WAIT, LAST_ACK) goes "
                              "to no TIME_WAIT: once its own FIN is acknowledged it is closed",
    "R3.peer-tw-takes-syn": "a TIME_WAIT takes a SYN of its own 4-tuple with a newer timestamp "
                            "or sequence number as a new connection: the side that closed "
                            "second may connect again from the same port",
})
