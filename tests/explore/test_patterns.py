"""The pattern search on made-up data whose right answer is known:
differences planted as whole cubes of a small space, or as a conjunction of
derived predicates (explore/predicates.yaml) on a made-up pair or triple
space, come back as exactly those lines; every cover is exact."""
import itertools
import os
import random
import time

from sockreuse.explore import explore_report, patterns, predicates, space

HERE = os.path.dirname(os.path.abspath(__file__))
TRIPLE = os.path.join(HERE, "data", "triple_space.yaml")

DIMS = ["proto", "state", "a1", "o1", "a2", "o2"]
VALUES = {"proto": ["tcp", "udp"], "state": ["bound", "listen", "timewait"],
          "a1": ["any4", "s0_4", "lo4", "any6"], "o1": ["none", "ra", "rp", "both"],
          "a2": ["any4", "s0_4", "lo4", "any6"], "o2": ["none", "ra", "rp", "both"]}


def universe(drop=lambda p: False):
    points = [p for p in itertools.product(*(VALUES[d] for d in DIMS)) if not drop(p)]
    return patterns.Universe(DIMS, points)


def plant(u, rules):
    """{index: signature} for every point matching one of rules [(match, sig)]."""
    out = {}
    for i, p in enumerate(u.points):
        seq = dict(zip(u.dims, p))
        for match, sig in rules:
            if all(seq[d] in vs for d, vs in match.items()):
                out[i] = sig
    return out


def found(u, differing):
    return sorted(((patterns.match_of(u, rule, m), counts) for rule, m, counts in
                   patterns.group(u, differing)), key=str)


def assert_exact(u, differing, lines, scope=None):
    """The lines' sequences (within scope) are exactly the differing ones."""
    covered = 0
    for _, m, _ in lines:
        covered |= m
    if scope is not None:
        covered &= scope
    assert covered == u.bits(list(differing))


def test_one_planted_cube_is_found_with_everything_else_any():
    u = universe()
    rule = {"proto": ["tcp"], "a1": ["any4"], "state": ["bound", "listen"]}
    got = found(u, plant(u, [(rule, ("ok", "bind:EADDRINUSE"))]))
    assert got == [({"proto": ["tcp"], "state": ["bound", "listen"], "a1": ["any4"]},
                    {("ok", "bind:EADDRINUSE"): 2 * 4 * 4 * 4})]


def test_disjoint_cubes_of_two_signatures_are_two_lines():
    u = universe()
    rules = [({"o1": ["rp", "both"], "o2": ["rp"]}, ("bind:EADDRINUSE", "ok")),
             ({"a1": ["lo4"], "a2": ["any6"], "o1": ["none"]}, ("ok", "bind:EADDRINUSE"))]
    got = found(u, plant(u, rules))
    assert got == sorted([
        ({"o1": ["rp", "both"], "o2": ["rp"]}, {("bind:EADDRINUSE", "ok"): 2 * 3 * 4 * 4 * 2}),
        ({"a1": ["lo4"], "o1": ["none"], "a2": ["any6"]}, {("ok", "bind:EADDRINUSE"): 2 * 3 * 4})],
        key=str)


def test_a_dimension_missing_from_part_of_the_space_is_still_any():
    # udp has no timewait: "any state" must not require points that do not exist.
    u = universe(drop=lambda p: p[0] == "udp" and p[1] == "timewait")
    got = found(u, plant(u, [({"a2": ["s0_4"], "o2": ["both"]}, ("x", "y"))]))
    assert got == [({"a2": ["s0_4"], "o2": ["both"]}, {("x", "y"): (2 * 3 - 1) * 4 * 4})]


def test_union_of_overlapping_cubes_needs_no_more_lines_than_planted():
    u = universe()
    differing = plant(u, [({"proto": ["udp"], "o1": ["ra", "both"]}, ("a", "b")),
                          ({"state": ["listen"], "a2": ["lo4"]}, ("a", "b"))])
    lines = patterns.group(u, differing)
    assert len(lines) <= 2
    assert_exact(u, differing, lines)


def test_scattered_points_are_covered_exactly():
    u = universe()
    rng = random.Random(7)
    differing = {i: rng.choice([("p", "q"), ("r", "q")])
                 for i in rng.sample(range(len(u.points)), 40)}
    lines = patterns.group(u, differing)
    assert_exact(u, differing, lines)
    assert sum(sum(c.values()) for _, _, c in lines) >= len(differing)


def test_a_line_is_exact_among_the_sequences_with_its_stated_outcome():
    """A line states the expected outcome, so sequences that had another one
    need not be kept out of it: with them out of scope the planted cube is
    one line, yet no sequence with that outcome is wrongly inside."""
    u = universe()
    tokens = ["ok" if p[3] in ("rp", "both") else "bind:EADDRINUSE" for p in u.points]
    differing = {i: ("bind:EADDRINUSE", "ok") for i, p in enumerate(u.points)
                 if tokens[i] == "ok" and p[5] in ("rp", "both")}
    lines = patterns.group(u, differing, side=1, tokens=tokens)
    scope = patterns.column_masks(tokens)[1]["ok"]
    assert len(lines) == 1 and patterns.match_of(u, lines[0][0], lines[0][1]) == \
        {"o1": ["rp", "both"], "o2": ["rp", "both"]}
    assert_exact(u, differing, lines, scope)
    # Without the scope it is still exact, only longer.
    assert_exact(u, differing, patterns.group(u, differing))


def sequences(sp):
    return [tuple(c) for c in sp.sequences()]




def test_predicates_of_a_triple_space_name_the_pair_they_hold_for():
    sp = space.load(TRIPLE)
    points = sequences(sp)
    u = patterns.Universe(sp.dims, points)
    u.add_predicates(predicates.masks(u, sp))
    tags = [t for t, *_ in u.preds]
    # Every predicate of the file for every pair i < j, and per socket with a state.
    assert "overlap(first,third)" in tags and "reuseport(second,third)" in tags
    assert "listening(second)" in tags and "listening(third)" not in tags
    lab = dict((t, (a, b)) for t, a, b, _ in u.preds)
    assert lab["overlap(first,third)"] == ("first,third addresses overlap",
                                          "first,third addresses disjoint")
    col = {d: i for i, d in enumerate(sp.dims)}

    def ip(p, n):
        return sp.info[f"a{n}"][p[col[f"a{n}"]]]["ip"]

    def planted(p):
        # first and third: both SO_REUSEPORT, and the addresses overlap by hand.
        a, b = ip(p, 1), ip(p, 3)
        v6a, v6b = ":" in a, ":" in b
        overlap = (v6a == v6b) and (a == b or a in ("0.0.0.0", "::") or b in ("0.0.0.0", "::"))
        return p[col["o1"]] == "rp" and p[col["o3"]] == "rp" and overlap
    differing = {i: ("bind:EADDRINUSE", "ok") for i, p in enumerate(points) if planted(p)}
    lines = patterns.group(u, differing)
    assert_exact(u, differing, lines)
    assert len(lines) == 1, [explore_report.describe(sp, u, r, m) for r, m, _ in lines]
    assert patterns.predicates_of(lines[0][0]) == {"overlap(first,third)": True,
                                                   "reuseport(first,third)": True}
    lead, terms = explore_report.rule_terms(sp, u, lines[0][0], lines[0][1])
    assert lead == "tcp" and sorted(terms) == ["first,third addresses overlap",
                                               "first,third both SO_REUSEPORT"]


def test_a_pair_line_names_predicates_without_socket_names():
    sp = space.load()
    pair = {"a1", "o1", "a2", "o2", "proto"}
    assert pair <= set(sp.dims)
    doc = predicates.load()
    # A two-socket shape drops "first,second" from a pair predicate's label.
    sub = space.Space({"dimensions": {d: {"values": {v: sp.info[d][v] for v in sp.values[d]}}
                                      for d in ("proto", "a1", "o1", "a2", "o2")},
                       "pattern": {"first": ["a1", "o1"], "second": ["a2", "o2"]}})
    u = patterns.Universe(sub.dims, sequences(sub))
    u.add_predicates(predicates.masks(u, sub, doc))
    labels = {t: a for t, a, _, _ in u.preds}
    assert labels["overlap(first,second)"] == "addresses overlap"
    assert labels["reuseport(first,second)"] == "both SO_REUSEPORT"
    m = u.pred_mask["overlap(first,second)"]
    col = {d: i for i, d in enumerate(sub.dims)}
    pairs = {(p[col["a1"]], p[col["a2"]]) for i, p in enumerate(u.points) if m >> i & 1}
    # [::] v6only meets no IPv4 address; [::] dual-stack and ::ffff:0.0.0.0
    # meet a v4-mapped one; equal specific addresses overlap.
    assert ("any6only", "any4") not in pairs and ("any6", "maps0") in pairs
    assert ("mapany", "s0_4") in pairs and ("s0_4", "s0_4") in pairs
    assert ("s0_4", "s1_4") not in pairs and ("lo6", "lo4") not in pairs


def test_a_large_universe_takes_seconds():
    """~300,000 sequences with a planted predicate difference: the universe,
    the predicates and the search in a few seconds (the explorer's pairs and
    triples are ~1.5M; the work grows linearly)."""
    sp = space.load()
    keys = [c for c in sp.sequences() if c[sp.dims.index("euid")] == "same" or
            c[0] == "udp"][:300000]
    t = time.monotonic()
    u = patterns.Universe(sp.dims, keys)
    u.add_predicates(predicates.masks(u, sp))
    m = u.pred_mask["reuseport(first,second)"] & u.pred_mask["overlap(first,second)"]
    differing = {i: ("x", "y") for i in range(len(keys)) if m >> i & 1}
    lines = patterns.group(u, differing)
    took = time.monotonic() - t
    assert_exact(u, differing, lines)
    assert len(lines) == 1 and took < 60, took


def holding(sp, keys, prefix):
    """{key: sorted tags of the predicates starting with prefix that hold}."""
    u = patterns.Universe(sp.dims, [tuple(k.split(" ")) for k in keys])
    u.add_predicates(predicates.masks(u, sp))
    return {k: sorted(t for t, m in u.pred_mask.items() if t.startswith(prefix) and m >> i & 1)
            for i, k in enumerate(keys)}, u


def test_would_conflict_but_for_reuseport_is_read_as_each_socket_binds():
    """reuseport_only and its aggregate for the last socket, on keys of the
    explorer's triples checked by hand (key order: proto state a1 o1 d1
    state2 a2 o2 d2 euid change a3 o3 d3 euid3)."""
    sp = space.load().triples
    want = {
        # Socket 1 (listening, device s0, no option) clears its device before
        # socket 3 binds on s0: they meet, nothing but SO_REUSEPORT can let
        # socket 3 in; socket 2 (device s1) meets neither.
        "tcp listen s0_4 none s0 bound s0_4 rp s1 same dev s0_4 rp s0 same":
            ["first,third", "last"],
        # Clearing SO_REUSEADDR before socket 3 binds: without it socket 1
        # no longer shares through SO_REUSEADDR; socket 2 still does.
        "tcp bound any4 ra none bound any4 ra none same ra any4 both none same":
            ["first,third", "last"],
        "tcp bound any4 ra none bound any4 ra none same none any4 both none same": [],
        # ... and it takes socket 3's SO_REUSEPORT to be "but for" it.
        "tcp bound any4 ra none bound any4 ra none same ra any4 ra none same": [],
        # A listening socket 2 shares through SO_REUSEADDR with nobody (TCP).
        "tcp bound any4 ra none listen any4 ra none same none any4 both none same":
            ["last", "second,third"],
        # [::] v6only meets no 0.0.0.0: only sockets 1 and 2 meet.
        "tcp bound any6only rp none bound any6only rp none same none any4 rp none same":
            ["first,second"],
        # Socket 2 is read as it binds (0.0.0.0 meets 127.0.0.1), not as the
        # connected socket it becomes (its address then s0's: disjoint).
        "udp bound lo4 rp none connected any4 rp none same none lo4 none none same":
            ["first,second"],
    }
    got, u = holding(sp, list(want), "reuseport_only")
    names = {"reuseport_only_last(third)": "last"}
    assert {k: sorted(names.get(t, t[len("reuseport_only("):-1]) for t in tags)
            for k, tags in got.items()} == want
    udp = list(want).index("udp bound lo4 rp none connected any4 rp none same none lo4 none none same")
    assert not u.pred_mask["overlap(first,second)"] >> udp & 1
    assert u.pred_label["reuseport_only_last(third)"][0] == \
        "third would conflict with an earlier socket but for SO_REUSEPORT"
    assert u.pred_label["reuseport_only(first,second)"][0] == \
        "second would conflict with first but for SO_REUSEPORT"


def test_would_conflict_but_for_reuseport_in_a_pair_reads_the_first_as_cleared():
    """A pair's first socket that cleared its options after bind() (`when`
    cleared) holds none when the second binds; the aggregate of a pair is
    the pair predicate itself (key order: proto state when a1 o1 d1 a2 o2 d2
    euid)."""
    sp = space.load()
    want = {"tcp bound before s0_4 both none s0_4 both none same": False,
            "tcp bound cleared s0_4 both none s0_4 both none same": True,
            "tcp listen before s0_4 both none s0_4 both none same": True,
            "tcp bound before s0_4 both s0 s0_4 both s1 same": False,
            "udp bound cleared s0_4 both s0 s0_4 both none same": True}
    got, u = holding(sp, list(want), "reuseport_only")
    assert {k: bool(tags) for k, tags in got.items()} == want
    assert u.pred_mask["reuseport_only(first,second)"] == u.pred_mask["reuseport_only_last(second)"]
