"""The explorer on the running kernel, through sockreuse/explore/driver.py: outcomes do
not depend on order or sharding, a baseline recorded here passes here, and
a "kernel" whose SO_REUSEPORT does nothing (the fault shim) is reported as a
few patterns, not as thousands of lines. Needs root and a build."""
import gzip
import json
import os
import subprocess

import pytest

from sockreuse.explore import baseline, patterns, predicates, space

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "sockreuse_explore")
SHIM = os.path.join(ROOT, "build", "fault_shim.so")
RUN = ["/usr/bin/python3", "-m", "sockreuse.explore.driver"]
SPACE = space.load()
# Pairs (`when` is theirs): every state, timing and EUID, TCP and UDP, over a
# part of the addresses: 58,752 sequences, a few seconds on the host.
SLICE = ("when:* and (a1:any4 or a1:s0_4 or a1:any6 or a1:maps0) and "
         "(a2:any4 or a2:s0_4 or a2:any6only)")
# Triples (`change` is theirs): every state of sockets 1 and 2 and every
# change, socket 3 on 0.0.0.0 with SO_REUSEPORT.
TRIPLE_SLICE = "change:* and a3:any4 and o3:rp and (a1:any4 or a1:any6) and a2:any4"


@pytest.fixture(scope="module", autouse=True)
def needs_root_and_build():
    if os.geteuid() != 0:
        pytest.skip("the explorer needs root (namespaces, a second EUID)")
    if not os.access(BIN, os.X_OK):
        pytest.skip(f"no {BIN}: run ./run_tests.sh first")


def run(*args, env=None):
    return subprocess.run([*RUN, *args], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, **(env or {})))


def outcomes(results_dir):
    with gzip.open(os.path.join(results_dir, "explore-outcomes.txt.gz"), "rt") as f:
        return dict(line.rstrip("\n").split("\t") for line in f if not line.startswith("#"))


def record(base, select):
    """(baseline path, outcomes) of a slice recorded into `base` in the
    space's order, two shards."""
    table = base / "baseline.txt.xz"
    r = run("-k", select, "-j", "2", "--record", "--expect", str(table), "--results-dir",
            str(base / "run"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return table, outcomes(base / "run")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A baseline of the slice, recorded on this kernel."""
    return record(tmp_path_factory.mktemp("explore"), SLICE)


def test_other_order_and_sharding_give_identical_outcomes(recorded, tmp_path):
    _, first = recorded
    r = run("-k", SLICE, "-j", "3", "--shuffle", "20260", "--outcomes-only", "--results-dir",
            str(tmp_path))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    second = outcomes(tmp_path)
    assert len(first) == 58752
    assert second == first
    # The slice is not trivial: every kind of outcome the space has shows up in it.
    tokens = set(first.values())
    assert {"ok", "bind:EADDRINUSE"} <= tokens
    assert any(t.startswith("sock1.") for t in tokens)


def test_recorded_baseline_passes_on_the_same_kernel(recorded, tmp_path):
    table, _ = recorded
    r = run("-k", SLICE, "--expect", str(table), "--results-dir", str(tmp_path))
    assert r.returncode == 0, r.stdout[-3000:]
    doc = json.load(open(tmp_path / "explore.json"))
    assert set(doc) == {"kernel", "sequences", "baseline", "shapes", "differences", "model"}
    assert doc["sequences"] == 58752 and doc["differences"] == []
    # The model of the rules explains every sequence of the slice, with the
    # features the running kernel's table declares.
    assert doc["model"]["unexplained"] == 0 and doc["model"]["source"].startswith("declared by")
    assert "## Explorer" in open(tmp_path / "summary.md").read()


@pytest.fixture(scope="module")
def triples_recorded(tmp_path_factory):
    base = tmp_path_factory.mktemp("explore3")
    table, seen = record(base, TRIPLE_SLICE)
    # A triple's baseline lies in the triples/ folder beside the pairs'.
    assert (base / "triples" / "baseline.txt.xz").is_file() and not table.exists()
    return table, seen


def test_triples_do_not_depend_on_order_or_sharding(triples_recorded, tmp_path):
    _, first = triples_recorded
    r = run("-k", TRIPLE_SLICE, "-j", "3", "--shuffle", "7", "--outcomes-only", "--results-dir",
            str(tmp_path))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert outcomes(tmp_path) == first
    assert all(k.count(" ") == 14 for k in first) and len(first) > 1000
    assert {"ok", "bind:EADDRINUSE"} <= set(first.values())


def test_a_triple_slice_matches_its_baseline_and_the_model(triples_recorded, tmp_path):
    table, first = triples_recorded
    r = run("-k", TRIPLE_SLICE, "--expect", str(table), "--results-dir", str(tmp_path))
    assert r.returncode == 0, r.stdout[-3000:]
    doc = json.load(open(tmp_path / "explore.json"))
    assert doc["shapes"] == {"triples": len(first)} and doc["differences"] == []
    assert doc["model"]["unexplained"] == 0


def test_ignored_so_reuseport_is_reported_as_a_few_patterns(recorded, tmp_path):
    table, _ = recorded
    r = run("-k", SLICE, "--expect", str(table), "--results-dir", str(tmp_path),
            env={"LD_PRELOAD": SHIM, "SOCKREUSE_IGNORE": "reuseport"})
    assert r.returncode == 1, r.stdout[-3000:]
    doc = json.load(open(tmp_path / "explore.json"))
    lines = "\n".join(d["pattern"] for d in doc["differences"])
    # One truth, "SO_REUSEPORT on both sockets no longer shares", in a few lines.
    assert 1 <= len(doc["differences"]) <= 3, lines
    for d in doc["differences"]:
        assert d["predicates"].get("reuseport(first,second)") is True, d["pattern"]
        assert "both SO_REUSEPORT" in d["pattern"] and d["count"] > 0
    # The lines cover exactly the differing sequences: each holds the
    # sequences its raw values and predicates select whose baseline outcome
    # is one it states, and nothing else differs.
    base, _ = baseline.read(str(table))
    now = outcomes(tmp_path)
    differing = {k for k, t in now.items() if base[k] != t}
    assert len(differing) >= 1000
    keys = list(now)
    u = patterns.Universe(SPACE.dims, [tuple(k.split(" ")) for k in keys])
    u.add_predicates(predicates.masks(u, SPACE))
    covered = set()
    for d in doc["differences"]:
        rule = {dim: set(vals) for dim, vals in d["match"].items()}
        rule.update({("pred", tag): want for tag, want in d["predicates"].items()})
        m = u.mask(rule)
        before = {o["expected"] for o in d["outcomes"]}
        inside = {keys[i] for i in range(len(keys)) if m >> i & 1 and base[keys[i]] in before}
        assert inside <= differing, (d["pattern"], sorted(inside - differing)[:5])
        covered |= inside
    assert covered == differing, sorted(differing - covered)[:5]
    # The model predicts from what each sequence asked for, so the ignored
    # option leaves the same sequences unexplained, reported as a few lines.
    assert doc["model"]["unexplained"] >= 1000 and 0 < len(doc["model"]["patterns"]) <= 10
    section = open(tmp_path / "summary.md").read()
    assert f" differ in {len(doc['differences'])} pattern" in section


def test_a_refused_first_bind_is_kept_with_who_held_the_port(recorded, tmp_path):
    """The fault shim refuses every bind() of a socket with SO_REUSEADDR: the
    first socket's refusal, which no baseline holds, names the sockets on the
    port (none) in explore-details.txt, which the failed run keeps and names."""
    table, _ = recorded
    one = "tcp and bound and before and a1:any4 and o1:ra and d1:none and a2:any4 and o2:none " \
          "and d2:none and euid:same"
    r = run("-k", one, "--expect", str(table), "--results-dir", str(tmp_path),
            env={"LD_PRELOAD": SHIM, "SOCKREUSE_FAULT": "reuseaddr_busy"})
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    assert "explore-details.txt" in r.stdout and (tmp_path / "explore-outcomes.txt.gz").is_file()
    lines = [l for l in open(tmp_path / "explore-details.txt") if not l.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("tcp bound before any4 ra none any4 none none")
    assert "sockets on port" in lines[0] and "in the server namespace (0): none" in lines[0]


def test_the_cross_kernel_section_runs_as_the_matrix_runs_it(tmp_path):
    """The matrix runs one command for the cross-kernel section and the pages:
    the compatibility report with --explore."""
    keys = ["tcp bound before any4 none none any4 none none same",
            "tcp bound before any4 none none any4 none none other"]
    for release, token in (("5.10.0-1", "bind:EADDRINUSE"), ("6.1.0-1", "ok")):
        run_dir = tmp_path / "runs" / release
        run_dir.mkdir(parents=True)
        with gzip.open(run_dir / "explore-outcomes.txt.gz", "wt") as f:
            f.writelines(f"{k}\t{token}\n" for k in keys)
        summary = {"total": 0, "pass": 0, "fail": 0, "new": 0, "error": 0, "skip": 0}
        (run_dir / "results.json").write_text(json.dumps(
            {"kernel": {"release": release, "table": None}, "cases": [], "summary": summary}))
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.report.compat_report", "--explore",
                        "--runs", *[str(d) for d in sorted((tmp_path / "runs").iterdir())],
                        "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.load(open(tmp_path / "out" / "explore.json"))
    assert doc["differing"] == 2 and doc["kernels"] == ["5.10.0-1", "6.1.0-1"]
    # No note explains an "ok" on 6.1 for these sequences: one unexplained cause.
    assert [c["feature"] for c in doc["causes"]] == [None]
    page = open(tmp_path / "out" / "index.html").read()
    assert page.count("<h2 id=explorer>") == 1 and "2 differ, in 1 patterns" in page
    assert "## Explorer: where the kernels disagree" in open(tmp_path / "out" / "compat.md").read()


def test_the_cross_kernel_section_needs_no_suite_results(tmp_path):
    """--matrix --explore runs only the explorer in the guests: their run
    folders hold outcomes and no results.json, and the report still has its
    explorer section."""
    for release, token in (("5.10.0-1", "bind:EADDRINUSE"), ("6.1.0-1", "ok")):
        run_dir = tmp_path / "runs" / release
        run_dir.mkdir(parents=True)
        with gzip.open(run_dir / "explore-outcomes.txt.gz", "wt") as f:
            f.write(f"tcp bound before any4 none none any4 none none same\t{token}\n")
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.report.compat_report", "--explore",
                        "--runs", *[str(d) for d in sorted((tmp_path / "runs").iterdir())],
                        "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.load(open(tmp_path / "out" / "explore.json"))["differing"] == 1
    assert open(tmp_path / "out" / "index.html").read().count("<h2 id=explorer>") == 1


def test_the_cross_kernel_section_needs_two_kernels_outcomes(tmp_path):
    run_dir = tmp_path / "runs" / "6.1.0-1"
    run_dir.mkdir(parents=True)
    summary = {"total": 0, "pass": 0, "fail": 0, "new": 0, "error": 0, "skip": 0}
    (run_dir / "results.json").write_text(json.dumps(
        {"kernel": {"release": "6.1.0-1", "table": None}, "cases": [], "summary": summary}))
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.report.compat_report", "--explore",
                        "--runs", str(run_dir), "--out", str(tmp_path / "out")], cwd=ROOT,
                       capture_output=True, text=True)
    # The pages are written all the same; the matrix is not done without the section.
    assert r.returncode == 1 and "needs the outcomes of two kernels or more" in r.stderr
    assert (tmp_path / "out" / "index.html").is_file()
    assert not (tmp_path / "out" / "explore.json").exists()
