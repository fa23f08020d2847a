"""What the model knows of a socket: protocol, family, local address, the
reuse options the kernel sees, device, owner and state. Built from the
words the suite uses to describe a socket (fixtures/sequence.cc describe()):
"0.0.0.0 reuseaddr listen uid65534 dev=s0". An option word may say when it
changed: "reuseaddr@after" (set only after bind), "reuseaddr@cleared" (set
before bind, cleared after it); the kernel's cached port state sees the
options at bind time, the conflict check the current ones."""
import functools
import ipaddress
from dataclasses import dataclass, field, replace

# Addresses repeat across hundreds of thousands of predictions: parse each once.
ip_of = functools.lru_cache(maxsize=None)(ipaddress.ip_address)


def unmapped(addr):
    """The address as the kernel routes it: a v4-mapped one as its IPv4."""
    ip = ip_of(addr)
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip


FLAG_WORDS = {"reuseaddr", "reuseport", "v6only", "dualstack", "listen", "uid65534"}
TIMED = {"reuseaddr", "reuseport", "dev"}


@dataclass(frozen=True)
class Sock:
    proto: str                 # "tcp" or "udp"
    family: int                # 4 or 6
    addr: str                  # the address bound, as written ("::ffff:0.0.0.0")
    reuseaddr: bool = False
    reuseport: bool = False
    v6only: bool = False       # IPV6_V6ONLY (the namespace default is 0)
    dev: str = ""              # SO_BINDTODEVICE, "" for none
    euid: int = 0
    state: str = "bound"       # bound, listen, tw (TIME_WAIT), established, connected
    # The IPv4 address the kernel keeps for an IPv6 socket whose specific
    # address came from connect() or accept() of a dual-stack wildcard:
    # 127.0.0.6 (LOOPBACK4_IPV6), which an IPv4 wildcard bind still matches.
    v4_alias: str = ""
    # Options whose value at bind() differs from the current one: name -> value at bind.
    at_bind: tuple = field(default=())

    @property
    def ip(self):
        return ip_of(self.addr)

    @property
    def mapped(self):
        """The IPv4 address of a v4-mapped IPv6 address, else None."""
        return self.ip.ipv4_mapped if self.family == 6 else None

    @property
    def v4_view(self):
        """The IPv4 address this socket answers for, if any."""
        if self.family == 4:
            return self.ip
        if self.mapped is not None:
            return self.mapped
        if self.ip.is_unspecified and not self.v6only:
            return ip_of("0.0.0.0")
        return None

    def binding(self):
        """The socket as bind() saw it, options changed later undone."""
        return replace(self, at_bind=(), **dict(self.at_bind))

    def bound(self):
        """The socket once its options changed after bind()."""
        return replace(self, at_bind=())

    def with_(self, **kw):
        return replace(self, **kw)


def v6only_on_bind(addr, option):
    """IPV6_V6ONLY as bind() leaves it: binding a specific IPv6 address that is
    not v4-mapped turns it on (R8.specific-v6-is-v6only)."""
    ip = ip_of(addr)
    return option or (ip.version == 6 and not ip.is_unspecified and ip.ipv4_mapped is None)


def parse(text, proto):
    words = text.split()
    addr, rest = words[0], words[1:]
    family = 6 if ":" in addr else 4
    opts = {"reuseaddr": False, "reuseport": False, "dev": ""}
    at_bind = {}
    flags = set()
    for w in rest:
        name, _, when = w.partition("@")
        key, value = ("dev", name.split("=", 1)[1]) if name.startswith("dev=") else (name, True)
        if key in TIMED:
            if when not in ("", "after", "cleared"):
                raise ValueError(f"unknown timing '@{when}' in '{text}'")
            opts[key] = value if when != "cleared" else opts[key]
            if when == "after":
                at_bind[key] = False if key != "dev" else ""
            elif when == "cleared":
                at_bind[key] = value
        elif name in FLAG_WORDS and not when:
            flags.add(name)
        else:
            raise ValueError(f"unknown socket word '{w}' in '{text}'")
    return Sock(proto=proto, family=family, addr=addr, reuseaddr=opts["reuseaddr"],
                reuseport=opts["reuseport"], v6only=v6only_on_bind(addr, "v6only" in flags),
                dev=opts["dev"],
                euid=65534 if "uid65534" in flags else 0,
                state="listen" if "listen" in flags else "bound",
                at_bind=tuple(sorted(at_bind.items())))
