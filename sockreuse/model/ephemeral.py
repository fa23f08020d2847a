"""Predictions for the ports the kernel picks itself (the corner group
ephemeral): bind(0) or connect() gives the first socket a port, and a second
socket binds that port by hand. The picked port is in use like any other, so
the second bind goes through the same check as every bind (bindcheck.py)."""
from . import kinds
from .bindcheck import Port
from .binds import bind
from .sockets import sock


@kinds.register("ephemeral")
def ephemeral(p, ctx):
    """`sockets`: the first socket (port 0; `autobind` says whether bind(0) or
    connect() to `peer` gave it its port, `addr` being the address it then
    holds) and the second, bound to the port the first got; `close_first`
    closes the first before."""
    first, second = (sock(o, p["proto"]) for o in p["sockets"])
    port, rules = Port(), []
    if p["autobind"] == "bind":
        token, rules = bind(port, first, ctx)
        if token != "ok":
            return f"sock1.{token}", rules
    elif ctx.on("R1.picked-port-in-use"):
        # connect() hashes the socket on its port with the source address, but
        # leaves the port's reuse cache unset (tb->fastreuse = -1): a later
        # bind() is checked against it socket by socket.
        port.socks.append(first)
    rules = rules + ["R1.picked-port-in-use"]
    if p["close_first"]:
        port = Port()
    token, chain = bind(port, second, ctx)
    return token, rules + chain
