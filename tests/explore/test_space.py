"""The space file, keys, -k selection, baselines and the cross-kernel
section, without running anything."""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse.explore import baseline, crosskernel, select, space


@pytest.fixture(scope="module")
def sp():
    return space.load()


@pytest.fixture(scope="module")
def combos(sp):
    return list(sp.sequences())


def test_the_space_has_every_dimension_the_issue_lists(sp):
    assert sp.dims == ["proto", "state", "when", "a1", "o1", "d1", "a2", "o2", "d2", "euid"]
    assert len(sp.values["a1"]) == 10 and sp.values["a1"] == sp.values["a2"]
    assert sp.values["o1"] == ["none", "ra", "rp", "both"]
    assert sp.values["d1"] == ["none", "s0", "s1"]
    assert sp.values["when"] == ["before", "after", "cleared"]
    assert sp.values["euid"] == ["same", "other"]


def test_only_meaningful_combinations_are_sequences(sp, combos):
    # 10 addresses x (1 + 11 x 3) first-socket settings x 120 second sockets x 2 EUIDs,
    # times 4 TCP states and 2 UDP states.
    assert len(combos) == sp.count() == 10 * 34 * 120 * 2 * 6 == 489600
    assert len(set(combos)) == len(combos)
    for c in combos[::997]:
        seq = dict(zip(sp.dims, c))
        assert seq["state"] in (["bound", "listen", "timewait", "established"]
                                if seq["proto"] == "tcp" else ["bound", "connected"])
        if seq["o1"] == "none" and seq["d1"] == "none":
            assert seq["when"] == "before"


def test_a_key_gives_back_every_parameter_by_name(sp, combos):
    key = sp.key(combos[123456])
    seq = sp.parse_key(key)
    assert list(seq) == sp.dims and tuple(seq.values()) == combos[123456]
    assert sp.parse_key("tcp listen after any4 ra s0 s0_4 rp none other")["o2"] == "rp"
    with pytest.raises(space.SpaceError):
        sp.parse_key("tcp listen after any4 ra s0 s0_4 rp none")
    with pytest.raises(space.SpaceError):
        sp.parse_key("tcp listen after any9 ra s0 s0_4 rp none other")


def test_selection_like_pytest_k(sp, combos):
    def n(expr):
        pred = select.compile_expr(expr, sp.dims, sp.values)
        return sum(1 for c in combos if pred(c))
    assert n("") == len(combos)
    assert n("udp") == 10 * 34 * 120 * 2 * 2
    assert n("tcp and timewait and not euid:other") == 10 * 34 * 120
    assert n("a1:any*") == n("a1:any4 or a1:any6 or a1:any6only")
    assert n("(udp or timewait) and a2:lo6") == (n("udp") + n("timewait")) // 10
    for bad in ("tcp and", "a9:x", "a1:nothing", "nosuchvalue", "(tcp", "tcp udp"):
        with pytest.raises(select.SelectError):
            select.compile_expr(bad, sp.dims, sp.values)


def test_baseline_round_trip_keeps_review_comments(tmp_path, sp, combos):
    keys = [sp.key(c) for c in combos[:5000]]
    outcomes = {k: ("ok" if i % 3 else "bind:EADDRINUSE") for i, k in enumerate(keys)}
    path = tmp_path / "9.9.txt.xz"
    baseline.write(str(path), "9.9", "9.9.1-test", outcomes, keys, ["# reviewed: all good"])
    got, comments = baseline.read(str(path))
    assert got == outcomes
    assert comments[0] == "# reviewed: all good" and "# kernel: 9.9" in comments
    baseline.write(str(path), "9.9", "9.9.2-test", outcomes, keys, comments)
    assert baseline.read(str(path))[1].count("# kernel: 9.9") == 1


def test_baseline_selection_prefers_release_then_series_then_older(tmp_path):
    for name in ("6.1", "6.12", "6.12.99-x"):
        (tmp_path / f"{name}.txt.xz").write_bytes(b"")
    pick = lambda r: baseline.select(r, str(tmp_path))  # noqa: E731
    assert pick("6.12.99-x")[0].endswith("6.12.99-x.txt.xz")
    assert pick("6.12.5")[0].endswith("6.12.txt.xz") and pick("6.12.5")[1] is None
    path, warning = pick("6.13.1")
    assert path.endswith("6.12.txt.xz") and "nearest older" in warning
    assert pick("5.4.0") == (None, None)


def test_cross_kernel_patterns_name_the_kernels_on_each_side(sp, combos):
    keys = [sp.key(c) for c in combos]
    base = {k: "bind:EADDRINUSE" for k in keys}
    changed = {k: ("ok" if sp.parse_key(k)["a1"] == "maps0" and sp.parse_key(k)["a2"] == "lo4"
                   and sp.parse_key(k)["proto"] == "tcp" else t) for k, t in base.items()}
    runs = [("6.12.1", base), ("5.10.9", base), ("6.1.0-50", changed)]
    notes = [{"match": {"a1": ["maps0"]}, "outcomes": {"6.1": "ok"},
              "feature": "bhash2_mapped_any_gap"},
             {"match": {"a1": ["maps0"]}, "outcomes": {"6.1": "bind:EADDRINUSE"},
              "feature": "reuseport_inet_only"}]
    doc = crosskernel.build(runs, sp, notes)
    assert doc["kernels"] == ["5.10.9", "6.1.0-50", "6.12.1"]
    assert doc["differing"] == 4 * 34 * 4 * 3 * 2  # tcp states x first settings x o2, d2, euid
    [p] = doc["patterns"]
    # TCP has no "connected" state, so the pattern names TCP's four states
    # rather than "any state": a match names only values that occur.
    assert p["match"] == {"proto": ["tcp"], "state": ["bound", "listen", "timewait", "established"],
                          "a1": ["maps0"], "a2": ["lo4"]}
    assert p["outcomes"] == {"5.10.9": "bind:EADDRINUSE", "6.1.0-50": "ok",
                             "6.12.1": "bind:EADDRINUSE"}
    assert p["pattern"] == (f"tcp: first {sp.label('a1', 'maps0')}, second "
                            f"{sp.label('a2', 'lo4')}: ok on 6.1.0-50; bind:EADDRINUSE on "
                            f"5.10.9, 6.12.1 ({doc['differing']:,})")
    assert p["feature"] == "bhash2_mapped_any_gap" and p["count"] == doc["differing"]
    assert p["sides"] == [{"sides": "ok on 6.1.0-50; bind:EADDRINUSE on 5.10.9, 6.12.1",
                           "count": p["count"], "outcomes": p["outcomes"]}]
    assert doc["causes"] == [{"feature": "bhash2_mapped_any_gap", "sequences": p["count"],
                              "patterns": [0]}]


def test_addresses_come_from_the_topology_file_by_name(sp):
    from sockreuse import topology_facts
    named = topology_facts.named()
    s0_4 = sp.info["a1"]["s0_4"]
    assert s0_4["ip"] == named["s0_4"] and s0_4["peer"]["s1"] == named["c0_4"]
    assert sp.label("a1", "s0_4") == f"{named['s0_4']} (s0)"
    assert sp.info["a1"]["mapany"]["peer"]["s1"] == "::ffff:" + named["c1_4"]
    doc = {"dimensions": {"a1": {"values": {"x": {"label": "{lo_6}", "ip": "lo_6",
                                                  "target": {"none": "0.0.0.0"}}}}}}
    assert space.resolve(doc)["dimensions"]["a1"]["values"]["x"]["label"] == "::1"
    for bad, says in ((named["s1_6"], "by its name, s1_6"), ("s9_4", "no name")):
        doc["dimensions"]["a1"]["values"]["x"]["ip"] = bad
        with pytest.raises(space.SpaceError, match=says):
            space.resolve(doc)


# --- three-socket sequences (explore/space.yaml `triples`) -------------------------

@pytest.fixture(scope="module")
def tri(sp):
    return sp.triples


def test_triples_are_a_shape_of_their_own_with_socket_3s_dimensions(sp, tri):
    assert tri.dims == ["proto", "state", "a1", "o1", "d1", "state2", "a2", "o2", "d2", "euid",
                        "change", "a3", "o3", "d3", "euid3"]
    for n in "123":
        assert tri.values[f"o{n}"] == ["none", "ra", "rp", "both"]
    assert tri.values["d1"] == ["none", "s0"] and tri.values["d3"] == ["none", "s0", "s1"]
    assert set(tri.values["a1"]) == {"any4", "any6", "any6only", "mapany", "maps0", "s0_4", "lo4"}
    # The values keep the pairs' meaning (ip, v6only, reuseaddr, reuseport, dev, uid).
    assert tri.info["a3"]["any6only"] == sp.info["a1"]["any6only"]
    assert tri.info["o2"]["both"] == {**sp.info["o1"]["both"]}
    assert tri.pattern_order["third"] == ["a3", "o3", "d3", "euid3"]
    assert "when" not in tri.pattern_order["first"] and "change" not in sp.pattern_order["first"]


def test_counts_pairs_and_triples_separately(sp):
    counts = sp.counts()
    assert counts["pairs"] == 489600
    assert counts["triples"] >= 1_000_000


def test_triple_keys_parse_and_are_never_a_pairs(sp, tri):
    key = "tcp listen any4 both none bound s0_4 rp none same rp any6 rp none same"
    seq = sp.parse_key(key)
    assert list(seq) == tri.dims and seq["change"] == "rp" and seq["a3"] == "any6"
    assert sp.shape_of(key) is tri and sp.shape_of("tcp listen after any4 ra s0 s0_4 rp none "
                                                   "other") is sp
    with pytest.raises(space.SpaceError):
        sp.parse_key("tcp listen any4 both none bound s0_4 rp none same rp lo6 rp none same")


def test_k_selects_in_either_shape(sp, tri):
    pair_pred, tri_pred = select.compile_shapes("tcp and change:rp", sp.shapes())
    assert pair_pred is None and tri_pred(("tcp", "listen") + ("x",) * 8 + ("rp",) + ("x",) * 4)
    pair_pred, tri_pred = select.compile_shapes("when:after", sp.shapes())
    assert tri_pred is None
    pair_pred, tri_pred = select.compile_shapes("tcp and not udp", sp.shapes())
    assert pair_pred and tri_pred
    with pytest.raises(select.SelectError):
        select.compile_shapes("change:nothing", sp.shapes())


def test_the_prune_keeps_what_the_model_lets_socket_2_reach(tri):
    """The cached prune agrees with the model on a sample of the settings of
    sockets 1 and 2, kept and dropped ones (the whole check takes a minute:
    python3 -m sockreuse.explore.prune_write rewrites the cache)."""
    from sockreuse.explore import prune
    cut = tri.dims.index(space.PRUNE_AFTER) + 1
    every = prune.prefixes(tri, cut)
    kept = tri.kept_prefixes()
    assert kept < set(every) and len(kept) > len(every) // 3
    sets = prune.feature_sets()
    doc = space.read()
    for prefix in every[::149]:
        assert (prefix in kept) == prune.second_step_ok(tri, doc, prefix, sets), prefix


def test_the_committed_prune_cache_is_current():
    """A stale cache costs every run (and every guest, under TCG) the whole
    prune: a change to the triples section or to a table's features must
    come with the rewritten cache."""
    import lzma
    from sockreuse.explore import prune
    with lzma.open(prune.CACHE, "rt", encoding="utf-8") as f:
        first = f.readline().strip()
    want = prune.stamp(space.read(), prune.feature_sets())
    assert first == f"# stamp {want}", \
        "explore/triples-kept.txt.xz is stale: /usr/bin/python3 -m sockreuse.explore.prune_write"


def test_triples_start_with_their_kept_settings_in_order(tri):
    seen = []
    for combo in tri.sequences():
        if combo[:10] not in seen:
            seen.append(combo[:10])
        if len(seen) > 50:
            break
    assert all(s in tri.kept_prefixes() for s in seen)
