"""--record: the observed outcomes become the table for this kernel, keeping
each existing row's rule and note; returns the diff against the old table.
The table written is the kernel's own (session.State.record_path): a kernel
without one gets a new table seeded from the one it was compared with, and
that older table is never touched."""
import os

from . import tables


def write(st, cases):
    path = st.record_path
    old = st.table.rows if st.table else {}
    rows = dict(old)
    ran = {c["id"]: c for c in cases if c["verdict"] not in ("error", "skip")}
    for case_id, c in ran.items():
        prev = old.get(case_id)
        rows[case_id] = tables.Row(c["observed"], prev.rule if prev else c["rule"],
                                   prev.note if prev else None)
    removed = [i for i in old if i not in st.case_ids]
    for case_id in removed:
        del rows[case_id]
    fresh_header = (f"# Expected outcomes on Linux {st.series}, recorded from {st.release}.\n"
                    "# Review every row against the rules in docs/rules.md before committing.")
    if st.seeded_from:
        header = (fresh_header + f"\n# Seeded from {os.path.basename(st.seeded_from)}: rows this "
                  "run did not record keep that table's values until they are recorded here.")
        kernel_name = st.series
    else:
        header = st.table.header if st.table else fresh_header
        kernel_name = st.table.kernel if st.table and st.table.kernel else st.series
    tables.dump(path, kernel_name, rows, header, st.features)

    diff = []
    if st.seeded_from:
        diff.append(f"new table for series {st.series}, seeded from {st.seeded_from}; "
                    "the diff below is against it")
    for case_id in sorted(set(rows) | set(old)):
        before, after = old.get(case_id), rows.get(case_id)
        if before is None:
            diff.append(f"+ {case_id}: {after.expected}")
        elif after is None:
            diff.append(f"- {case_id}: {before.expected} (no such case any more)")
        elif before.expected != after.expected:
            diff.append(f"~ {case_id}: {before.expected} -> {after.expected}")
    changed = len(diff) - (1 if st.seeded_from else 0)
    diff.append(f"wrote {path}: {len(rows)} rows, {changed} changed; review them before "
                "committing")
    return diff
