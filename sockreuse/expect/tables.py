"""Expected tables, in two layers. results/expected/base.yaml holds every
case's outcome (`id: token`); each kernel series has a delta
(<series>.yaml) with its feature set and only the rows where it differs
from the base, each naming the feature (sockreuse/model/features.py) that
explains the difference. A complete table (--expect FILE) has the base's
rows, and may say `kernel:` and `features:`. Parsed through yaml.compose so
every complaint can name the file and line."""
import json
import re
from dataclasses import dataclass, field

import yaml

from sockreuse import files
from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.expect.rule_ids import rule_key

BASE = "base.yaml"
# The feature --record writes for a row no single feature explains; a
# table holding it does not load until a person has reviewed the row.
UNEXPLAINED = "UNEXPLAINED"
DELTA_KEYS = {"expected", "feature"}
OLD_ROW_KEYS = {"expected", "rule", "note", "feature"}  # a complete table's long row form


@dataclass
class Row:
    expected: str
    feature: str = None
    path: str = None
    line: int = 0
    rule: str = None  # the rule comment the row sits under (base and complete tables)


@dataclass
class Table:
    path: str
    kernel: str = None
    rows: dict = field(default_factory=dict)
    header: str = ""  # the comment block above the first key, kept when re-recording
    features: list = None  # the kernel's behaviours (sockreuse/model/features.py), if declared
    notes: dict = field(default_factory=dict)  # delta: feature -> comment lines above its rows
    delta: "Table" = None  # an effective table: the delta laid over the base (or None)


def _bad(path, node_or_line, message):
    line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
    return RunnerError(f"{path}:{line}: {message}", EXIT_USAGE)


def _scalar(path, node, what):
    if not isinstance(node, yaml.ScalarNode) or node.value == "":
        raise _bad(path, node, f"{what} must be a non-empty string")
    return node.value


def _parse(path, allowed, what):
    """(text, {top-level key: value node}, cases node)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise RunnerError(f"{path}: cannot read the table: {e.strerror}", EXIT_USAGE)
    try:
        root = yaml.compose(text, Loader=files.YAML_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise _bad(path, mark.line + 1 if mark else 1, f"YAML syntax error: {e.problem}")
    if not isinstance(root, yaml.MappingNode):
        raise _bad(path, root.start_mark.line + 1 if root else 1,
                   f"{what} is a mapping with {', '.join(f'`{k}:`' for k in allowed)}")
    top = _keys(path, root, allowed, "", f"top-level key '{{}}' in {what} (expected "
                                         f"{', '.join(allowed)})")
    cases = top.get("cases")
    if cases is None:
        raise _bad(path, root, "no `cases:` mapping")
    if not isinstance(cases, yaml.MappingNode):
        raise _bad(path, cases, "`cases:` must map case ids to rows")
    return text, top, cases


def _keys(path, node, allowed, where, unknown):
    """{key: value node} of a mapping; `unknown` words a key outside
    `allowed` ({} for the key), `where` prefixes each complaint."""
    out = {}
    for k, v in node.value:
        name = _scalar(path, k, f"{where}a key")
        if name not in allowed:
            raise _bad(path, k, f"{where}unknown {unknown.format(name)}")
        if name in out:
            raise _bad(path, k, f"{where}'{name}' given twice")
        out[name] = v
    return out


def _rows(path, cases):
    """(case id, key node, value node) for every row, refusing duplicates."""
    seen = {}
    for key, value in cases.value:
        case_id = _scalar(path, key, "a case id")
        if case_id in seen:
            raise _bad(path, key, f"duplicate row '{case_id}' (first at line {seen[case_id]})")
        seen[case_id] = key.start_mark.line + 1
        yield case_id, key, value


def _fields(path, case_id, value, allowed, example):
    if not isinstance(value, yaml.MappingNode):
        raise _bad(path, value, f"row '{case_id}' must be a mapping like {example}")
    nodes = _keys(path, value, allowed, f"row '{case_id}': ",
                  f"key '{{}}' (allowed: {', '.join(sorted(allowed))})")
    fields = {k: _scalar(path, v, f"row '{case_id}': {k}") for k, v in nodes.items()}
    if "expected" not in fields:
        raise _bad(path, value, f"row '{case_id}' has no 'expected'")
    return fields


def _token(path, node, case_id, token, vocab):
    if vocab is not None and not vocab.knows(token):
        raise _bad(path, node, f"row '{case_id}': expected '{token}' is no outcome token of "
                               f"{vocab.path}")
    return token


def _comments_above(text):
    """line number -> the comment lines (stripped) directly above that line."""
    out, block = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("#"):
            block.append(s)
        elif s:
            if block:
                out[n] = block
            block = []
    return out


def load_complete(path, vocab=None, base=False):
    """A complete table (every case: `id: token`, or the long form `id:
    {expected: token, ...}`); base=True: results/expected/base.yaml, which
    holds short rows and nothing but `cases:`."""
    allowed = ("cases",) if base else ("kernel", "features", "cases")
    text, top, cases = _parse(path, allowed, "the base table" if base else "a table")
    table = Table(path=path, header=_header(text))
    if "kernel" in top:
        table.kernel = _scalar(path, top["kernel"], "kernel")
    if "features" in top:
        table.features = _features(path, top["features"])
    comments = _comments_above(text)
    rule = None
    for case_id, key, value in _rows(path, cases):
        line = key.start_mark.line + 1
        for c in comments.get(line, ()):
            if re.fullmatch(r"#\s*\S+", c):
                rule = c[1:].strip()
        if isinstance(value, yaml.ScalarNode) or base:
            token, feature = _scalar(path, value, f"row '{case_id}'"), None
        else:
            fields = _fields(path, case_id, value, OLD_ROW_KEYS, "{expected: bind:EADDRINUSE}")
            token, feature = fields["expected"], fields.get("feature")
        table.rows[case_id] = Row(_token(path, value, case_id, token, vocab), feature, path,
                                  line, rule)
    return table


def load_base(path, vocab=None):
    return load_complete(path, vocab, base=True)


def load_delta(path, base=None, vocab=None, recording=False):
    """A series' delta; with base (a loaded base table), every row must be a
    case of the base whose outcome it changes. recording: for --record, which
    rewrites them, rows still marked UNEXPLAINED load."""
    text, top, cases = _parse(path, ("kernel", "features", "cases"), "a delta table")
    table = Table(path=path, header=_header(text))
    if "kernel" not in top:
        raise _bad(path, 1, "a delta table says which series it is for: `kernel: \"6.1\"`")
    table.kernel = _scalar(path, top["kernel"], "kernel")
    if "features" not in top:
        raise _bad(path, 1, "a delta table declares its kernel's `features: [...]` "
                            "(sockreuse/model/features.py)")
    table.features = _features(path, top["features"])
    comments = _comments_above(text)
    from sockreuse.model.features import FEATURES
    for case_id, key, value in _rows(path, cases):
        fields = _fields(path, case_id, value, DELTA_KEYS,
                         "{expected: \"bind:EADDRINUSE\", feature: migrate_req}")
        token = _token(path, value, case_id, fields["expected"], vocab)
        feature = fields.get("feature")
        if feature is None:
            raise _bad(path, value, f"row '{case_id}' has no 'feature' (the feature of "
                                    "sockreuse/model/features.py that explains the difference)")
        if feature == UNEXPLAINED and not recording:
            raise _bad(path, value, f"row '{case_id}': feature {UNEXPLAINED}: no feature "
                                    "explains this outcome; review it against docs/rules.md, "
                                    "then name its feature or report it as a finding")
        if feature not in FEATURES and feature != UNEXPLAINED:
            raise _bad(path, value, f"row '{case_id}': unknown feature '{feature}' (known: "
                                    f"{', '.join(sorted(FEATURES))})")
        if base is not None:
            was = base.rows.get(case_id)
            if was is None:
                raise _bad(path, key, f"row '{case_id}': no such case in {base.path}; add it "
                                      "there first, or remove the row")
            if was.expected == token:
                raise _bad(path, key, f"row '{case_id}' says '{token}' as "
                                      f"{base.path}:{was.line} does: remove the row")
        line = key.start_mark.line + 1
        if feature not in table.notes:
            prose = [c for c in comments.get(line, ()) if not c.startswith(f"# {feature} ")]
            table.notes[feature] = prose
        table.rows[case_id] = Row(token, feature, path, line)
    return table


def merge(base, delta):
    """The effective table: the base's rows, the delta's laid over them."""
    rows = dict(base.rows)
    if delta is not None:
        rows.update(delta.rows)
    return Table(path=delta.path if delta else base.path, kernel=delta.kernel if delta else None,
                 rows=rows, features=delta.features if delta else None, delta=delta)


def _features(path, node):
    from sockreuse.model.features import FEATURES
    if not isinstance(node, yaml.SequenceNode):
        raise _bad(path, node, "`features:` must be a list of feature names")
    names = [_scalar(path, n, "a feature name") for n in node.value]
    for n, name in zip(node.value, names):
        if name not in FEATURES:
            raise _bad(path, n, f"unknown feature '{name}' (known: {', '.join(sorted(FEATURES))})")
    return names


def _header(text):
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return "\n".join(lines).strip()


def _top_lines(header, kernel, features):
    out = [header, ""] if header else []
    if kernel is not None:
        out.append(f"kernel: {json.dumps(kernel)}")
    if features is not None:
        out.append(f"features: {json.dumps(sorted(features))}")
    return out + ["cases:"]


def dump_complete(path, rows, rules, header="", kernel=None, features=None):
    """rows: {id: token}, one `id: token` line each under its rule's comment
    (rules: {id: rule}); strings are JSON-quoted, which YAML reads back
    unchanged whatever they contain."""
    out = _top_lines(header, kernel, features)
    by_rule = {}
    for case_id in rows:
        by_rule.setdefault(rules.get(case_id) or "?", []).append(case_id)
    for rule in sorted(by_rule, key=rule_key):
        out.append(f"  # {rule}")
        out += [f"  {i}: {json.dumps(rows[i])}" for i in sorted(by_rule[rule])]
    files.write_atomic(path, "\n".join(out) + "\n")


def dump_delta(path, kernel, features, rows, header="", notes=None):
    """rows: {id: (token, feature)}, grouped by feature, each group under a
    comment naming the change and the notes kept from the earlier delta."""
    from sockreuse.model.features import FEATURES
    out = _top_lines(header, kernel, features)
    if not rows:
        out[-1] = "cases: {}"
    by_feature = {}
    for case_id, (_, feature) in rows.items():
        by_feature.setdefault(feature, []).append(case_id)
    for feature in sorted(by_feature):
        f = FEATURES.get(feature)
        out.append(f"  # {feature} (since {f.since}): {f.change}" if f else
                   f"  # {feature}: review these rows, then name the feature that explains each")
        out += [f"  {c}" for c in (notes or {}).get(feature, ())]
        for case_id in sorted(by_feature[feature]):
            token, _ = rows[case_id]
            out.append(f"  {case_id}: {{expected: {json.dumps(token)}, feature: {feature}}}")
    files.write_atomic(path, "\n".join(out) + "\n")
