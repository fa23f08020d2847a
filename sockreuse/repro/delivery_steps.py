"""Reproducers of where traffic goes (R7): a group of sockets bound alike in
the server namespace, then datagrams (udp_delivery) or connections
(tcp_delivery) from the client namespace, counted per socket and named as
the suite names them (fixtures/delivery.cc, suites/r7_delivery.cc)."""
import ipaddress

from sockreuse import topology_facts

from . import csource, writers
from .bind_steps import describe
from .csource import cstr


def first_link():
    """The first veth pair's server end (fence, multicast) and client end."""
    topo = topology_facts.load()
    server = topo.on("server")[0]
    return server, topo.interfaces[server.peer]


def group(prog, p, listen):
    """Every socket of the case bound in order (each must bind): the names."""
    names = []
    for obj in p["sockets"]:
        var, fd = prog.socket(obj, p["proto"])
        names.append(var)
        prog.add(csource.comment(f"{var}: {describe(obj)}"),
                 *csource.bring_up(var, fd, obj, listen=listen, backlog=64))
        prog.fail_if(f"{var} of the group")
    fds = ", ".join(fd for _, fd in prog.sockets)
    prog.add("", "const int group[] = { %s };" % fds,
             "const char *const names[] = { %s };" % ", ".join(cstr(n) for n in names))
    return len(names)


@writers.register("udp_delivery")
def udp_delivery(p):
    """send_to's datagrams, `flows` flows of them: the suite sends 8 a flow
    for one flow and 2 a flow for many (suites/r7_delivery.cc UdpPlan)."""
    dst = ipaddress.ip_address(p["send_to"])
    server, client = first_link()
    broadcast = any(str(i.ipv4.network.broadcast_address) == str(dst)
                    for i in topology_facts.load().interfaces.values())
    if dst.is_multicast and dst.version != 4:
        raise writers.Unsupported("IPv6 multicast delivery")
    prog = writers.Program("delivery")
    prog.locals.append("struct delivery d;")
    n = group(prog, p, listen=False)
    if dst.is_multicast:
        for var, fd in prog.sockets:
            prog.add(f"join_group(&{var}, {fd}, {cstr(dst)}, {cstr(server.name)});")
    flows = p["flows"]
    per_flow = 8 if flows == 1 else 2
    fence = server.ipv4.ip if dst.version == 4 else server.ipv6.ip
    prog.add(f"udp_send({cstr(dst)}, {flows}, {per_flow}, {int(broadcast)}, "
             f"{cstr(client.name) if dst.is_multicast else 'NULL'}, {cstr(fence)});",
             f"udp_count(group, names, {n}, {flows}, {per_flow}, &d);", "classify(&d);")
    return prog


@writers.register("tcp_delivery")
def tcp_delivery(p):
    """`connections` connections to the group's address (a wildcard group:
    to the server's first address of its family)."""
    addr = ipaddress.ip_address(p["sockets"][0]["addr"])
    server, _ = first_link()
    if addr.is_unspecified:
        addr = server.ipv4.ip if addr.version == 4 else server.ipv6.ip
    prog = writers.Program("delivery")
    prog.locals.append("struct delivery d;")
    n = group(prog, p, listen=True)
    prog.add(f"tcp_count(group, names, {n}, {cstr(addr)}, {p['connections']}, &d);",
             "classify(&d);")
    return prog
