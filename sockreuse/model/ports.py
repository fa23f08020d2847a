"""Predictions for port selection (issue 15, port_select): bind(0) and
connect() in a shrunken net.ipv4.ip_local_port_range, reserved ports, and
IP_BIND_ADDRESS_NO_PORT. The conflict check on each port is bindcheck.py's."""
from . import kinds
from .bindcheck import Port, check, update_bucket
from .binds import bind, sock_names
from .sockets import parse

OUTSIDE = 1024  # a port below any range the cases set: where a search without the range lands


def _ports(p, ctx):
    """(ports bind(0) may pick, in order, reserved ports, range)."""
    low, high = map(int, p["ip_local_port_range"].split())
    reserved = {int(x) for x in p.get("ip_local_reserved_ports", "").replace(",", " ").split()}
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


def _autobind(ports, sock, span, ctx):
    """bind(0): the first port of the span the socket may take, or None."""
    strict = sock.proto == "tcp" and ctx.on("R2.tcp-autobind-strict")
    probe = sock.with_(reuseaddr=False, reuseport=False) if strict else sock
    for n in span:
        port = ports.setdefault(n, Port())
        if check(port, probe, ctx).ok:
            port.socks.append(sock)
            update_bucket(port, sock, ctx)
            return n
    return None


@kinds.register("port_sequence")
def port_sequence(p, ctx):
    """Sockets bound in order, each with bind(0) or an explicit port."""
    span, reserved, rng = _ports(p, ctx)
    names = sock_names(p)
    ports, rules = {}, ["R1.autobind-range"]
    if reserved:
        rules.append("R1.reserved-skipped")
    for i, name in enumerate(names):
        words = p[name].split()
        last = i + 1 == len(names)
        if "bind(0)" in words:
            words.remove("bind(0)")
            sock = parse(" ".join(words), p["proto"])
            n = _autobind(ports, sock, span, ctx)
            rules.append("R2.tcp-autobind-strict")
            token = "bind:EADDRINUSE" if n is None else port_token(n, reserved, rng)
        else:
            k = words.index("port")
            n = int(words[k + 1])
            sock = parse(" ".join(words[:k] + words[k + 2:]), p["proto"])
            token, chain = bind(ports.setdefault(n, Port()), sock, ctx)
            rules += chain
        if last:
            return token, rules
        if n is None or token.endswith("EADDRINUSE"):
            return f"{name}.{token}", rules
    raise ValueError("a port sequence without sockets")


@kinds.register("client_ports")
def client_ports(p, ctx):
    """Client sockets that bind (port 0, maybe with IP_BIND_ADDRESS_NO_PORT) or
    not, then connect in order to one peer or two."""
    span, reserved, rng = _ports(p, ctx)
    proto, n_socks, peers = p["proto"], int(p["sockets"]), p["peers"]
    defer = p.get("IP_BIND_ADDRESS_NO_PORT") == "1" and ctx.on("R1.no-port-defers")
    rules = ["R1.autobind-range"] + (["R1.reserved-skipped"] if reserved else [])
    ports, flows = {}, set()  # port -> Port; (port, peer) pairs in use
    token = "ok"
    for i in range(n_socks):
        got = None
        if p["bind"] != "none":
            sock = parse(p["bind"].split(" port ")[0], proto)
            rules.append("R1.no-port-defers")
            if not defer:
                got = _autobind(ports, sock, span, ctx)
                if got is None:
                    token = "bind:EADDRINUSE"
                    break
        if peers == "none":
            token = "port_deferred" if got is None else port_token(got, reserved, rng)
            continue
        peer = "peer2" if peers == "two" and i == 1 else "peer1"
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
