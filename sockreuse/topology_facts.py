"""The suite's two-host topology as data (fixtures/topology.yaml): device
names, namespaces, peers, MACs and addresses, and the names other files use
for its addresses (s0_4, c1_6, lo_4_mapped, server_ll ...). The C++ header
(sockreuse/topology_header.py), the model of the rules and the explorer's
space all read it from here."""
import functools
import ipaddress
import os
from dataclasses import dataclass

from sockreuse.files import read_yaml
from sockreuse.paths import REPO

TOPOLOGY_FILE = os.path.join(REPO, "fixtures", "topology.yaml")
NAMESPACES = ("server", "client")


class TopologyError(Exception):
    pass


@dataclass(frozen=True)
class Interface:
    name: str
    namespace: str      # "server", "client", or "both" (loopback)
    peer: str           # the other end of its veth pair ("" for loopback)
    mac: str
    ifindex: int
    ipv4: ipaddress.IPv4Interface
    ipv6: ipaddress.IPv6Interface


@dataclass(frozen=True)
class Topology:
    interfaces: dict    # veth ends by name
    loopback: Interface
    link_local: dict    # side -> IPv6Interface
    vrf: dict           # name, table, member
    addresses: dict     # other named addresses -> ip_address

    def on(self, namespace):
        """The veth ends of a namespace, in the file's order."""
        return [i for i in self.interfaces.values() if i.namespace == namespace]

    def named(self):
        """{name: address text}: <dev>_4, <dev>_6 of every device and lo,
        <dev>_4_bcast of the veth ends, <side>_ll, the other addresses, and
        <name>_mapped (::ffff:a.b.c.d) of every IPv4 one."""
        out = {}
        for i in [*self.interfaces.values(), self.loopback]:
            out[f"{i.name}_4"] = str(i.ipv4.ip)
            out[f"{i.name}_6"] = str(i.ipv6.ip)
            if i is not self.loopback:
                out[f"{i.name}_4_bcast"] = str(i.ipv4.network.broadcast_address)
        for side, iface in self.link_local.items():
            out[f"{side}_ll"] = str(iface.ip)
        out.update((n, str(a)) for n, a in self.addresses.items())
        for n, a in list(out.items()):
            if ipaddress.ip_address(a).version == 4:
                out[f"{n}_mapped"] = f"::ffff:{a}"
        return out


def _iface(path, where, text, version):
    try:
        iface = ipaddress.ip_interface(str(text))
    except ValueError as e:
        raise TopologyError(f"{path}: {where}: {e}")
    if iface.version != version:
        raise TopologyError(f"{path}: {where}: {text} is no IPv{version} address")
    return iface


def _interface(path, name, d, loopback=False):
    try:
        return Interface(name=name, namespace="both" if loopback else d["namespace"],
                         peer="" if loopback else d["peer"], mac=d.get("mac", ""),
                         ifindex=int(d.get("ifindex", 0)),
                         ipv4=_iface(path, f"{name} ipv4", d["ipv4"], 4),
                         ipv6=_iface(path, f"{name} ipv6", d["ipv6"], 6))
    except (KeyError, TypeError, ValueError) as e:
        raise TopologyError(f"{path}: interface {name}: missing or bad {e}")


def parse(doc, path=TOPOLOGY_FILE):
    """The Topology of a parsed topology file; TopologyError when it is not one."""
    try:
        interfaces = {str(n): _interface(path, str(n), d) for n, d in doc["interfaces"].items()}
        lo = _interface(path, str(doc["loopback"]["name"]), doc["loopback"], loopback=True)
        link_local = {side: _iface(path, f"link_local {side}", a, 6)
                      for side, a in doc["link_local"].items()}
        vrf = {k: doc["vrf"][k] for k in ("name", "table", "member")}
        addresses = {str(n): ipaddress.ip_address(str(a))
                     for n, a in (doc.get("addresses") or {}).items()}
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise TopologyError(f"{path}: malformed topology ({e!r})")
    for i in interfaces.values():
        peer = interfaces.get(i.peer)
        if i.namespace not in NAMESPACES or peer is None or peer.peer != i.name \
                or peer.namespace == i.namespace or peer.ipv4.network != i.ipv4.network \
                or peer.ipv6.network != i.ipv6.network:
            raise TopologyError(f"{path}: {i.name} and its peer '{i.peer}' are no veth pair "
                                "across the two namespaces on one network")
    if set(link_local) != set(NAMESPACES) or vrf["member"] not in interfaces:
        raise TopologyError(f"{path}: link_local wants server and client, vrf a member device")
    return Topology(interfaces, lo, link_local, vrf, addresses)


@functools.lru_cache(maxsize=None)
def load(path=TOPOLOGY_FILE):
    return parse(read_yaml(path, TopologyError, "the topology"), path)


def named(path=TOPOLOGY_FILE):
    """{name: address text} of the topology file (see Topology.named)."""
    return load(path).named()
