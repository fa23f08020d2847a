"""Predictions for port selection (the corner group port_select): bind(0) and
connect() in a shrunken net.ipv4.ip_local_port_range, reserved ports, and
IP_BIND_ADDRESS_NO_PORT. The conflict check on each port is bindcheck.py's."""
from . import kinds
from .bindcheck import Port, check, update_bucket
from .binds import bind
from .sockets import sock

OUTSIDE = 1024  # a port below any range the cases set: where a search without the range lands


def _ports(p, ctx):
    """(ports bind(0) may pick, in order, reserved ports, range)."""
    low, high = p["sysctls"]["net.ipv4.ip_local_port_range"]
    reserved = set(p["sysctls"].get("net.ipv4.ip_local_reserved_ports", []))
    span = list(range(low, high + 1)) if ctx.on("R1.autobind-range") else [OUTSIDE]
    if ctx.on("R1.reserved-skipped"):
        span = [n for n in span if n not in reserved]
    return span, reserved, (low, high)


def port_token(n, reserved, rng):
    if n in reserved:
        return "reserved_taken"
    if not rng[0] <= n <= rng[1]:
        return "port_outside_range"
    return "reserved_skipped" if reserved else "port_in_range"


def _autobind(ports, s, span, ctx):
    """bind(0): the first port of the span the socket may take, or None."""
    strict = s.proto == "tcp" and ctx.on("R2.tcp-autobind-strict")
    probe = s.with_(reuseaddr=False, reuseport=False) if strict else s
    for n in span:
        port = ports.setdefault(n, Port())
        if check(port, probe, ctx).ok:
            port.socks.append(s)
            update_bucket(port, s, ctx)
            return n
    return None


@kinds.register("port_sequence")
def port_sequence(p, ctx):
    """Sockets bound in order, each with bind(0) or an explicit port."""
    span, reserved, rng = _ports(p, ctx)
    objs = p["sockets"]
    ports, rules = {}, ["R1.autobind-range"]
    if reserved:
        rules.append("R1.reserved-skipped")
    for i, obj in enumerate(objs):
        last = i + 1 == len(objs)
        s = sock(obj, p["proto"])
        if obj["port"] == 0:
            n = _autobind(ports, s, span, ctx)
            rules.append("R2.tcp-autobind-strict")
            token = "bind:EADDRINUSE" if n is None else port_token(n, reserved, rng)
        else:
            n = obj["port"]
            token, chain = bind(ports.setdefault(n, Port()), s, ctx)
            rules += chain
        if last:
            return token, rules
        if n is None or token.endswith("EADDRINUSE"):
            return f"sock{i + 1}.{token}", rules
    raise ValueError("a port sequence without sockets")


@kinds.register("client_ports")
def client_ports(p, ctx):
    """`clients` client sockets that bind (the objects of `sockets`, port 0,
    maybe with IP_BIND_ADDRESS_NO_PORT) or not (no objects), then connect in
    order to `peers` peers: none, one, or two (the second socket to the second)."""
    span, reserved, rng = _ports(p, ctx)
    proto, n_socks, peers = p["proto"], p["clients"], p["peers"]
    defer = p["bind_address_no_port"] and ctx.on("R1.no-port-defers")
    rules = ["R1.autobind-range"] + (["R1.reserved-skipped"] if reserved else [])
    ports, flows = {}, set()  # port -> Port; (port, peer) pairs in use
    token = "ok"
    for i in range(n_socks):
        got = None
        if p["sockets"]:
            s = sock(p["sockets"][i], proto).with_(state="bound")
            rules.append("R1.no-port-defers")
            if not defer:
                got = _autobind(ports, s, span, ctx)
                if got is None:
                    token = "bind:EADDRINUSE"
                    break
        if peers == 0:
            token = "port_deferred" if got is None else port_token(got, reserved, rng)
            continue
        peer = "peer2" if peers == 2 and i == 1 else "peer1"
        rules.append("R1.connect-port-by-4tuple")
        if got is None:
            by_tuple = proto == "tcp" and ctx.on("R1.connect-port-by-4tuple")
            free = [n for n in span if ((n, peer) not in flows if by_tuple else n not in ports)]
            if not free:
                token = "connect:EADDRNOTAVAIL" if proto == "tcp" else "connect:EAGAIN"
                break
            got = free[0]
            ports.setdefault(got, Port())
        flows.add((got, peer))
        token = port_token(got, reserved, rng)
    return token, rules
