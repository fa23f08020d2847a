"""The model against an explorer run: which sequences it does not explain,
with the kernel's features (declared by its expected table, or inferred
from the run itself when the table declares none)."""
import fnmatch

from . import FEATURES, predict
from .sequences import explore_params


def predictions(space_doc, keys, features):
    """{key: predicted token} for explorer keys ("tcp listen after any4 ...")."""
    dims = list(space_doc["dimensions"])
    return {k: predict(explore_params(dict(zip(dims, k.split(" "))), space_doc),
                       features).predicted for k in keys}


def infer_features(space_doc, observed, start=()):
    """Features the explorer's own outcomes show, each on or off as they say;
    a feature with no explorer evidence keeps its starting state."""
    features = set(start)
    for name, f in FEATURES.items():
        patterns = [p[len("explore:"):] for p in f.evidence if p.startswith("explore:")]
        keys = [k for k in observed if any(fnmatch.fnmatch(k, p) for p in patterns)]
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
    pred = predictions(space_doc, observed, features)
    return {k: (observed[k], pred[k]) for k in observed if pred[k] != observed[k]}
