"""The pieces of a reproducer's C text: the fragments of sockreuse/repro/c/
(the helpers every reproducer shares), the topology as C data (from
fixtures/topology.yaml through sockreuse.topology_facts), and a case's
sockets as `struct sockspec` initialisers with the calls that bring each
to its state. A kind's writer puts these together (sockreuse/repro/writers.py)."""
import json
import os

from sockreuse import topology_facts

FRAGMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c")
# Every reproducer has these, in this order; a kind adds its own after them.
COMMON = ("base", "netlink", "topology", "sockets")
TYPES = {"tcp": "SOCK_STREAM", "udp": "SOCK_DGRAM"}
# The option names of a socket object's `timing` and how a later change sets them.
TIMED = ("reuseaddr", "reuseport", "device")


def fragment(name):
    with open(os.path.join(FRAGMENTS, name + ".c"), encoding="utf-8") as f:
        return f.read()


def cstr(text):
    """A C string literal (json's escapes are C's for this text), or NULL."""
    return "NULL" if text is None else json.dumps(str(text))


def topology_data():
    """The veth pairs as `struct topo_pair` data, server end first."""
    topo = topology_facts.load()
    lines = ["/* fixtures/topology.yaml: the server and client ends of each veth pair. */",
             "static const struct topo_pair PAIRS[] = {"]
    for server in topo.on("server"):
        ends = []
        for i in (server, topo.interfaces[server.peer]):
            ends.append("{ { %s, %s, %d }, %s, %d, %s, %d }" % (
                cstr(i.name), cstr(i.mac), i.ifindex, cstr(i.ipv4.ip),
                i.ipv4.network.prefixlen, cstr(i.ipv6.ip), i.ipv6.network.prefixlen))
        lines.append("\t{ %s,\n\t  %s }," % tuple(ends))
    lines.append("};")
    return lines


def at_open(obj):
    """The options a socket object sets before bind(): all but those its
    `timing` sets only after it."""
    return {k: (obj[k] if obj["timing"].get(k) != "after_bind" else None) for k in TIMED}


def spec(var, obj, proto, name=None, port="PORT"):
    """`static struct sockspec <var> = {...};` for a case's socket object."""
    opts = at_open(obj)
    fields = [f".name = {cstr(name or var)}", f".type = {TYPES[proto]}",
              f".addr = {cstr(obj['addr'])}"]
    if obj.get("scope"):
        fields.append(f".scope = {cstr(obj['scope'])}")
    fields.append(f".port = {port}")
    if opts["reuseaddr"]:
        fields.append(".reuseaddr = 1")
    if opts["reuseport"]:
        fields.append(".reuseport = 1")
    v6only = obj.get("v6only")
    fields.append(f".v6only = {-1 if v6only is None else int(v6only)}")
    if opts["device"]:
        fields.append(f".device = {cstr(opts['device'])}")
    if obj.get("euid"):
        fields.append(f".euid = {int(obj['euid'])}")
    lines = [""]
    for f in fields:
        if lines[-1] and len(lines[-1]) + len(f) > 80:
            lines.append("")
        lines[-1] += f + ", "
    return ["static struct sockspec %s = {" % var,
            *("\t" + line.rstrip() for line in lines), "};"]


def option_change(var, fd, option, value):
    """The call that sets (or clears) one option of an existing socket."""
    if option == "device":
        return f"sock_setdev(&r, &{var}, {fd}, {cstr(value or '')});"
    macro = {"reuseaddr": "SO_REUSEADDR", "reuseport": "SO_REUSEPORT"}[option]
    return f"sock_setopt(&r, &{var}, {fd}, {macro}, {int(bool(value))});"


def after_bind(var, fd, obj):
    """The changes a socket object's `timing` makes right after bind():
    options set only then, and options set before it and cleared then."""
    out = []
    for option in TIMED:
        when = obj["timing"].get(option)
        if when == "after_bind":
            out.append(option_change(var, fd, option, obj[option]))
        elif when == "cleared_after_bind":
            out.append(option_change(var, fd, option, None))
    return out


def bring_up(var, fd, obj, listen=None, backlog=128):
    """socket(), its options, bind(), the changes after bind(), and listen()
    when the object's state (or `listen`) says so: C lines on `struct step r`."""
    lines = [f"sock_open(&r, &{var}, &{fd});", f"sock_bind(&r, &{var}, {fd});"]
    lines += after_bind(var, fd, obj)
    if obj["state"] == "listen" if listen is None else listen:
        lines.append(f"sock_listen(&r, &{var}, {fd}, {backlog});")
    return lines


def comment(text):
    """A one-line C comment (no comment end inside)."""
    return "/* " + str(text).replace("*/", "* /") + " */"
