"""The cross-kernel compatibility report's data: the given results.json files
(or every results/runs/*/results.json) read into kernels, a grid and causes,
which compat_html.py and compat_md.py write (compat_report.py runs them).
Rows are cases grouped by rule, columns kernels in version order, cells the
observed outcome coloured by that kernel's verdict. Rows whose outcome
changes across kernels are grouped by cause: the table note that names the
kernel change behind them, one entry per change."""
import json
import os
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field


from sockreuse.expect import claims
from sockreuse.expect.rule_ids import rule_key

VERDICTS = ("pass", "fail", "new", "error", "skip")
UNEXPLAINED = "no note: not explained by a known kernel change"


def version_key(release):
    return [int(x) for x in re.findall(r"\d+", release)[:4]]


class Kernel:
    def __init__(self, path):
        self.path = path
        try:
            with open(path) as f:
                self.doc = json.load(f)
            self.release = self.doc["kernel"]["release"]
            self.cases = {c["id"]: c for c in self.doc["cases"]}
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"sockreuse: {path}: not a results.json ({e})")
        vm_path = os.path.join(os.path.dirname(path), "vm.json")
        self.vm = json.load(open(vm_path)) if os.path.isfile(vm_path) else None
        self.host = self.vm is None
        self.table = os.path.basename(self.doc["kernel"].get("table") or "none")
        self.features = (self.doc.get("model") or {}).get("features")

    @property
    def accel(self):
        return "host" if self.host else self.vm.get("accelerator", "?")


@dataclass
class Row:
    id: str
    rule: str
    cells: list            # the case record per kernel, or None where it did not run
    change: "Change" = None


@dataclass
class Change:
    """A row whose outcome differs across the kernels that ran it: `before`
    are the kernels with the oldest kernel's outcome, `after` the others."""
    note: str
    before: tuple
    after: tuple


@dataclass
class Cause:
    """Every changed row that one note (one kernel change) explains."""
    note: str
    rows: list = field(default_factory=list)

    @property
    def title(self):
        """A note starts with the change's commit subject; details follow in
        parentheses (results/README.md)."""
        return self.note.split(" (", 1)[0] if self.explained else self.note

    @property
    def split(self):
        """The kernels on each side, as most of its rows show them."""
        (before, after), _ = Counter((r.change.before, r.change.after)
                                     for r in self.rows).most_common(1)[0]
        return before, after

    @property
    def explained(self):
        return self.note != UNEXPLAINED

    def features(self, kernels):
        """The model features that the rows depend on and that the kernels on
        the two sides do not share: what explains the change."""
        before, after = self.split
        by_release = {k.release: set(k.features or ()) for k in kernels}
        used = {f for r in self.rows for c in r.cells if c and c.get("model")
                for f in c["model"]["features"]}
        return sorted(f for f in used
                      if {f in by_release[k] for k in before} != {f in by_release[k] for k in after}
                      and len({f in by_release[k] for k in before + after}) == 2)


def load(paths):
    kernels = [Kernel(p) for p in paths]
    kernels.sort(key=lambda k: version_key(k.release))
    return kernels


def change_of(kernels, cells):
    seen = [(k, c) for k, c in zip(kernels, cells) if c and c["verdict"] not in ("error", "skip")]
    if len({c["observed"] for _, c in seen}) <= 1:
        return None
    first = seen[0][1]["observed"]
    before = tuple(k.release for k, c in seen if c["observed"] == first)
    after = tuple(k.release for k, c in seen if c["observed"] != first)
    note = next((c.get("note") for _, c in seen if c.get("note")), None)
    return Change(note or UNEXPLAINED, before, after)


def grid(kernels):
    """OrderedDict rule -> [Row], rules in order, cases by id."""
    ids = {}
    for k in kernels:
        for cid, c in k.cases.items():
            ids.setdefault(cid, c["rule"])
    out = OrderedDict()
    for rule in sorted(set(ids.values()), key=rule_key):
        out[rule] = []
        for cid in sorted(i for i, r in ids.items() if r == rule):
            cells = [k.cases.get(cid) for k in kernels]
            out[rule].append(Row(cid, rule, cells, change_of(kernels, cells)))
    return out


def causes(rows_by_rule):
    """One Cause per kernel change (the commit subject its notes start with;
    rows of different suites may add different details), unexplained changes
    first, then by size."""
    by_change = OrderedDict()
    for rows in rows_by_rule.values():
        for row in rows:
            if row.change:
                cause = Cause(row.change.note)
                by_change.setdefault(cause.title, cause).rows.append(row)
    return sorted(by_change.values(), key=lambda c: (c.explained, -len(c.rows), c.note))


def unexplained(kernels):
    """(kernel, case record) for every outcome the model does not explain."""
    return [(k, c) for k in kernels for c in k.doc["cases"] if c.get("explained") is False]


def finding_sentence(cause, kernels=()):
    before, after = cause.split
    ids = [r.id for r in cause.rows]
    sample = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    verb = "differs" if len(after) == 1 else "differ"
    features = cause.features(kernels) if kernels else []
    by = f"; the model's feature {', '.join(features)} explains it" if features else ""
    return (f"{cause.title}: {', '.join(after)} {verb} from {', '.join(before)} in "
            f"{len(ids)} row{'s' if len(ids) != 1 else ''} ({sample}){by}.")


def claims_status(claim_list, kernels):
    return [(cl, [claims.status(cl, k.cases.get(cl["case"])) for k in kernels])
            for cl in claim_list]
