"""--record: the observed outcomes become the table for this kernel, keeping
each existing row's rule and note; returns the diff against the old table."""
import os

from . import tables


def write(st, cases):
    path = st.table_path or os.path.join(st.expected_dir, f"{st.series}.yaml")
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
    header = st.table.header if st.table else (
        f"# Expected outcomes on Linux {st.series}, recorded from {st.release}.\n"
        "# Review every row against the rules in DESIGN.md before committing.")
    kernel_name = st.table.kernel if st.table and st.table.kernel else st.series
    tables.dump(path, kernel_name, rows, header)
    st.table_path = path

    diff = []
    for case_id in sorted(set(rows) | set(old)):
        before, after = old.get(case_id), rows.get(case_id)
        if before is None:
            diff.append(f"+ {case_id}: {after.expected}")
        elif after is None:
            diff.append(f"- {case_id}: {before.expected} (no such case any more)")
        elif before.expected != after.expected:
            diff.append(f"~ {case_id}: {before.expected} -> {after.expected}")
    diff.append(f"wrote {path}: {len(rows)} rows, {len(diff)} changed; review them before "
                "committing")
    return diff
