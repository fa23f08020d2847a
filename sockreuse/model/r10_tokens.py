"""How an R10 case names where its flows went (fixtures/flows.cc
steered_token): by_program when every flow reached the member created at the
index it asked for, else each member with the flows it got ("m1:f0-3|m3:f4-7");
a flow the group's hash decides makes the word the hash's (spread)."""


def _ranges(flows):
    out, start = [], None
    for i, f in enumerate(flows):
        if start is None:
            start = f
        if i + 1 == len(flows) or flows[i + 1] != f + 1:
            out.append(str(start) if start == f else f"{start}-{f}")
            start = None
    return ",".join(out)


def steered(asked, landed):
    """asked[i]: the index flow i asked for; landed[i]: the member (0-based,
    in creation order) it reached, or None when the hash decided."""
    if any(m is None for m in landed):
        return "spread"
    if all(a == m for a, m in zip(asked, landed)):
        return "by_program"
    by_index = {}
    for a, m in zip(asked, landed):
        by_index.setdefault(a, set()).add(m)
    if any(len(ms) != 1 for ms in by_index.values()):
        return "spread"
    flows_of = {}
    for f, m in enumerate(landed):
        flows_of.setdefault(m, []).append(f)
    return "|".join(f"m{m + 1}:f{_ranges(fs)}" for m, fs in sorted(flows_of.items()))


def refused(proto):
    """Every flow dropped: a TCP client's SYN is refused, a datagram just lost."""
    return "connect:ECONNREFUSED" if proto == "tcp" else "none"
