"""The cross-kernel compatibility report's data: the given results.json files
(or every results/runs/*/results.json) read into kernels, a grid and causes,
which compat_html.py and compat_md.py write (compat_report.py runs them).
Rows are cases grouped by rule, columns kernels in version order, cells the
observed outcome coloured by that kernel's verdict. Rows whose outcome
changes across kernels are grouped by cause: the model feature
(sockreuse/model/features.py) that the cases' expected-table rows name, one
entry per feature; rows that name none are unexplained."""
import json
import os
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field


from sockreuse import arches
from sockreuse.expect import claims
from sockreuse.expect.rule_ids import rule_key
from sockreuse.expect.table_choice import version_key
from sockreuse.model.features import FEATURES

UNEXPLAINED_NAME = "UNEXPLAINED"
UNEXPLAINED = f"{UNEXPLAINED_NAME}: no model feature names this change"


def feature_title(name):
    """'reuseport_inet_only — "net: restrict SO_REUSEPORT to inet sockets" (6.13)':
    the feature, its kernel change and the mainline version that has it."""
    if name is None:
        return UNEXPLAINED
    f = FEATURES.get(name)
    if f is None:
        return f"{name} — not a feature of sockreuse/model/features.py"
    since = getattr(f, "since", None)
    return f'{name} — "{f.change}"' + (f" ({since})" if since else "")


def cause_text(feature, differing=(),
               unnamed="No expected-table row of these cases names a model feature"):
    """What a cause's block says below its title: the feature's meaning, or
    for the unexplained, what names no feature (`unnamed`) and which features
    (if any) the kernels on the two sides differ in."""
    f = FEATURES.get(feature) if feature else None
    if f:
        return f"With {feature}, {f.meaning}."
    if feature:
        return f"{feature} is not a feature of the model: name one of sockreuse/model/features.py."
    hint = (f" The kernels on the two sides differ in the model's "
            f"{'features' if len(differing) > 1 else 'feature'} {', '.join(differing)}."
            if differing else "")
    return f"{unnamed}: a finding until a kernel change explains it." + hint


EXPLORER_UNNAMED = "No entry of results/explore/notes.yaml matches these patterns"


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
        # The delta that set this kernel apart from base.yaml (or the one table).
        table = self.doc["kernel"].get("table") or {}
        self.table = os.path.basename(table.get("delta") or table.get("base") or "none")
        self.features = (self.doc.get("model") or {}).get("features")

    @property
    def arch(self):
        """The architecture the run's own kernel reported ("?" for results
        from before runs recorded it)."""
        return arches.name_of_machine(self.doc["kernel"].get("machine"))

    @property
    def accel(self):
        return "host" if self.host else self.vm.get("accelerator", "?")

    @property
    def how(self):
        """How it ran, as the report's tables say: the accelerator, and a
        first boot that crashed before its init (sockreuse/boot/crash.py)."""
        crash = (self.vm or {}).get("first_boot_crash")
        return f"{self.accel}, second boot (the first crashed: {crash})" if crash else self.accel


@dataclass
class Row:
    id: str
    rule: str
    cells: list            # the case record per kernel, or None where it did not run
    change: "Change" = None


@dataclass
class Change:
    """A row whose outcome differs across the kernels that ran it: `before`
    are the kernels with the oldest kernel's outcome, `after` the others;
    `feature` the model feature its table rows name, or None."""
    feature: str
    before: tuple
    after: tuple


@dataclass
class Cause:
    """Every changed row that one model feature (one kernel change) explains;
    feature None: the changed rows no feature explains."""
    feature: str
    rows: list = field(default_factory=list)

    @property
    def title(self):
        return feature_title(self.feature)

    @property
    def split(self):
        """The kernels on each side, as most of its rows show them."""
        (before, after), _ = Counter((r.change.before, r.change.after)
                                     for r in self.rows).most_common(1)[0]
        return before, after

    @property
    def explained(self):
        return self.feature is not None

    def features(self, kernels):
        """The model features that the rows depend on and that the kernels on
        the two sides do not share: what may explain an unexplained change."""
        before, after = self.split
        by_release = {k.release: set(k.features or ()) for k in kernels}
        used = {f for r in self.rows for c in r.cells if c and c.get("model")
                for f in c["model"]["features"]}
        return sorted(f for f in used
                      if {f in by_release[k] for k in before} != {f in by_release[k] for k in after}
                      and len({f in by_release[k] for k in before + after}) == 2)


def load(paths):
    kernels = [Kernel(p) for p in paths]
    kernels.sort(key=lambda k: (version_key(k.release), k.arch))
    return kernels


def change_of(kernels, cells):
    seen = [(k, c) for k, c in zip(kernels, cells) if c and c["verdict"] not in ("error", "skip")]
    if len({c["observed"] for _, c in seen}) <= 1:
        return None
    first = seen[0][1]["observed"]
    before = tuple(k.release for k, c in seen if c["observed"] == first)
    after = tuple(k.release for k, c in seen if c["observed"] != first)
    # The row of the oldest kernel that names a feature; a row that changes
    # twice is grouped under the first change.
    feature = next((c.get("feature") for _, c in seen if c.get("feature")), None)
    return Change(feature, before, after)


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
    """One Cause per model feature, unexplained changes first, then by size."""
    by_feature = OrderedDict()
    for rows in rows_by_rule.values():
        for row in rows:
            if row.change:
                f = row.change.feature
                by_feature.setdefault(f, Cause(f)).rows.append(row)
    return sorted(by_feature.values(),
                  key=lambda c: (c.explained, -len(c.rows), c.feature or ""))


def unexplained(kernels):
    """(kernel, case record) for every outcome the model does not explain."""
    return [(k, c) for k in kernels for c in k.doc["cases"] if c.get("explained") is False]


def kernel_list(releases):
    """Releases as a person reads them: one version's Debian builds for several
    architectures once, with their flavours ("6.1.0-50 (amd64, arm64, s390x)")."""
    flavours = "|".join(re.escape(a.debian) for a in arches.ARCHES.values())
    groups = OrderedDict()
    for release in releases:
        m = re.match(rf"^(.*)-({flavours})$", release)
        base, flavour = (m.group(1), m.group(2)) if m else (release, None)
        groups.setdefault(base, []).append((flavour, release))
    out = []
    for base, members in groups.items():
        if len(members) == 1:
            out.append(members[0][1])
        else:
            out.append(f"{base} ({', '.join(sorted(f for f, _ in members))})")
    return ", ".join(out)


def finding_sentence(cause, kernels=()):
    before, after = cause.split
    ids = [r.id for r in cause.rows]
    sample = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    verb = "differs" if len(after) == 1 else "differ"
    features = cause.features(kernels) if kernels and not cause.explained else []
    by = (f"; the kernels on the two sides differ in the model's "
          f"{'features' if len(features) > 1 else 'feature'} {', '.join(features)}"
          if features else "")
    return (f"{cause.title}: {kernel_list(after)} {verb} from {kernel_list(before)} in "
            f"{len(ids)} row{'s' if len(ids) != 1 else ''} ({sample}){by}.")


def explorer_sentence(cause, doc):
    """A findings line for one cause of the explorer's cross-kernel section."""
    lines = [doc["patterns"][i] for i in cause["patterns"]]
    largest = lines[0]["sides"][0]["sides"] if lines else ""
    more = len({s["sides"] for p in lines for s in p["sides"]}) > 1
    n = len(lines)
    return (f"Explorer, {feature_title(cause['feature'])}: {cause['sequences']} of "
            f"{doc['sequences']} sequences in {n} pattern{'s' if n != 1 else ''} "
            f"({largest}{'; ...' if more else ''}).")


def claims_status(claim_list, kernels):
    return [(cl, [claims.status(cl, k.cases.get(cl["case"])) for k in kernels])
            for cl in claim_list]
