"""Expected tables: one YAML file per kernel, case id -> expected outcome,
rule and optional note. Parsed through yaml.compose so every complaint can
name the file and line."""
import json
from dataclasses import dataclass, field

import yaml

from sockreuse import files
from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.expect.rule_ids import rule_key

ROW_KEYS = {"expected", "rule", "note"}


@dataclass
class Row:
    expected: str
    rule: str
    note: str = None
    line: int = 0


@dataclass
class Table:
    path: str
    kernel: str = None
    rows: dict = field(default_factory=dict)
    header: str = ""  # the comment block above `kernel:`, kept when re-recording
    features: list = None  # the kernel's behaviours (sockreuse_model/features.py), if declared


def _bad(path, node_or_line, message):
    line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
    return RunnerError(f"{path}:{line}: {message}", EXIT_USAGE)


def _scalar(path, node, what):
    if not isinstance(node, yaml.ScalarNode) or node.value == "":
        raise _bad(path, node, f"{what} must be a non-empty string")
    return node.value


def load(path, vocab=None):
    """The table at path; with vocab, every expected value must be one of its tokens."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise RunnerError(f"{path}: cannot read the table: {e.strerror}", EXIT_USAGE)
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise _bad(path, mark.line + 1 if mark else 1, f"YAML syntax error: {e.problem}")
    if not isinstance(root, yaml.MappingNode):
        raise _bad(path, root.start_mark.line + 1 if root else 1,
                   "a table is a mapping with `kernel:` and `cases:`")
    table = Table(path=path, header=_header(text))
    cases = None
    for key, value in root.value:
        name = _scalar(path, key, "a top-level key")
        if name == "kernel":
            table.kernel = _scalar(path, value, "kernel")
        elif name == "features":
            table.features = _features(path, value)
        elif name == "cases":
            cases = value
        else:
            raise _bad(path, key, f"unknown top-level key '{name}' (expected kernel, "
                                  "features, cases)")
    if cases is None:
        raise _bad(path, root, "no `cases:` mapping")
    if not isinstance(cases, yaml.MappingNode):
        raise _bad(path, cases, "`cases:` must map case ids to rows")
    for key, value in cases.value:
        case_id = _scalar(path, key, "a case id")
        if case_id in table.rows:
            first = table.rows[case_id].line
            raise _bad(path, key, f"duplicate row '{case_id}' (first at line {first})")
        if not isinstance(value, yaml.MappingNode):
            raise _bad(path, value, f"row '{case_id}' must be a mapping like "
                                    "{expected: EADDRINUSE, rule: R1}")
        fields = {}
        for k, v in value.value:
            k_name = _scalar(path, k, "a row key")
            if k_name not in ROW_KEYS:
                raise _bad(path, k, f"row '{case_id}': unknown key '{k_name}' "
                                    f"(allowed: {', '.join(sorted(ROW_KEYS))})")
            if k_name in fields:
                raise _bad(path, k, f"row '{case_id}': '{k_name}' given twice")
            fields[k_name] = _scalar(path, v, f"row '{case_id}': {k_name}")
        for required in ("expected", "rule"):
            if required not in fields:
                raise _bad(path, value, f"row '{case_id}' has no '{required}'")
        if vocab is not None and not vocab.knows(fields["expected"]):
            raise _bad(path, value, f"row '{case_id}': expected '{fields['expected']}' is no "
                                    f"outcome token of {vocab.path}")
        table.rows[case_id] = Row(fields["expected"], fields["rule"], fields.get("note"),
                                  key.start_mark.line + 1)
    return table


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


def dump(path, kernel, rows, header="", features=None):
    """Writes rows ({id: Row}) grouped by rule; strings are JSON-quoted, which
    YAML reads back unchanged whatever they contain."""
    out = []
    if header:
        out += [header, ""]
    out.append(f"kernel: {json.dumps(kernel)}")
    if features is not None:
        out.append(f"features: {json.dumps(sorted(features))}")
    out.append("cases:")
    by_rule = {}
    for case_id, row in rows.items():
        by_rule.setdefault(row.rule, []).append(case_id)
    for rule in sorted(by_rule, key=rule_key):
        out.append(f"  # {rule}")
        for case_id in sorted(by_rule[rule]):
            row = rows[case_id]
            fields = [f"expected: {json.dumps(row.expected)}", f"rule: {json.dumps(row.rule)}"]
            if row.note:
                fields.append(f"note: {json.dumps(row.note)}")
            out.append(f"  {case_id}: {{{', '.join(fields)}}}")
    files.write_atomic(path, "\n".join(out) + "\n")
