"""What the model knows of a socket: protocol, family, local address, the
reuse options the kernel sees, device, owner and state. Built from a case's
socket object (fixtures/sock_params.cc): {"family", "addr", "scope", "port",
"reuseaddr", "reuseport", "v6only", "device", "state", "euid", "timing"}.
`timing` says when an option changed: "after_bind" (set only after bind),
"cleared_after_bind" (set before bind, cleared after it); the kernel's cached
port state sees the options at bind time, the conflict check the current
ones."""
import functools
import ipaddress
from dataclasses import dataclass, field, fields

# Addresses repeat across hundreds of thousands of predictions: parse each once.
ip_of = functools.lru_cache(maxsize=None)(ipaddress.ip_address)


def unmapped(addr):
    """The address as the kernel routes it: a v4-mapped one as its IPv4."""
    ip = ip_of(addr)
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip


# A timed option's name in a socket object -> the Sock field and its value when unset.
_TIMED = {"reuseaddr": ("reuseaddr", False), "reuseport": ("reuseport", False),
          "device": ("dev", "")}


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
    state: str = "bound"       # bound, listen, timewait, established, connected
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
        return self.with_(at_bind=(), **dict(self.at_bind))

    def bound(self):
        """The socket once its options changed after bind()."""
        return self.with_(at_bind=())

    def with_(self, **kw):
        """dataclasses.replace, without its cost: a third of the model's time
        over the explorer's triples went to replace() alone. The fields are
        plain values (no __post_init__), so a copy of the instance dict with
        the changes is the same object replace() would build."""
        unknown = kw.keys() - _FIELDS
        if unknown:
            raise TypeError(f"Sock has no field {', '.join(sorted(unknown))}")
        new = object.__new__(Sock)
        new.__dict__.update(self.__dict__, **kw)
        return new


_FIELDS = frozenset(f.name for f in fields(Sock))


def v6only_on_bind(addr, option):
    """IPV6_V6ONLY as bind() leaves it: binding a specific IPv6 address that is
    not v4-mapped turns it on (R8.specific-v6-is-v6only)."""
    ip = ip_of(addr)
    return option or (ip.version == 6 and not ip.is_unspecified and ip.ipv4_mapped is None)


def sock(obj, proto):
    """The Sock a case's socket object describes (its scope and port are the
    caller's: scopes.py and ports.py read them)."""
    now = {"reuseaddr": obj["reuseaddr"], "reuseport": obj["reuseport"],
           "dev": obj["device"] or ""}
    at_bind = {}
    for option, when in obj["timing"].items():
        key, unset = _TIMED[option]
        if when == "after_bind":
            at_bind[key] = unset
        elif when == "cleared_after_bind":
            at_bind[key], now[key] = now[key], unset
        else:
            raise ValueError(f"unknown timing {when!r} of {option}")
    addr = obj["addr"]
    return Sock(proto=proto, family=obj["family"], addr=addr, **now,
                v6only=v6only_on_bind(addr, obj["v6only"] is True), euid=obj["euid"],
                state=obj["state"], at_bind=tuple(sorted(at_bind.items())))
