"""Pattern lines and the explorer's report files: explore.json and the
"Explorer" section of summary.md."""
import json
import os
import re

from sockreuse import files

from . import patterns, predicates

SECTION = "## Explorer"


def socket_of(space):
    """{dimension: socket name} from the space's `pattern:` section."""
    return {d: name for name, dims in space.pattern_order.items() for d in dims}


def _values_text(space, d, vals, every):
    labels = [space.label(d, v) for v in vals]
    if len(vals) * 2 <= len(every) or len(vals) == 1:
        return " or ".join(labels)
    rest = [space.label(d, v) for v in every if v not in vals]
    return "not " + rest[0] if len(rest) == 1 else "none of " + ", ".join(rest)


def rule_terms(space, u, rule, m=None):
    """(lead, [term texts]) of a rule: the protocols it spans, then its
    predicates, then the raw values it names per socket, in the space's
    order; only values some sequence of the rule has."""
    m = u.mask(rule) if m is None else m
    has = patterns.present(u, m)
    owner = socket_of(space)
    lead = "/".join(space.label("proto", v) for v in has.get("proto", [])) \
        if "proto" in u.dims else ""
    texts = [u.pred_label[k[1]][0 if want else 1] for k, want in rule.items()
             if isinstance(k, tuple)]
    for d in u.dims:
        if d == "proto" or d not in rule or len(has[d]) == len(u.values[d]):
            continue
        who = owner.get(d)
        texts.append((f"{who} " if who else "") + _values_text(space, d, has[d], u.values[d]))
    return lead, texts


def describe(space, u, rule, m=None):
    """"tcp: both SO_REUSEPORT, addresses overlap, first not listening"."""
    lead, texts = rule_terms(space, u, rule, m)
    return f"{lead}: {', '.join(texts) or 'every sequence'}" if lead else \
        (", ".join(texts) or "every sequence")


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def outcome_text(counts, side=lambda sig: f"{sig[1]} -> {sig[0]}"):
    """"ok -> bind:EADDRINUSE (13,448); ..." for {signature: count}."""
    return "; ".join(f"{side(sig)} ({n:,})" for sig, n in counts.items())


def differences(space, u, differing, tokens, side=1):
    """differing: {universe index: (observed, expected)}; tokens: every
    sequence's outcome on one side (side 1: expected, 0: observed). The
    issue's `differences` list: rules covering exactly the differing
    sequences among those with the same outcome on that side, largest first,
    each with its outcomes as "expected -> observed"."""
    if not u.preds:
        u.add_predicates(predicates.masks(u, space))
    out = []
    for rule, m, counts in patterns.group(u, differing, side, tokens):
        (obs, exp), _ = next(iter(counts.items()))
        out.append({"pattern": f"{describe(space, u, rule, m)}: {outcome_text(counts)}",
                    "match": patterns.match_of(u, rule, m),
                    "predicates": patterns.predicates_of(rule),
                    "count": sum(counts.values()),
                    "outcomes": [{"expected": e, "observed": o, "count": n}
                                 for (o, e), n in counts.items()],
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
    if extra.get("details_file"):
        lines += ["", f"Every differing or broken sequence, with what the executor said about it: "
                      f"`{extra['details_file']}` (every outcome: `explore-outcomes.txt.gz`)."]
    if extra.get("detail_examples"):
        lines += [""] + [f"- `{key}`: {text}" for key, text in extra["detail_examples"]]
    if doc["differences"]:
        lines += ["", f"Each line: where, then the {doc['baseline']} baseline's outcome -> this "
                  "run's (docs/explorer.md#reading-a-pattern).", ""]
        lines += [f"- {d['pattern']}" for d in doc["differences"]]
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
