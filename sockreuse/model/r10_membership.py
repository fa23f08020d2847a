"""R10: who is a member of a SO_REUSEPORT group and at which index, replayed
from a case's steps. A program that returns the source port's low byte makes
the order visible: a flow asking for index k reaches whoever holds k."""
import ipaddress

from . import kinds
from .r10_tokens import steered

# The group key when groups are per port only (R10.group-per-address-device off).
_WHOLE_PORT = "port"


class _Groups:
    def __init__(self, proto, ctx, rules):
        self.proto, self.ctx, self.rules = proto, ctx, rules
        self.bound = {}      # member -> (address, device)
        self.groups = {}     # group key -> [members, in index order]
        self.connected = {}  # member -> peer
        self.rehashed = set()

    def key(self, m):
        addr, dev = self.bound[m]
        if self.ctx.on("R10.group-per-address-device"):
            return addr, dev
        return _WHOLE_PORT

    def join(self, m):
        self.groups.setdefault(self.key(m), []).append(m)

    def leave(self, m):
        group = self.groups.get(self.key(m), [])
        if m not in group:
            return
        if self.ctx.on("R10.leaver-takes-last"):
            i = group.index(m)
            group[i] = group[-1]
            group.pop()
            if i < len(group):
                self.rules.append("R10.leaver-takes-last")
        else:
            group.remove(m)
            self.rules.append("R10.leaver-takes-last")

    def step(self, step):
        m, verb = step["member"] - 1, step["op"]
        joins_at = "listen" if self.proto == "tcp" and self.ctx.on("R10.join-at-listen") \
            else "bind"
        if verb == "bind":
            self.bound[m] = ipaddress.ip_address(step["addr"]), step.get("dev")
        if verb == joins_at:
            self.join(m)
            if self.proto == "tcp":
                self.rules.append("R10.join-at-listen")
        elif verb == "listen" and self.proto == "tcp" and m not in self.groups.get(self.key(m), []):
            self.join(m)  # a listener that was shut down listens again
        elif verb in ("close", "shutdown"):
            self.leave(m)
        elif verb == "connect":
            self.connected[m] = step["addr"]
            addr, _ = self.bound[m]
            if addr.is_unspecified:
                self.rules.append("R10.connect-rehash-leaves")
                if self.ctx.on("R10.connect-rehash-leaves"):
                    self.leave(m)
            elif self.ctx.has("udp_connected_leaves_group"):
                self.rules.append("R10.connected-leaves-group")
                if self.ctx.on("R10.connected-leaves-group"):
                    self.leave(m)

    def serving(self, dst, dev):
        """The group a packet to dst arriving on dev reaches: a specific
        address over the wildcard, a device-bound group over an unbound one."""
        best, score = [], -1
        for k, members in self.groups.items():
            if k == _WHOLE_PORT:
                return members
            addr, bound_dev = k
            if (addr != dst and not addr.is_unspecified) or bound_dev not in (None, dev):
                continue
            s = (2 if addr == dst else 0) + (1 if bound_dev else 0)
            if s > score and members:
                best, score = members, s
        if len(self.groups) > 1:
            self.rules.append("R10.group-per-address-device")
        return best


@kinds.register("r10_membership")
def membership(p, ctx):
    rules = ["R10.program-picks"]
    g = _Groups(p["proto"], ctx, rules)
    for step in p["steps"]:
        g.step(step)
    asked = [k for k in p["indexes_asked"] for _ in range(p["flows_per_index"])]
    if p["flows_from"] == "connected_peer" and g.connected:
        if ctx.on("R7.connected-preferred"):
            member = next(iter(g.connected))
            return steered(asked, [member] * len(asked)), rules + ["R7.connected-preferred"]
        rules.append("R7.connected-preferred")
    group = g.serving(ipaddress.ip_address(p["send_to"]), p["arrives_on"])
    if not ctx.on("R10.program-picks"):
        return "spread", rules + ["R7.reuseport-hash"]
    landed = [group[k] if k < len(group) else None for k in asked]
    if None in landed:
        rules.append("R10.out-of-range-hash")
        if not ctx.on("R10.out-of-range-hash"):
            return "none", rules
        if set(group) - set(g.connected) == set(group):
            # The hash spreads over the members left, none of them connected.
            rules.append("R7.reuseport-hash")
            return ("unconnected_members" if g.connected else "spread"), rules
    return steered(asked, landed), rules
