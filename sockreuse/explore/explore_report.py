"""Pattern lines and the explorer's report files: explore.json and the
"Explorer" section of summary.md."""
import json
import os
import re

from sockreuse import files

from . import patterns

SECTION = "## Explorer"


def describe_cube(space, u, cube):
    """"tcp, first 0.0.0.0 (any options, any device, ...), listening; second
    ..." — every dimension the cube constrains, "any ..." for the others."""
    has = patterns.present(u, cube)

    def part(d, anything):
        inside = has[d]
        if len(inside) == len(u.values[d]) and len(inside) > 1:
            return anything
        outside = [v for v in u.values[d] if v not in inside]
        if len(inside) > 2 and len(outside) < len(inside):
            return f"{anything} but " + " or ".join(space.label(d, v) for v in outside)
        return " or ".join(space.label(d, v) for v in inside)

    if "a3" in u.dims:
        return _describe_triple(part)
    first = (f"first {part('a1', 'any address')} ({part('o1', 'any options')}, "
             f"{part('d1', 'any device')}, {part('when', 'options set at any time')}), "
             f"{part('state', 'any state')}")
    second = (f"second {part('a2', 'any address')} ({part('o2', 'any options')}, "
              f"{part('d2', 'any device')}, {part('euid', 'any EUID')})")
    return f"{part('proto', 'tcp or udp')}, {first}; {second}"


def _describe_triple(part):
    """A triple's pattern line: socket 1 with its state and change, socket 2
    with its state, socket 3."""
    return (f"{part('proto', 'tcp or udp')}, three sockets: 1 {part('a1', 'any address')} "
            f"({part('o1', 'any options')}, {part('d1', 'any device')}), "
            f"{part('state', 'any state')}, {part('change', 'any change')}; "
            f"2 {part('a2', 'any address')} ({part('o2', 'any options')}, "
            f"{part('d2', 'any device')}, {part('euid', 'any EUID')}), "
            f"{part('state2', 'any state')}; "
            f"3 {part('a3', 'any address')} ({part('o3', 'any options')}, "
            f"{part('d3', 'any device')}, {part('euid3', 'any EUID')})")


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def differences(space, u, differing, here, baseline):
    """differing: {universe index: (observed, expected)}. The issue's
    `differences` list, largest patterns first."""
    out = []
    for (obs, exp), cube, n in patterns.group(u, differing):
        line = (f"{describe_cube(space, u, cube)}: {obs} on {here}, {exp} in the {baseline} "
                f"baseline — {plural(n, 'sequence')}")
        out.append({"pattern": line, "match": patterns.match_of(u, cube), "count": n,
                    "observed": obs, "expected": exp})
    return out


def write_json(path, doc):
    files.write_atomic(path, json.dumps(doc, indent=1) + "\n")


def markdown(doc, extra):
    """The Explorer section: totals, then one row per pattern."""
    k = doc["kernel"]
    lines = [SECTION, ""]
    lines.append(f"{doc['sequences']} sequences of explore/space.yaml on {k['release']}, "
                 f"compared with the {doc['baseline'] or 'no'} baseline"
                 + (f" (selection `-k {extra['select']}`)" if extra.get("select") else "")
                 + f": {extra['differing']} differ in {plural(len(doc['differences']), 'pattern')}, "
                 f"{extra['errors']} harness errors, {extra['skipped']} skipped; "
                 + (f"{extra['wall_s']} s ({extra['rate']} sequences/s, {extra['shards']} shards)."
                    if extra.get("rate") is not None else
                    f"outcomes from another run (a guest's), compared here in {extra['wall_s']} s."))
    if k.get("warning"):
        lines += ["", f"**WARNING:** {k['warning']}"]
    if extra.get("skip_reason"):
        lines += ["", f"Skipped: {extra['skip_reason']}"]
    if extra.get("error_examples"):
        lines += ["", "Harness errors (first of each kind):", ""]
        lines += [f"- `{key}`: {detail}" for key, detail in extra["error_examples"]]
    if doc["differences"]:
        lines += ["", "| pattern | sequences | observed | expected |", "|---|---|---|---|"]
        for d in doc["differences"]:
            text = d["pattern"].rsplit(" — ", 1)[0].replace("|", "/")
            lines.append(f"| {text} | {d['count']} | `{d['observed']}` | `{d['expected']}` |")
    else:
        lines += ["", "No differences."]
    return "\n".join(lines) + "\n"


def write_summary(path, section):
    """Puts the section into summary.md, replacing an earlier Explorer
    section and keeping the rest (the suite's own report)."""
    text = open(path, encoding="utf-8").read() if os.path.isfile(path) else "# sockreuse\n"
    pattern = re.compile(r"^## Explorer\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    files.write_atomic(path, text)
