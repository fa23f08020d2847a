"""The minimiser on made-up data whose right answer is known: differences
planted as whole cubes of a small space come back as exactly those cubes,
with every other dimension "any"."""
import itertools
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse.explore import patterns

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
        seq = dict(zip(DIMS, p))
        for match, sig in rules:
            if all(seq[d] in vs for d, vs in match.items()):
                out[i] = sig
    return out


def found(u, differing):
    return sorted(((sig, patterns.match_of(u, cube), n) for sig, cube, n in
                   patterns.group(u, differing)), key=str)


def test_one_planted_cube_is_found_with_everything_else_any():
    u = universe()
    rule = {"proto": ["tcp"], "a1": ["any4"], "state": ["bound", "listen"]}
    got = found(u, plant(u, [(rule, ("ok", "bind:EADDRINUSE"))]))
    assert got == [(("ok", "bind:EADDRINUSE"), {"proto": ["tcp"], "state": ["bound", "listen"],
                                                 "a1": ["any4"]}, 2 * 4 * 4 * 4)]


def test_two_signatures_and_disjoint_cubes():
    u = universe()
    rules = [({"o1": ["rp", "both"], "o2": ["rp"]}, ("bind:EADDRINUSE", "ok")),
             ({"a1": ["lo4"], "a2": ["any6"], "o1": ["none"]}, ("ok", "bind:EADDRINUSE"))]
    got = found(u, plant(u, rules))
    assert got == sorted([
        (("bind:EADDRINUSE", "ok"), {"o1": ["rp", "both"], "o2": ["rp"]}, 2 * 3 * 4 * 4 * 2),
        (("ok", "bind:EADDRINUSE"), {"a1": ["lo4"], "o1": ["none"], "a2": ["any6"]},
         2 * 3 * 4)], key=str)


def test_a_dimension_missing_from_part_of_the_space_is_still_any():
    # udp has no timewait: "any state" must not require points that do not exist.
    u = universe(drop=lambda p: p[0] == "udp" and p[1] == "timewait")
    got = found(u, plant(u, [({"a2": ["s0_4"], "o2": ["both"]}, ("x", "y"))]))
    assert got == [(("x", "y"), {"a2": ["s0_4"], "o2": ["both"]}, (2 * 3 - 1) * 4 * 4)]


def test_union_of_overlapping_cubes_needs_no_more_patterns_than_planted():
    u = universe()
    rules = [({"proto": ["udp"], "o1": ["ra", "both"]}, ("a", "b")),
             ({"state": ["listen"], "a2": ["lo4"]}, ("a", "b"))]
    differing = plant(u, rules)
    got = found(u, differing)
    assert len(got) <= 2
    covered = set()
    for sig, cube, _ in patterns.group(u, differing):
        covered |= {i for i in range(len(u.points)) if u.mask(cube) >> i & 1}
    assert covered == set(differing)


def test_scattered_points_are_all_covered_exactly():
    u = universe()
    rng = random.Random(7)
    differing = {i: ("p", "q") for i in rng.sample(range(len(u.points)), 40)}
    total = 0
    for sig, cube, n in patterns.group(u, differing):
        m = u.mask(cube)
        assert all(i in differing for i in range(len(u.points)) if m >> i & 1)
        total += n
    assert total >= len(differing)
