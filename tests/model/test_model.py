"""The model of the reuse rules (runner/sockreuse_model) against what the
kernels did: every expected table's rows, with the table's features, are
explained; every rule and feature matters; and the model holds no case's
outcome, only rules."""
import fnmatch
import functools
import glob
import json
import os
import re
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse.explore import space
from sockreuse.model import FEATURES, RULES, predict
from sockreuse.model import explore_check
from sockreuse.model.infer import infer
from sockreuse.model.sequences import explore_params

SUITE = os.path.join(ROOT, "build", "sockreuse_suite")
TABLES = sorted(glob.glob(os.path.join(ROOT, "results", "expected", "*.yaml")))
BASELINES = os.path.join(ROOT, "results", "explore")
SPACE = os.path.join(ROOT, "explore", "space.yaml")


@pytest.fixture(scope="module")
def cases():
    if not os.access(SUITE, os.X_OK):
        pytest.skip(f"no suite binary at {SUITE}: run ./run_tests.sh --selftest")
    out = subprocess.run([SUITE, "--list-cases"], capture_output=True, text=True, check=True)
    return {c["id"]: c for c in map(json.loads, out.stdout.splitlines())}


@pytest.fixture(scope="module")
def observations(cases):
    """(table name, case params, expected token, the table's features) for every row."""
    out = []
    for path in TABLES:
        doc = yaml.safe_load(open(path))
        for case_id, row in doc["cases"].items():
            out.append((os.path.basename(path), case_id, cases[case_id]["params"],
                        row["expected"], doc["features"]))
    return out


def test_every_table_declares_known_features():
    for path in TABLES:
        doc = yaml.safe_load(open(path))
        assert set(doc.get("features", [])) <= set(FEATURES), path


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
    # Cached: the explorer sample asks once per sequence, and a table is a big YAML file.
    return yaml.safe_load(open(os.path.join(ROOT, "results", "expected",
                                            f"{series}.yaml")))["features"]


SERIES = [os.path.basename(p)[:-5] for p in TABLES]


@pytest.mark.parametrize("series", SERIES)
def test_every_explorer_sequence_is_explained(space_doc, series):
    """The model, with the table's features, predicts the explorer's whole
    space on that kernel: 489,600 sequences it holds no outcome of."""
    wrong = explore_check.unexplained(space_doc, baseline(series), series_features(series))
    assert len(wrong) == 0, list(wrong.items())[:5]


@pytest.fixture(scope="module")
def explorer_sample(space_doc):
    """Every 97th sequence of every baseline, with its kernel's features."""
    dims = list(space_doc["dimensions"])
    out = []
    for series in SERIES:
        for key, token in list(baseline(series).items())[::97]:
            out.append((explore_params(dict(zip(dims, key.split(" "))), space_doc), token,
                        series_features(series)))
    return out


def test_no_dead_rules(observations, explorer_sample):
    """Each rule, switched off, leaves some curated row or explorer sequence
    unexplained: no rule is there for show."""
    rows = [(p, e, f) for _, _, p, e, f in observations]
    dead = [rule for rule in RULES
            if all(predict(p, f, {rule}).predicted == e for p, e, f in rows)]
    dead = [rule for rule in dead
            if all(predict(p, f, {rule}).predicted == e for p, e, f in explorer_sample)]
    assert dead == []


def test_features_are_detected_from_behaviour(observations, space_doc):
    """Inference from a kernel's table rows and explorer outcomes alone, with
    no version number, gives back the features its table declares."""
    for path in TABLES:
        name = os.path.basename(path)
        rows = [{"id": i, "params": p, "observed": e, "verdict": "pass"}
                for t, i, p, e, _ in observations if t == name]
        found = explore_check.infer_features(space_doc, baseline(name[:-5]), infer(rows)[0])
        assert found == sorted(yaml.safe_load(open(path))["features"]), name


def test_every_feature_has_a_change_and_evidence(cases):
    for f in FEATURES.values():
        assert f.change and f.meaning, f.name
        assert any(fnmatch.fnmatch(i, p) for i in cases for p in f.evidence), f.name


def test_every_feature_changes_some_prediction(observations, explorer_sample):
    rows = [(p, e, f) for _, _, p, e, f in observations] + explorer_sample
    for name in FEATURES:
        assert any(predict(p, set(f) ^ {name}).predicted != e for p, e, f in rows), \
            f"feature {name} decides nothing"


def test_the_model_holds_no_case_outcome(cases):
    """Rules, not rows: no case id appears anywhere in the model's source."""
    source = "".join(open(p).read() for p in glob.glob(os.path.join(ROOT, "sockreuse", "model", "*.py")))
    named = [i for i in cases if re.search(re.escape(i) + r"\b", source)]
    assert named == []


def test_rule_chains_use_known_rules(observations):
    for _, _, p, _, f in observations[:2000]:
        assert set(predict(p, f).rules) <= set(RULES)
