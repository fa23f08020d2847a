"""The registry of case kinds: each kind (the `kind` parameter a case
carries) has one prediction function, (params, Context) -> (token, rules)."""
PREDICTORS = {}


def register(kind):
    def add(fn):
        PREDICTORS[kind] = fn
        return fn
    return add


class NoPrediction(Exception):
    """The rules leave the case's own set-up impossible (it happens with a rule
    switched off): the model predicts nothing rather than guess."""
