"""Prints the effective expected table of a kernel series: base.yaml with the
series' delta laid over it, one line per case (`id token`, and the feature
for a row of the delta).

    /usr/bin/python3 -m sockreuse.expect.show_table SERIES [--expected-dir DIR]

SERIES names a delta of the folder (`6.1`, or an exact release with a delta
of its own); `base` prints the base alone."""
import argparse
import os
import sys

from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.expect import table_choice, tables, vocabulary
from sockreuse.paths import EXPECTED, shown


def deltas(expected_dir):
    names = [n[:-5] for n in os.listdir(expected_dir)
             if n.endswith(".yaml") and n != tables.BASE] if os.path.isdir(expected_dir) else []
    return sorted(names, key=table_choice.version_key)


def lines(series, expected_dir):
    """The output, as a list of lines; RunnerError for an unknown series."""
    known = deltas(expected_dir)
    if series != "base" and series not in known:
        raise RunnerError(f"no delta for series '{series}' in {expected_dir} (known: "
                          f"{', '.join(known) or 'none'}, or base); record one with "
                          "./run_tests.sh --record on that kernel", EXIT_USAGE)
    vocab = vocabulary.load()
    base_file = table_choice.base_path(expected_dir)
    if not os.path.isfile(base_file):
        raise RunnerError(f"no {tables.BASE} in {expected_dir}: record one with "
                          "./run_tests.sh --record", EXIT_USAGE)
    base = tables.load_base(base_file, vocab)
    delta = None
    if series != "base":
        delta = tables.load_delta(os.path.join(expected_dir, series + ".yaml"), base, vocab)
    table = tables.merge(base, delta)
    over = f" overlaid by {shown(delta.path)}" if delta else ""
    out = [f"# {series}: {shown(base_file)}{over}"
           + f"; {len(delta.rows) if delta else 0} of {len(table.rows)} rows differ from "
           "the base"]
    if delta:
        out.append(f"# features: {', '.join(sorted(delta.features)) or 'none'}")
    for case_id in sorted(table.rows):
        row = table.rows[case_id]
        out.append(f"{case_id} {row.expected}" + (f"  [{row.feature}]" if row.feature else ""))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="show_table", description=__doc__.split("\n\n")[0])
    p.add_argument("series")
    p.add_argument("--expected-dir", default=EXPECTED)
    a = p.parse_args(argv)
    try:
        out = lines(a.series, a.expected_dir)
    except RunnerError as e:
        sys.stderr.write(f"sockreuse: {e}\n")
        return e.code
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
