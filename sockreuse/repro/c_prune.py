"""Leaves out of a reproducer the shared helper functions it never calls,
so the file a kernel developer reads holds only what runs. Works on the
layout the fragments of sockreuse/repro/c/ keep: top-level items separated
by blank lines, a function's comment right above it, its body closed by a
`}` in column 0."""
import re

# A function definition's head: no '=' or ';' before the name's '('.
FUNCTION = re.compile(r"^(?:HELPER |static )[^=;#{]*?\b(\w+)\(")
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
NOISE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)
ROOTS = ("main", "run")


def items(text):
    """Top-level items: runs of lines split at blank lines outside braces
    and comments."""
    out, cur, depth, in_comment = [], [], 0, False
    for line in text.split("\n"):
        if not line.strip() and depth == 0 and not in_comment:
            if cur:
                out.append("\n".join(cur))
                cur = []
            continue
        cur.append(line)
        code = NOISE.sub("", line)
        if in_comment:
            in_comment = "*/" not in line
            continue
        if "/*" in code:
            in_comment = "*/" not in code[code.index("/*"):]
            code = code[:code.index("/*")]
        depth += code.count("{") - code.count("}")
    if cur:
        out.append("\n".join(cur))
    return out


def defined(item):
    """The name of the function the item defines, or None."""
    for line in item.split("\n"):
        if line.startswith(("/*", " *")) or not line.strip():
            continue
        m = FUNCTION.match(line)
        return m.group(1) if m and "{" in item else None
    return None


def prune(text):
    """text without the functions nothing that stays refers to."""
    parts = items(text)
    names = [defined(p) for p in parts]
    refs = [set(IDENT.findall(NOISE.sub(" ", p))) for p in parts]
    keep = {i for i, n in enumerate(names) if n is None or n in ROOTS}
    todo = list(keep)
    while todo:
        i = todo.pop()
        for j, n in enumerate(names):
            if j not in keep and n is not None and n in refs[i]:
                keep.add(j)
                todo.append(j)
    return "\n\n".join(p for i, p in enumerate(parts) if i in keep) + "\n"
