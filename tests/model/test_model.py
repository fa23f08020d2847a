"""The model of the reuse rules (runner/sockreuse_model) against what the
kernels did: every expected table's rows, with the table's features, are
explained; every rule and feature matters; and the model holds no case's
outcome, only rules."""
import ast
import fnmatch
import functools
import glob
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse.expect import tables
from sockreuse.explore import space
from sockreuse.model import FEATURES, RULES, predict
from sockreuse.model import explore_check
from sockreuse.model.infer import infer
from sockreuse.model.sequences import explore_params
from tests import pure_checks

SUITE = os.path.join(ROOT, "build", "sockreuse_suite")
EXPECTED = os.path.join(ROOT, "results", "expected")
# The series' deltas; each series' table is base.yaml with its delta laid over it.
TABLES = sorted(p for p in glob.glob(os.path.join(EXPECTED, "*.yaml"))
                if os.path.basename(p) != tables.BASE)


def effective(path):
    """(rows {id: token}, features) of the series whose delta is at path."""
    t = tables.merge(tables.load_base(os.path.join(EXPECTED, tables.BASE)),
                     tables.load_delta(path))
    return {i: r.expected for i, r in t.rows.items()}, t.features
BASELINES = os.path.join(ROOT, "results", "explore")
SPACE = os.path.join(ROOT, "explore", "space.yaml")


@pytest.fixture(scope="module")
def catalogue():
    """The suite binary's --list-cases text: what the pure checks below read
    besides committed files, so part of their cached verdicts' key."""
    if not os.access(SUITE, os.X_OK):
        pytest.skip(f"no suite binary at {SUITE}: run ./run_tests.sh --selftest")
    return subprocess.run([SUITE, "--list-cases"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def cases(catalogue):
    return {c["id"]: c for c in map(json.loads, catalogue.splitlines())}


@pytest.fixture(scope="module")
def observations(cases):
    """(table name, case params, expected token, the table's features) for every row."""
    out = []
    for path in TABLES:
        rows, features = effective(path)
        for case_id, token in rows.items():
            out.append((os.path.basename(path), case_id, cases[case_id]["params"], token,
                        features))
    return out


def test_every_table_declares_known_features():
    for path in TABLES:
        assert set(tables.load_delta(path).features) <= set(FEATURES), path


def test_every_row_of_every_table_is_explained(observations):
    wrong = [(t, i, e, predict(p, f).predicted) for t, i, p, e, f in observations
             if predict(p, f).predicted != e]
    assert wrong == []


def test_every_case_has_a_kind_the_model_knows(cases):
    assert [i for i, c in cases.items() if predict(c["params"], ()).predicted is None] == []


@pytest.fixture(scope="module")
def space_doc():
    return space.read(SPACE)


def baseline(series):
    import lzma
    with lzma.open(os.path.join(BASELINES, f"{series}.txt.xz"), "rt") as f:
        return dict(line.rstrip("\n").split("\t") for line in f if not line.startswith("#"))


@functools.lru_cache(maxsize=None)
def series_features(series):
    # Cached: the explorer sample asks once per sequence.
    return tables.load_delta(os.path.join(EXPECTED, f"{series}.yaml")).features


SERIES = [os.path.basename(p)[:-5] for p in TABLES]
# The kernels with a triples baseline (results/explore/triples/); the others
# are recorded after them.
TRIPLE_SERIES = [s for s in SERIES
                 if os.path.isfile(os.path.join(BASELINES, "triples", f"{s}.txt.xz"))]


def triple_baseline(series):
    return baseline(os.path.join("triples", series))


@pytest.mark.heavy
def test_every_explorer_triple_is_explained(space_doc, request):
    """The model predicts every three-socket sequence of every kernel's
    triples baseline (1,170,708 each; a minute or two for all)."""
    if pure_checks.passed_before(request):
        return
    wrong = explore_check.unexplained_by_series(
        space_doc, {s: (triple_baseline(s), series_features(s)) for s in TRIPLE_SERIES})
    assert {s: len(w) for s, w in wrong.items()} == {s: 0 for s in TRIPLE_SERIES}, \
        {s: list(w.items())[:5] for s, w in wrong.items() if w}
    pure_checks.remember_pass(request)


@pytest.mark.heavy
def test_every_explorer_sequence_is_explained(space_doc, request):
    """The model, with each table's features, predicts the explorer's whole
    space on that kernel: 489,600 sequences it holds no outcome of."""
    if pure_checks.passed_before(request):
        return
    wrong = explore_check.unexplained_by_series(
        space_doc, {s: (baseline(s), series_features(s)) for s in SERIES})
    assert {s: len(w) for s, w in wrong.items()} == {s: 0 for s in SERIES}, \
        {s: list(w.items())[:5] for s, w in wrong.items() if w}
    pure_checks.remember_pass(request)


def test_shared_predictions_match_one_series_at_a_time(space_doc):
    """unexplained_by_series predicts a key once for the kernels that answer
    the features it asked alike: on a slice, exactly what one series at a
    time gives, also for features flipped to make the kernels differ."""
    runs = {}
    for s in SERIES:
        keys = list(baseline(s).items())[::211]
        runs[s] = (dict(keys), series_features(s))
    # A made-up kernel with every feature the others lack and none they share.
    every = set(FEATURES)
    runs["flipped"] = (runs[SERIES[0]][0], sorted(every - set(runs[SERIES[0]][1])))
    shared = explore_check.unexplained_by_series(space_doc, runs)
    for s, (observed, features) in runs.items():
        assert shared[s] == explore_check.unexplained(space_doc, observed, features), s


@pytest.fixture(scope="module")
def explorer_sample(space_doc):
    """Every 97th sequence of every baseline, with its kernel's features."""
    dims = list(space_doc["dimensions"])
    out = []
    for series in SERIES:
        for key, token in list(baseline(series).items())[::97]:
            out.append((explore_params(dict(zip(dims, key.split(" "))), space_doc), token,
                        series_features(series)))
    # And every 97th triple: the rules only three sockets show (R5.udp-first-match).
    tri = list(space_doc["triples"]["dimensions"])
    for series in TRIPLE_SERIES:
        for key, token in list(triple_baseline(series).items())[::97]:
            out.append((explore_params(dict(zip(tri, key.split(" "))), space_doc), token,
                        series_features(series)))
    return out


def test_no_dead_rules(catalogue, request):
    """Each rule, switched off, leaves some curated row or explorer sequence
    unexplained: no rule is there for show."""
    if pure_checks.passed_before(request, catalogue):
        return
    observations, explorer_sample = map(request.getfixturevalue,
                                        ("observations", "explorer_sample"))
    rows = [(p, e, f) for _, _, p, e, f in observations]
    dead = [rule for rule in RULES
            if all(predict(p, f, {rule}).predicted == e for p, e, f in rows)]
    dead = [rule for rule in dead
            if all(predict(p, f, {rule}).predicted == e for p, e, f in explorer_sample)]
    assert dead == []
    pure_checks.remember_pass(request, catalogue)


def test_features_are_detected_from_behaviour(catalogue, request):
    """Inference from a kernel's table rows and explorer outcomes alone, with
    no version number, gives back the features its table declares."""
    if pure_checks.passed_before(request, catalogue):
        return
    observations, space_doc = map(request.getfixturevalue, ("observations", "space_doc"))
    for path in TABLES:
        name = os.path.basename(path)
        rows = [{"id": i, "params": p, "observed": e, "verdict": "pass"}
                for t, i, p, e, _ in observations if t == name]
        found = explore_check.infer_features(space_doc, baseline(name[:-5]), infer(rows)[0])
        assert found == sorted(tables.load_delta(path).features), name
    pure_checks.remember_pass(request, catalogue)


def test_every_feature_has_a_change_and_evidence(cases):
    for f in FEATURES.values():
        assert f.change and f.meaning, f.name
        assert any(fnmatch.fnmatch(i, p) for i in cases for p in f.evidence), f.name


def test_every_feature_changes_some_prediction(catalogue, request):
    if pure_checks.passed_before(request, catalogue):
        return
    observations, explorer_sample = map(request.getfixturevalue,
                                        ("observations", "explorer_sample"))
    rows = [(p, e, f) for _, _, p, e, f in observations] + explorer_sample
    for name in FEATURES:
        assert any(predict(p, set(f) ^ {name}).predicted != e for p, e, f in rows), \
            f"feature {name} decides nothing"
    pure_checks.remember_pass(request, catalogue)


def test_the_model_holds_no_case_outcome(cases):
    """Rules, not rows: no case id appears anywhere in the model's source."""
    source = "".join(open(p).read() for p in glob.glob(os.path.join(ROOT, "sockreuse", "model", "*.py")))
    named = [i for i in cases if re.search(re.escape(i) + r"\b", source)]
    assert named == []


def test_rule_chains_use_known_rules(observations):
    for _, _, p, _, f in observations[:2000]:
        assert set(predict(p, f).rules) <= set(RULES)


def _values(v):
    """Every scalar in a params value, however deep in lists and objects."""
    if isinstance(v, dict):
        for x in v.values():
            yield from _values(x)
    elif isinstance(v, list):
        for x in v:
            yield from _values(x)
    else:
        yield v


def _docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                yield id(first.value)


def _phrase_reading(path):
    """Where an R10 model module reads words: a string literal with a space
    in it (not a docstring), a text method (startswith, split, ...), or a
    substring test ("word" in text)."""
    tree = ast.parse(open(path).read(), path)
    docs = set(_docstrings(tree))
    text_methods = {"startswith", "endswith", "split", "rsplit", "partition", "rpartition",
                    "find", "isdigit", "strip"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and " " in node.value and id(node) not in docs:
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in text_methods:
            found.append((node.lineno, node.func.attr))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                and isinstance(node.left.value, str):
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)) \
                        and not isinstance(right, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                    found.append((node.lineno, node.left.value))
    return found


def test_r10_model_reads_no_phrases():
    paths = sorted(glob.glob(os.path.join(ROOT, "sockreuse", "model", "r10_*.py")))
    assert len(paths) >= 6
    found = {os.path.basename(p): f for p in paths if (f := _phrase_reading(p))}
    assert found == {}


def test_phrase_reading_is_found(tmp_path):
    """The scan above catches the forms it looks for."""
    old = tmp_path / "r10_old.py"
    old.write_text('"""Docstring with spaces."""\n'
                   'def f(p):\n'
                   '    """Fine too."""\n'
                   '    if "without SO_REUSEPORT" in p["attached_to"]:\n'
                   '        return p["then"].startswith("SO_DETACH")\n'
                   '    return "x" in p["a"] or p["b"] in ("close", "shutdown")\n')
    assert [line for line, _ in _phrase_reading(str(old))] == [4, 4, 5, 6]


def test_case_parameters_are_structured(cases):
    """Parameters are values (identifiers, addresses, numbers, lists), never
    prose: the prose is the case's description."""
    prose = {i: v for i, c in cases.items() for v in _values(c["params"])
             if isinstance(v, str) and " " in v}
    assert prose == {}
    assert all(c["description"] for c in cases.values())


STATES = {"bound", "listen", "timewait", "established", "connected"}


def test_case_sockets_have_one_shape(cases):
    keys = {"family", "addr", "scope", "port", "reuseaddr", "reuseport", "v6only", "device",
            "state", "euid", "timing"}
    for i, c in cases.items():
        if c["params"]["kind"].startswith("r10_"):
            continue
        for s in c["params"].get("sockets", []):
            assert set(s) == keys, i
            assert s["family"] in (4, 6), i
            assert s["port"] in ("shared", "learned") or type(s["port"]) is int, i
            assert all(type(s[k]) is bool for k in ("reuseaddr", "reuseport")), i
            assert s["v6only"] in (None, True, False) and s["state"] in STATES, i
            assert set(s["timing"].values()) <= {"after_bind", "cleared_after_bind"}, i


def test_explorer_parameters_have_the_cases_shape(cases, space_doc):
    """An explorer key and the curated case that runs it give the model the same parameters."""
    dims = list(space_doc["dimensions"])
    for c in cases.values():
        p = c["params"]
        if p["kind"] != "explorer_key":
            continue
        mine = explore_params(dict(zip(dims, p["explorer_key"])), space_doc)
        assert mine["sockets"] == p["sockets"], c["id"]
        assert set(mine) == set(p)


# The words the model once parsed back out of the suite's socket descriptions
# ("0.0.0.0 reuseaddr listen uid65534 dev=s0", "reuseaddr@after", "bind(0)",
# "198.51.100.2 port 40000", "vrf0 enslaving s0").
OLD_VOCABULARY = re.compile(r"@(?:after|cleared)\b|uid65534|\bdev=|(?<![.\w-])dualstack(?![\w-])"
                            r"|(?:\d|::) bind\(0\)|\benslaving\b|(?:\d|::) port \d"
                            r"|(?:\d|::) (?:listen|reuseaddr|reuseport)\b")


def _literals_and_word_splits(tree):
    """(line, text) of every string literal but docstrings, and of every
    argument-less .split() (splitting a phrase into words)."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
            and isinstance(node.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "split" and not node.args:
            yield node.lineno, ".split()"
        if isinstance(node, ast.Name) and node.id == "FLAG_WORDS":
            yield node.lineno, "FLAG_WORDS"


def test_the_model_parses_no_prose():
    """The model reads structured parameters: no module but R10's holds the
    words of the suite's old socket descriptions or splits a phrase into words."""
    found = []
    for path in glob.glob(os.path.join(ROOT, "sockreuse", "model", "*.py")):
        if os.path.basename(path).startswith("r10_"):
            continue
        tree = ast.parse(open(path).read())
        found += [f"{os.path.basename(path)}:{n}: {text!r}"
                  for n, text in _literals_and_word_splits(tree)
                  if text in (".split()", "FLAG_WORDS") or OLD_VOCABULARY.search(text)]
    assert found == []
