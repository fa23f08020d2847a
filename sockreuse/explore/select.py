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


def compile_shapes(text, shapes):
    """One predicate per shape (a Space: dims, values), or None for a shape
    the expression cannot select (it names, under `and`, a dimension the
    shape lacks). A word is an error only when no shape has it: `change:rp`
    selects triples, `when:after` pairs."""
    all_dims = [d for s in shapes for d in s.dims]
    all_values = {}
    for s in shapes:
        for d in s.dims:
            all_values.setdefault(d, [])
            all_values[d] += [v for v in s.values[d] if v not in all_values[d]]
    compile_expr(text, list(dict.fromkeys(all_dims)), all_values)  # errors once, for all
    out = []
    for s in shapes:
        pred = compile_expr(text, s.dims, s.values, all_values)
        out.append(None if pred is NEVER else pred)
    return out


def NEVER(c):
    return False


def compile_expr(text, dims, values, known=None):
    """A predicate over a sequence's values (a tuple in `dims` order) for the
    expression `text`. Unknown dimensions or words matching no value at all
    are errors, so a typo cannot silently select nothing. The expression is
    translated into one Python expression over the tuple (set lookups), since
    it runs once for each of half a million sequences. known: the values
    of every shape's dimensions; a word they have but this shape does not
    is false here, and an expression that is then false whatever the values
    gives NEVER."""
    tokens = [m.group(1) for m in TOKEN.finditer(text or "")]
    pos = [0]
    sets = []

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else None

    def take():
        t = peek()
        pos[0] += 1
        return t

    def member(i, hit):
        sets.append(frozenset(hit))
        return f"(c[{i}] in S[{len(sets) - 1}])"

    def word(w):
        if ":" in w:
            d, pat = w.split(":", 1)
            if known and d in known and (d not in dims or not any(
                    fnmatch.fnmatchcase(v, pat) for v in values[d])):
                return "False"
            if d not in dims:
                raise SelectError(f"-k: '{d}' is no dimension ({', '.join(dims)})")
            hit = [v for v in values[d] if fnmatch.fnmatchcase(v, pat)]
            if not hit:
                raise SelectError(f"-k: '{pat}' matches no value of {d} ({', '.join(values[d])})")
            return member(dims.index(d), hit)
        parts = [member(i, hit) for i, d in enumerate(dims)
                 if (hit := [v for v in values[d] if fnmatch.fnmatchcase(v, w)])]
        if not parts and known:
            return "False"
        if not parts:
            raise SelectError(f"-k: '{w}' matches no value of any dimension")
        return "(" + " or ".join(parts) + ")"

    def atom():
        t = take()
        if t is None:
            raise SelectError(f"-k '{text}': the expression ends too early")
        if t == "not":
            return f"(not {atom()})"
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
        return "(" + " and ".join(parts) + ")"

    def disj():
        parts = [conj()]
        while peek() == "or":
            take()
            parts.append(conj())
        return "(" + " or ".join(parts) + ")"

    if not tokens:
        return lambda c: True
    source = disj()
    if peek() is not None:
        raise SelectError(f"-k '{text}': unexpected '{peek()}'")
    if known and _always_false(source, len(sets)):
        return NEVER
    return eval(f"lambda c: {source}", {"S": sets})  # noqa: S307 (built from checked words)


def _always_false(source, n):
    """Whether the expression is false for every truth of its n memberships
    (checked exhaustively for up to 12 of them; more are assumed satisfiable)."""
    import itertools
    if n > 12:
        return False
    atoms = [f"(c[{i}] in S[{j}])" for i, j in
             {(int(m.group(1)), int(m.group(2)))
              for m in re.finditer(r"\(c\[(\d+)\] in S\[(\d+)\]\)", source)}]
    for truth in itertools.product((True, False), repeat=len(atoms)):
        text = source
        for atom, t in zip(atoms, truth):
            text = text.replace(atom, str(t))
        if eval(text):  # noqa: S307 (only True, False, and, or, not, parentheses)
            return False
    return True
