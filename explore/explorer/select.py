"""-k for the explorer: a boolean expression over a sequence's values, like
pytest's -k. A word is `dim:value` (that dimension has that value), a bare
value (some dimension has it), either with shell-style wildcards
(`a1:any*`, `s0*`); words combine with and, or, not and parentheses.
E.g. -k "tcp and timewait and not euid:other"."""
import fnmatch
import re

TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class SelectError(Exception):
    pass


def compile_expr(text, dims, values):
    """A predicate over {dim: value} for the expression `text`. Unknown
    dimensions or words matching no value at all are errors, so a typo
    cannot silently select nothing."""
    tokens = [m.group(1) for m in TOKEN.finditer(text or "")]
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else None

    def take():
        t = peek()
        pos[0] += 1
        return t

    def word(w):
        if ":" in w:
            d, pat = w.split(":", 1)
            if d not in dims:
                raise SelectError(f"-k: '{d}' is no dimension ({', '.join(dims)})")
            if not any(fnmatch.fnmatchcase(v, pat) for v in values[d]):
                raise SelectError(f"-k: '{pat}' matches no value of {d} ({', '.join(values[d])})")
            return lambda seq: fnmatch.fnmatchcase(seq[d], pat)
        if not any(fnmatch.fnmatchcase(v, w) for d in dims for v in values[d]):
            raise SelectError(f"-k: '{w}' matches no value of any dimension")
        return lambda seq: any(fnmatch.fnmatchcase(v, w) for v in seq.values())

    def atom():
        t = take()
        if t is None:
            raise SelectError(f"-k '{text}': the expression ends too early")
        if t == "not":
            inner = atom()
            return lambda seq: not inner(seq)
        if t == "(":
            inner = disj()
            if take() != ")":
                raise SelectError(f"-k '{text}': a '(' is not closed")
            return inner
        if t in ("and", "or", ")"):
            raise SelectError(f"-k '{text}': unexpected '{t}'")
        return word(t)

    def conj():
        parts = [atom()]
        while peek() == "and":
            take()
            parts.append(atom())
        return lambda seq: all(p(seq) for p in parts)

    def disj():
        parts = [conj()]
        while peek() == "or":
            take()
            parts.append(conj())
        return lambda seq: any(p(seq) for p in parts)

    if not tokens:
        return lambda seq: True
    pred = disj()
    if peek() is not None:
        raise SelectError(f"-k '{text}': unexpected '{peek()}'")
    return pred
