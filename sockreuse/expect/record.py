"""--record: the observed outcomes become the running kernel's delta, the
rows where it differs from base.yaml, each with the feature the model names
for the difference (attribute()). The delta written is the kernel's own
(session.State.record_path): a kernel without one gets a new delta, and no
other file changes, unless the run has cases base.yaml lacks (added there)
or base.yaml has cases the suite no longer has (removed from it and from
every delta). Returns the diff against the table the run compared with.
With --expect FILE, FILE is written as a complete table instead."""
import os

from sockreuse.expect import table_choice, tables

FRESH_HEADER = ("# Linux {series}, recorded from {release}{what}.\n# Review every row "
                "against the rules in docs/rules.md before committing.")
DELTA_WHAT = ": the rows where it differs from base.yaml"


def attribute(case_id, params, observed, base_token, features):
    """The feature that explains why a kernel with `features` gives
    `observed` where base.yaml says `base_token`: the one feature whose
    presence, flipped, changes the model's prediction for the case (when
    several do, the one whose flip gives the base's outcome, then the one
    whose evidence names the case). tables.UNEXPLAINED when the model does
    not predict `observed` or no single feature stands out."""
    import fnmatch
    from sockreuse.model import FEATURES, predict
    have = set(features)
    if not params or predict(params, have).predicted != observed:
        return tables.UNEXPLAINED
    flips = {f: predict(params, have ^ {f}).predicted for f in FEATURES}
    matters = [f for f, p in flips.items() if p != observed]
    for narrower in (lambda f: flips[f] == base_token,
                     lambda f: any(fnmatch.fnmatch(case_id, p)
                                   for p in FEATURES[f].evidence)):
        if len(matters) > 1:
            matters = [f for f in matters if narrower(f)] or matters
    return matters[0] if len(matters) == 1 else tables.UNEXPLAINED


def diff_lines(old, new):
    """`+ id: token`, `- id: token`, `~ id: old -> new` between two {id: token}."""
    out = []
    for case_id in sorted(set(old) | set(new)):
        before, after = old.get(case_id), new.get(case_id)
        if before is None:
            out.append(f"+ {case_id}: {after}")
        elif after is None:
            out.append(f"- {case_id}: {before} (no such case any more)")
        elif before != after:
            out.append(f"~ {case_id}: {before} -> {after}")
    return out


def write(st, cases):
    """Called by the plugin at the end of a --record run."""
    ran = {c["id"]: c["observed"] for c in cases if c["verdict"] not in ("error", "skip")}
    old = {i: r.expected for i, r in st.table.rows.items()} if st.table else {}
    removed = {i for i in old if i not in st.case_ids}
    rules = {c["id"]: c["rule"] for c in st.cases}
    if st.expect_path:
        new = {i: t for i, t in old.items() if i not in removed}
        new.update(ran)
        header = st.table.header if st.table else FRESH_HEADER.format(
            series=st.series, release=st.release, what=", every case")
        kernel = st.table.kernel if st.table and st.table.kernel else st.series
        tables.dump_complete(st.record_path, new, rules, header, kernel, st.features)
        diff = diff_lines(old, new)
        return diff + [f"wrote {st.record_path}: a complete table of {len(new)} rows, "
                       f"{len(diff)} changed; review them before committing"]
    return write_delta(st.record_path, st.expected_dir, st.release, st.table, ran, removed,
                       cases, st.features, rules)


def land_guest(expected_dir, release, recorded_path, doc):
    """A guest's recording (a complete table, written with --record --expect
    and seeded by write_start_table) becomes the kernel's delta on the host,
    exactly as a --record run on the host would write it."""
    complete = tables.load_complete(recorded_path)
    old = table_choice.effective(release, expected_dir, recording=True)[0]
    observed = {i: r.expected for i, r in complete.rows.items()}
    removed = set(old.rows) - set(observed) if old else set()
    rules = {c["id"]: c["rule"] for c in doc["cases"]}
    return write_delta(table_choice.own_table(release, expected_dir), expected_dir, release, old,
                       observed, removed, doc["cases"], doc["model"]["features"], rules)


def write_start_table(expected_dir, release, dest):
    """The complete table a guest's --record --expect starts from: the one
    the kernel is compared with, so cases the run skips keep their rows.
    False when there is no table."""
    table = table_choice.effective(release, expected_dir, recording=True)[0]
    if table is None:
        return False
    tables.dump_complete(dest, {i: r.expected for i, r in table.rows.items()},
                         {i: r.rule for i, r in table.rows.items()}, kernel=table.kernel,
                         features=table.features)
    return True


def write_delta(path, expected_dir, release, old, observed, removed, records, features, rules):
    """Writes the delta at `path` from the observed tokens ({id: token}); old:
    the effective table the run compared with (None: none); removed: case ids
    the suite no longer has. Returns the diff lines."""
    series = table_choice.series_name(release)
    base_file = table_choice.base_path(expected_dir)
    base = tables.load_base(base_file) if os.path.isfile(base_file) else tables.Table(base_file)
    base_rules = {i: r.rule or rules.get(i) for i, r in base.rows.items()}
    notes = []
    added = sorted(i for i in observed if i not in base.rows)
    for case_id in added:
        base.rows[case_id] = tables.Row(observed[case_id])
        base_rules[case_id] = rules.get(case_id)
    if added:
        notes.append(f"{len(added)} case(s) had no row in {tables.BASE}: added there with "
                     "this kernel's outcome (review them)")
    gone = sorted(i for i in removed if i in base.rows)
    for case_id in gone:
        del base.rows[case_id]
    if added or gone:
        tables.dump_complete(base_file, {i: r.expected for i, r in base.rows.items()},
                             base_rules, base.header)
    if gone:
        changed = _drop_rows(expected_dir, set(gone), path)
        notes.append(f"{len(gone)} case(s) the suite no longer has: removed from "
                     f"{tables.BASE} and from every delta ({changed} changed)")

    old_rows = old.rows if old else {}
    effective = {i: r.expected for i, r in base.rows.items()}
    effective.update({i: r.expected for i, r in old_rows.items() if i in effective})
    effective.update(observed)
    params = {r["id"]: r.get("params") for r in records}
    rows, unexplained = {}, []
    for case_id, token in effective.items():
        if token == base.rows[case_id].expected:
            continue
        prev = old_rows.get(case_id)
        if prev and prev.feature not in (None, tables.UNEXPLAINED) and prev.expected == token:
            feature = prev.feature  # a reviewed row keeps its feature
        else:
            feature = attribute(case_id, params.get(case_id), token,
                                base.rows[case_id].expected, features)
        if feature == tables.UNEXPLAINED:
            unexplained.append(case_id)
        rows[case_id] = (token, feature)

    own = tables.load_delta(path, recording=True) if os.path.isfile(path) else None
    header = own.header if own else FRESH_HEADER.format(series=series, release=release,
                                                         what=DELTA_WHAT)
    tables.dump_delta(path, own.kernel if own else series, features, rows, header,
                      own.notes if own else None)

    diff = diff_lines({i: r.expected for i, r in old_rows.items()}, effective)
    changed = len(diff)
    if old and old.delta and old.delta.path != path:
        diff.insert(0, f"new delta for series {series}, seeded from {old.delta.path}; the diff "
                       "below is against it")
    diff += notes
    if unexplained:
        diff.append(f"{len(unexplained)} row(s) no single feature explains, written with "
                    f"feature: {tables.UNEXPLAINED} (first: {unexplained[0]}): the delta will "
                    "not load until you review them and name their feature")
    diff.append(f"wrote {path}: {len(rows)} rows differ from {tables.BASE}, {changed} changed; "
                "review them before committing")
    return diff


def _drop_rows(expected_dir, case_ids, except_path):
    """Removes case_ids from every delta but except_path; how many changed."""
    changed = 0
    for name in sorted(os.listdir(expected_dir)):
        p = os.path.join(expected_dir, name)
        if name == tables.BASE or not name.endswith(".yaml") or p == except_path:
            continue
        d = tables.load_delta(p, recording=True)
        if case_ids & set(d.rows):
            rows = {i: (r.expected, r.feature) for i, r in d.rows.items() if i not in case_ids}
            tables.dump_delta(p, d.kernel, d.features, rows, d.header, d.notes)
            changed += 1
    return changed
