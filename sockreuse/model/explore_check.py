"""The model against an explorer run: which sequences it does not explain,
with the kernel's features (declared by its expected table, or inferred
from the run itself when the table declares none)."""
import fnmatch

from . import FEATURES, predict
from .sequences import explore_params


def _dims(space_doc):
    """{number of values in a key: the dimensions in key order}, per shape."""
    out = {len(space_doc["dimensions"]): list(space_doc["dimensions"])}
    if "triples" in space_doc:
        out[len(space_doc["triples"]["dimensions"])] = list(space_doc["triples"]["dimensions"])
    return out


def key_params(space_doc, key, dims=None):
    """The model's parameters of an explorer key of any shape ("tcp listen
    after any4 ..."; a triple's 15 values); dims: _dims(space_doc), when the
    caller has it."""
    parts = key.split(" ")
    return explore_params(dict(zip((dims or _dims(space_doc))[len(parts)], parts)), space_doc)


def predictions(space_doc, keys, features):
    """{key: predicted token} for explorer keys of any shape."""
    dims = _dims(space_doc)
    return {k: predict(key_params(space_doc, k, dims), features).predicted for k in keys}


def infer_features(space_doc, observed, start=()):
    """Features the explorer's own outcomes show, each on or off as they say;
    a feature with no explorer evidence keeps its starting state."""
    features = set(start)
    for name, f in FEATURES.items():
        patterns = [p[len("explore:"):] for p in f.evidence if p.startswith("explore:")]
        # The evidence patterns are pairs' keys: a triple's would match them by accident.
        pair = len(space_doc["dimensions"]) - 1
        keys = [k for k in observed if k.count(" ") == pair and
                any(fnmatch.fnmatch(k, p) for p in patterns)]
        if not keys:
            continue
        on = predictions(space_doc, keys, features | {name})
        off = predictions(space_doc, keys, features - {name})
        hits_on = sum(on[k] == observed[k] for k in keys)
        hits_off = sum(off[k] == observed[k] for k in keys)
        if hits_on != hits_off:
            (features.add if hits_on > hits_off else features.discard)(name)
    return sorted(features)


def unexplained(space_doc, observed, features):
    """{key: (observed, predicted)} for every sequence the model gets wrong."""
    return unexplained_by_series(space_doc, {None: (observed, features)})[None]


def unexplained_by_series(space_doc, runs):
    """{series: {key: (observed, predicted)}} for runs {series: (observed,
    features)}, predicting each key once where the kernels cannot differ: a
    prediction's path turns only on the features it asked about, so a series
    that answers those as the first did gets the same token (several kernels'
    1,170,708 triples for little more than the price of one)."""
    dims = _dims(space_doc)
    names = list(runs)
    wrong = {n: {} for n in names}
    keys = dict.fromkeys(k for n in names for k in runs[n][0])
    for k in keys:
        params = key_params(space_doc, k, dims)
        done = []  # (answers to the asked features, token)
        for n in names:
            observed, features = runs[n]
            if k not in observed:
                continue
            token = next((t for asked, t in done
                          if all((f in features) == on for f, on in asked)), None)
            if token is None:
                p = predict(params, features)
                token = p.predicted
                done.append(([(f, f in features) for f in p.features], token))
            if token != observed[k]:
                wrong[n][k] = (observed[k], token)
    return wrong
