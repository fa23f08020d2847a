"""Writes the C++ header of the topology (fixtures/topology.yaml) that
fixtures/address.h, fixtures/topology.cc and the suites take their device
names and addresses from. CMake runs it at configure time and again when the
YAML changes; it rewrites OUT only when its text changes, so that sources
depending on it are not rebuilt for nothing:

    /usr/bin/python3 -m sockreuse.topology_header OUT [--topology YAML]
"""
import argparse
import os
import sys

from sockreuse import topology_facts
from sockreuse.files import write_atomic
from sockreuse.errors import EXIT_USAGE

STRUCT = """\
// One device of the topology: a veth end, or the loopback (no peer, MAC,
// ifindex or broadcast).
struct Interface {
  const char* name;
  const char* ns;    // "server", "client"; "both" for the loopback
  const char* peer;  // the other end of its veth pair
  const char* mac;
  int ifindex;
  const char* v4;
  const char* v4_cidr;    // with its prefix length, as rtnl adds it
  const char* v4_mapped;  // ::ffff:v4
  const char* v4_bcast;
  const char* v6;
  const char* v6_cidr;
};

// A veth pair, by its ends.
struct VethPair {
  const Interface& server;
  const Interface& client;
};
"""


def camel(name):
    """"s0" -> "S0", "mcast_4" -> "Mcast4"."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def quoted(text):
    return '"' + str(text) + '"'


def interface(i, named):
    bcast = named.get(f"{i.name}_4_bcast", "")
    fields = [quoted(i.name), quoted(i.namespace), quoted(i.peer), quoted(i.mac), str(i.ifindex),
              quoted(i.ipv4.ip), quoted(i.ipv4), quoted(named[f"{i.name}_4_mapped"]),
              quoted(bcast), quoted(i.ipv6.ip), quoted(i.ipv6)]
    return f"constexpr Interface k{camel(i.name)}{{{', '.join(fields)}}};"


def header(topo, source):
    named = topo.named()
    out = [f"// Generated from {source} by sockreuse/topology_header.py: edit the YAML,",
           "// not this file (fixtures/address.h and fixtures/topology.h use it).",
           "#pragma once", "", "#include <cstdint>", "", "namespace sr::topo {", "", STRUCT]
    for i in [*topo.interfaces.values(), topo.loopback]:
        out.append(interface(i, named))
    pairs = [f"{{k{camel(i.name)}, k{camel(i.peer)}}}" for i in topo.on("server")]
    out += ["", f"constexpr VethPair kPairs[] = {{{', '.join(pairs)}}};", "",
            "// Link-local addresses the scope cases add on both devices of a side."]
    for side, iface in topo.link_local.items():
        out.append(f"constexpr const char* k{camel(side)}Ll = {quoted(iface.ip)};")
        out.append(f"constexpr const char* k{camel(side)}LlCidr = {quoted(iface)};")
    out += ["", f"constexpr const char* kVrfName = {quoted(topo.vrf['name'])};",
            f"constexpr uint32_t kVrfTable = {int(topo.vrf['table'])};",
            f"constexpr const char* kVrfMember = {quoted(topo.vrf['member'])};", ""]
    for name, addr in topo.addresses.items():
        out.append(f"constexpr const char* k{camel(name)} = {quoted(addr)};")
    out += ["", "}  // namespace sr::topo", ""]
    return "\n".join(out)


def write(out_path, text):
    """Writes text unless the file holds it already."""
    try:
        with open(out_path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    write_atomic(out_path, text)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m sockreuse.topology_header", description=__doc__)
    p.add_argument("out", help="the header to write")
    p.add_argument("--topology", default=topology_facts.TOPOLOGY_FILE)
    a = p.parse_args(argv)
    try:
        topo = topology_facts.load(a.topology)
        write(a.out, header(topo, os.path.relpath(a.topology, topology_facts.REPO)))
    except (topology_facts.TopologyError, OSError) as e:
        print(f"sockreuse: {e}: fix the topology file and build again", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
