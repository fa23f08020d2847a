"""Predictions for the other forms of TIME_WAIT (issue 15, tw_forms): the
client's TIME_WAIT, endings that leave none, and connect() over a TIME_WAIT's
4-tuple with tcp_tw_reuse. The conflict itself is bindcheck.py's."""
from . import kinds
from .bindcheck import Port
from .binds import bind
from .sockets import ip_of, parse


def _strip_port(desc):
    """"198.51.100.2 reuseaddr port 40000" -> "198.51.100.2 reuseaddr"."""
    words = desc.split()
    if "port" in words:
        i = words.index("port")
        words = words[:i] + words[i + 2:]
    return " ".join(words)


@kinds.register("client_timewait")
def client_timewait(p, ctx):
    port = Port()
    client = parse(_strip_port(p["timewait"]), "tcp")
    token, _ = bind(port, client, ctx)
    if token != "ok":
        raise kinds.NoPrediction(f"the client itself would not bind ({token})")
    port.socks[-1] = port.socks[-1].with_(state="tw")
    token, rules = bind(port, parse(_strip_port(p["new"]), "tcp"), ctx)
    if token != "ok" or p.get("then") != "connect to the same peer":
        return token, rules
    if not ctx.on("R3.tw-yields-to-bound-connect"):
        return "connect:EADDRNOTAVAIL", rules + ["R3.tw-yields-to-bound-connect"]
    return "ok", rules + ["R3.tw-yields-to-bound-connect"]


@kinds.register("no_timewait")
def no_timewait(p, ctx):
    port = Port()
    if not ctx.on("R3.no-tw-after-reset"):
        port.socks.append(parse(p["timewait_would_be"], "tcp").with_(state="tw"))
    token, rules = bind(port, parse(p["new"], "tcp"), ctx)
    return token, ["R3.no-tw-after-reset"] + rules


@kinds.register("tw_reuse_connect")
def tw_reuse_connect(p, ctx):
    reuse, loopback = p["tcp_tw_reuse"], ip_of(p["peer"]).is_loopback
    allowed = reuse == "1" or (reuse == "2" and loopback)
    if allowed and ctx.on("R3.tw-reuse-connect"):
        return "ok", ["R1.connect-port-by-4tuple", "R3.tw-reuse-connect"]
    return "connect:EADDRNOTAVAIL", ["R1.connect-port-by-4tuple", "R3.tw-reuse-connect"]
