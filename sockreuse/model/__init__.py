"""An executable model of the reuse rules. predict() takes what a case did
(its parameters, which name its kind) and a kernel's feature set, and returns
the outcome the rules predict, the chain of rules that decided it and the
features it depended on. It holds no observed outcome of any case: it must
predict sequences it has never seen (the explorer's space is its test)."""
from dataclasses import dataclass

from . import binds, deliveries, kinds, sequences  # noqa: F401  (registers the predictors)
from . import after_bind, corners_tw, ports, scopes, vrf  # noqa: F401  (the corner groups)
from . import ephemeral  # noqa: F401  (the corner group ephemeral)
from . import tcp_life  # noqa: F401  (the corner group tcp_life)
from . import r10_cpu, r10_membership, r10_migrate, r10_sockarray, r10_steering  # noqa: F401  (R10)
from . import casts, device_lookup  # noqa: F401  (device_reuse, group_cast, fairness)
from .context import Context
from .features import FEATURES
from .rules import RULES


@dataclass
class Prediction:
    predicted: str   # an outcome token, or None when the model has no rule for the kind
    rules: list      # rule ids, in the order they decided
    features: list   # feature names the prediction depended on

    def as_dict(self):
        return {"predicted": self.predicted, "rules": self.rules, "features": self.features}


def predict(params, features=(), disabled=()):
    ctx = Context(features, disabled)
    fn = kinds.PREDICTORS.get(params.get("kind"))
    if fn is None:
        return Prediction(None, [], [])
    try:
        token, rules = fn(params, ctx)
    except kinds.NoPrediction as e:
        return Prediction(None, [str(e)], ctx.used_features)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise KeyError(f"rule(s) {unknown} are not in sockreuse_model/rules.py")
    return Prediction(token, list(dict.fromkeys(rules)), ctx.used_features)


__all__ = ["FEATURES", "RULES", "Prediction", "predict"]
