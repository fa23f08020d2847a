"""The cross-kernel compatibility report of --matrix: reads every run's
results.json and writes results/compat/ (compat.html, compat.md).
    /usr/bin/python3 -m sockreuse.report.compat_report --runs results/runs/<release> ..."""
import argparse
import glob
import os

from sockreuse.paths import REPO
from sockreuse.report import compat_html, compat_md
from sockreuse.explore import crosskernel
from sockreuse.expect import claims
from sockreuse.report.compat import causes, claims_status, grid, load, unexplained


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", nargs="*", help="results.json files or run directories")
    p.add_argument("--out", default=os.path.join(REPO, "results", "compat"))
    p.add_argument("--claims", default=os.path.join(REPO, "results", "seed_claims.yaml"))
    a = p.parse_args(argv)
    paths = []
    for r in a.runs or sorted(glob.glob(os.path.join(REPO, "results", "runs", "*"))):
        path = r if r.endswith(".json") else os.path.join(r, "results.json")
        if os.path.isfile(path):
            paths.append(path)
    if not paths:
        raise SystemExit("sockreuse: no results.json to report on: run ./run_tests.sh or --matrix first")
    kernels = load(paths)
    rows = grid(kernels)
    report = {"kernels": kernels, "grid": rows, "causes": causes(rows),
              "unexplained": unexplained(kernels),
              "claims": claims_status(claims.load(a.claims), kernels)}
    compat_html.write(os.path.join(a.out, "index.html"), report)
    compat_md.write(os.path.join(a.out, "compat.md"), report)
    crosskernel.hook(a.out)  # the explorer's cross-kernel section, if there is one
    print(f"sockreuse: wrote {os.path.join(a.out, 'index.html')} and compat.md "
          f"({len(kernels)} kernels, {len(report['causes'])} causes of behaviour changes)")


if __name__ == "__main__":
    main()
