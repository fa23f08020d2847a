"""Reproducers of ports the kernel picks itself (kind ephemeral,
suites/ephemeral.cc), in the client namespace: the first socket gets its
port from bind(0) or from connect() to `peer` (a TCP peer is a listener
in the server namespace; a v4-mapped peer, one on the IPv4 address it
maps), its address is checked to be the one the case names, then the
second socket binds that port (the first closed before, if the case says)."""
import ipaddress

from . import csource, writers
from .bind_steps import describe
from .csource import cstr


@writers.register("ephemeral")
def ephemeral(p):
    first, second = p["sockets"]
    proto, peer = p["proto"], p["peer"]
    prog = writers.Program()
    prog.locals += ["char ip[64];", "int got;"]
    if p["autobind"] == "connect" and proto == "tcp":
        ip = ipaddress.ip_address(peer)
        at = str(ip.ipv4_mapped) if ip.version == 6 and ip.ipv4_mapped else peer
        listener = {**second, "family": 6 if ":" in at else 4, "addr": at, "scope": None,
                    "reuseaddr": False, "reuseport": False, "v6only": None, "device": None,
                    "state": "listen", "euid": 0, "timing": {}}
        lvar, lfd = prog.extra("listener", listener, proto, "listener", fd=True)
        prog.add(csource.comment(f"the peer: a listener on {at}"),
                 *csource.bring_up(lvar, lfd, listener))
        prog.fail_if("the peer's listener")
    prog.add("to_client();")
    v1, f1 = prog.socket(first, proto, port="0")
    v2, f2 = prog.socket(second, proto, port="0")
    how = "bind(0)" if p["autobind"] == "bind" else f"connect() to {peer}"
    prog.add("", csource.comment(f"{v1}: {describe(first)}, its port from {how}"),
             f"sock_open(&r, &{v1}, &{f1});")
    if p["autobind"] == "bind":
        prog.add(f"sock_bind(&r, &{v1}, {f1});")
        if first["state"] == "listen":
            prog.add(f"sock_listen(&r, &{v1}, {f1}, 128);")
    else:
        prog.add(f"sock_connect(&r, &{v1}, {f1}, {cstr(peer)}, PORT);")
    prog.fail_if(f"{v1} getting its port")
    prog.add(f"got = sock_port(&{v1}, {f1}, ip, sizeof ip);",
             f"if (!same_addr(ip, {cstr(first['addr'])}))",
             f'\tfail("the first socket got %s, not {first["addr"]}", ip);')
    if p["close_first"]:
        prog.add(f"sock_close(&{v1}, &{f1});")
    prog.add("", csource.comment(f"{v2}: {describe(second)}, on the port {v1} got"),
             f"{v2}.port = got;", *csource.bring_up(v2, f2, second), "set_outcome(0, r);",
             "if (conflict()) {", f"\tsock_close(&{v2}, &{f2});",
             f"\tsock_{'abort' if p['autobind'] == 'connect' and proto == 'tcp' else 'close'}"
             f"(&{v1}, &{f1});",
             f"\tcontrol(&{v2}, {int(second['state'] == 'listen')}, \"with {v1} closed\");", "}")
    return prog
