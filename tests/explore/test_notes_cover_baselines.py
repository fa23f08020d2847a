"""results/explore/notes.yaml against the committed baselines: every sequence
on which the kernels' baselines disagree, pairs and triples, has a note that
explains it, and the note's feature is one the model's prediction of that
sequence turns on (so a note cannot name a cause the model does not use)."""
import glob
import os

import pytest

from sockreuse.expect import tables
from sockreuse.explore import baseline, crosskernel, space
from sockreuse.model import explore_check, predict
from tests import pure_checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(ROOT, "results", "explore")


def committed(sub):
    paths = sorted(glob.glob(os.path.join(DIR, sub, "*.txt.xz")))
    return {baseline.name_of(p): baseline.read(p)[0] for p in paths}


@pytest.mark.heavy
@pytest.mark.parametrize("shape", ["pairs", "triples"])
def test_every_cross_kernel_difference_has_a_note_the_model_agrees_with(shape, request):
    if pure_checks.passed_before(request):
        return
    runs = committed("" if shape == "pairs" else "triples")
    if len(runs) < 2:
        pytest.skip(f"fewer than two {shape} baselines are committed")
    doc = space.read()
    dims = list(doc["dimensions"] if shape == "pairs" else doc["triples"]["dimensions"])
    notes = crosskernel.load_notes()
    series = list(runs)
    features = {s: tables.load_delta(os.path.join(ROOT, "results", "expected", f"{s}.yaml")).features
                for s in series}
    unexplained, disowned, differing = [], [], 0
    for key in set.intersection(*(set(o) for o in runs.values())):
        outcomes = {s: runs[s][key] for s in series}
        if len(set(outcomes.values())) == 1:
            continue
        differing += 1
        feature = crosskernel.cause_of(notes, dims, key, outcomes)
        if feature is None:
            unexplained.append((key, outcomes))
            continue
        params = explore_check.key_params(doc, key)
        asked = {f for s in series for f in predict(params, features[s]).features}
        if feature not in asked:
            disowned.append((key, feature, asked))
    assert differing > 0
    assert unexplained == [], f"{len(unexplained)} of {differing}: {unexplained[:3]}"
    assert disowned == [], f"{len(disowned)} of {differing}: {disowned[:3]}"
    pure_checks.remember_pass(request)
