"""The suite's two-host topology (fixtures/topology.h), as the model needs it:
which device owns each server address, and which peer address each device
reaches. Routing decides some outcomes (a connection that arrives on
another device than its listener's is refused)."""
import ipaddress

from .sockets import ip_of, unmapped

SERVER_ADDRESSES = {
    "s0": ("198.51.100.1", "2001:db8:1::1"),
    "s1": ("203.0.113.1", "2001:db8:2::1"),
    "lo": ("127.0.0.1", "::1"),
}
PEER_NETS = {
    "s0": ("198.51.100.0/24", "2001:db8:1::/64"),
    "s1": ("203.0.113.0/24", "2001:db8:2::/64"),
}


def device_of(ip):
    """The server device an address belongs to ('lo' for loopback), or None."""
    ip = unmapped(ip)
    if ip.is_loopback:
        return "lo"
    for dev, addrs in SERVER_ADDRESSES.items():
        if str(ip) in addrs:
            return dev
    return None


def route_device(peer):
    """The device the server namespace reaches a peer address through."""
    ip = unmapped(peer)
    if ip.is_loopback:
        return "lo"
    for dev, nets in PEER_NETS.items():
        if any(ip in ipaddress.ip_network(n) for n in nets):
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
