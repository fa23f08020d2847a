"""The cross-kernel compatibility report of --matrix: reads every run's
results.json and writes results/compat/ (index.html, compat.md), each page
once, whole. With --explore it first builds the explorer's cross-kernel
section from the runs' explore outcomes (results/compat/explore.json);
without, it takes an explore.json made from these runs' outcomes, if any.
    /usr/bin/python3 -m sockreuse.report.compat_report [--explore] \
        --runs results/runs/<release> ..."""
import argparse
import glob
import os
import sys

from sockreuse.paths import REPO
from sockreuse.progress import fail
from sockreuse.report import compat_html, compat_md
from sockreuse.errors import EXIT_FAILED, RunnerError
from sockreuse.explore import crosskernel
from sockreuse.expect import claims
from sockreuse.report.compat import causes, claims_status, grid, load, unexplained

NO_OUTCOMES = ("the explorer's cross-kernel section needs the outcomes of two kernels or more "
               "(explore-outcomes.txt.gz in their run folders): run ./run_tests.sh --matrix "
               "--explore")


def explorer(run_dirs, out, explore):
    """The explorer's section (a dict) or None, and what to tell the reader."""
    if explore:
        doc = crosskernel.compute(run_dirs, out)
        return doc, (None if doc else NO_OUTCOMES)
    doc, why = crosskernel.current(run_dirs, out)
    return doc, (f"left the explorer's section out: {why}; --explore rebuilds it" if why else None)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", nargs="*", help="results.json files or run directories")
    p.add_argument("--out", default=os.path.join(REPO, "results", "compat"))
    p.add_argument("--claims", default=os.path.join(REPO, "results", "seed_claims.yaml"))
    p.add_argument("--explore", action="store_true",
                   help="build the explorer's cross-kernel section from the runs' outcomes")
    a = p.parse_args(argv)
    runs = a.runs or sorted(glob.glob(os.path.join(REPO, "results", "runs", "*")))
    # A run folder holds the suite's results.json, the explorer's outcomes, or
    # both: --matrix --explore runs only the explorer in the guests.
    dirs = [os.path.dirname(r) if r.endswith(".json") else r for r in runs]
    paths = [p for p in (r if r.endswith(".json") else os.path.join(r, "results.json")
                         for r in runs) if os.path.isfile(p)]
    if not paths and not a.explore:
        raise SystemExit("sockreuse: no results.json to report on: run ./run_tests.sh or --matrix first")
    kernels = load(paths) if paths else []
    rows = grid(kernels)
    try:
        explore, why = explorer([d for d in dirs if os.path.isdir(d)], a.out, a.explore)
    except RunnerError as e:
        fail(str(e), e.code)
    report = {"kernels": kernels, "grid": rows, "causes": causes(rows),
              "unexplained": unexplained(kernels),
              "claims": claims_status(claims.load(a.claims), kernels), "explorer": explore}
    compat_html.write(os.path.join(a.out, "index.html"), report)
    compat_md.write(os.path.join(a.out, "compat.md"), report)
    section = (f"; explorer: {explore['differing']} of {explore['sequences']} sequences differ, "
               f"{len(explore['causes'])} causes" if explore else "")
    print(f"sockreuse: wrote {os.path.join(a.out, 'index.html')} and compat.md "
          f"({len(kernels)} kernels, {len(report['causes'])} causes of behaviour changes{section})")
    if why:
        print(f"sockreuse: {why}", file=sys.stderr)
        if a.explore:
            sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
