"""The suite's two-host topology (fixtures/topology.yaml), as the model needs
it: which device owns each server address, and which peer address each
device reaches. Routing decides some outcomes (a connection that arrives on
another device than its listener's is refused)."""
from sockreuse import topology_facts

from .sockets import ip_of, unmapped

_TOPOLOGY = topology_facts.load()
SERVER_ADDRESSES = {
    **{i.name: (str(i.ipv4.ip), str(i.ipv6.ip)) for i in _TOPOLOGY.on("server")},
    _TOPOLOGY.loopback.name: (str(_TOPOLOGY.loopback.ipv4.ip), str(_TOPOLOGY.loopback.ipv6.ip)),
}
PEER_NETS = {i.name: (i.ipv4.network, i.ipv6.network) for i in _TOPOLOGY.on("server")}


def device_of(ip):
    """The server device an address belongs to ('lo' for loopback), or None."""
    ip = unmapped(ip)
    if ip.is_loopback:
        return _TOPOLOGY.loopback.name
    for dev, addrs in SERVER_ADDRESSES.items():
        if str(ip) in addrs:
            return dev
    return None


def route_device(peer):
    """The device the server namespace reaches a peer address through."""
    ip = unmapped(peer)
    if ip.is_loopback:
        return _TOPOLOGY.loopback.name
    for dev, nets in PEER_NETS.items():
        if any(ip in n for n in nets):
            return dev
    return None


def source_for(peer):
    """The local address the server namespace sends from to reach a peer."""
    v4 = unmapped(peer)
    mapped = v4.version != ip_of(peer).version
    if v4.is_loopback:
        return str(peer)
    dev = route_device(peer)
    addr = SERVER_ADDRESSES[dev][0 if v4.version == 4 else 1]
    return f"::ffff:{addr}" if mapped else addr
