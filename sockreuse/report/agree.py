"""Do two runs agree case for case: the same cases, each with the same
verdict and observed outcome? .ci/run holds a LAVA job against a local
guest of the same kernel this way.

    python3 -m sockreuse.report.agree RUN_A RUN_B      results.json files or run directories
    python3 -m sockreuse.report.agree --where SERIES   the run directory of a series (vm.json)
                                                        on the host's architecture
"""
import glob
import json
import os
import sys

from sockreuse import arches
from sockreuse.paths import RESULTS

RUNS = os.path.join(RESULTS, "runs")


def load(path):
    path = os.path.join(path, "results.json") if os.path.isdir(path) else path
    try:
        with open(path) as f:
            return {c["id"]: c for c in json.load(f)["cases"]}
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"sockreuse: {path}: not a run's results.json ({e})")


def differences(a, b):
    out = [f"{i}: only in the first run" for i in sorted(set(a) - set(b))]
    out += [f"{i}: only in the second run" for i in sorted(set(b) - set(a))]
    for i in sorted(set(a) & set(b)):
        seen = [(c["verdict"], c["observed"]) for c in (a[i], b[i])]
        if seen[0] != seen[1]:
            out.append(f"{i}: {seen[0][0]} {seen[0][1]!r} vs {seen[1][0]} {seen[1][1]!r}")
    return out


def where(series):
    """The newest guest run of `series` on the host's architecture: the LAVA
    job .ci/run compares with it is one (runs from before vm.json named an
    architecture were all the host's)."""
    runs, host = [], arches.host().name
    for path in glob.glob(os.path.join(RUNS, "*", "vm.json")):
        with open(path) as f:
            vm = json.load(f)
        if vm.get("series") == series and vm.get("arch", host) == host:
            runs.append(os.path.dirname(path))
    if not runs:
        sys.exit(f"sockreuse: no guest run of series {series} in {RUNS}: run "
                 f"./run_tests.sh --kernel {series} first")
    return max(runs, key=os.path.getmtime)


def main(argv):
    if len(argv) == 3 and argv[1] == "--where":
        print(where(argv[2]))
        return 0
    if len(argv) != 3:
        sys.exit("usage: python3 -m sockreuse.report.agree RUN_A RUN_B | --where SERIES")
    a, b = load(argv[1]), load(argv[2])
    diff = differences(a, b)
    for line in diff[:20]:
        print(f"  {line}")
    if diff:
        print(f"sockreuse: the runs disagree on {len(diff)} of {len(set(a) | set(b))} cases")
        return 1
    print(f"sockreuse: the runs agree on all {len(a)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
