#!/usr/bin/python3
"""The whole suite on the host, this checkout against an older commit, side
by side: builds REF in a temporary git worktree, then runs each tree's runner
alternately ROUNDS times (this machine is noisy) and prints the medians: the
run's wall time as the runner reports it (first case started to report
written), the whole command's, the set-up per case, the cases.

Run as root after a build, from the repository root:
  /usr/bin/python3 -m bench.host_suite [--old REF] [ROUNDS]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.old_tree import old_tree
from bench.setup_cost import median_setup_ms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_run(tree, out):
    jobs = str(len(os.sched_getaffinity(0)))
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider",
                        "-q", "--jobs", jobs, "--results-dir", out], cwd=tree,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"bench/host_suite.py: the suite in {tree} did not pass:\n{r.stdout[-1500:]}")
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    return {"run": doc["summary"]["wall_s"], "command": wall,
            "setup": median_setup_ms(doc), "cases": len(doc["cases"])}


def main():
    if os.geteuid() != 0:
        sys.exit("bench/host_suite.py: needs root (the cases make network namespaces)")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", default="a136fbe", help="the commit to compare with")
    p.add_argument("rounds", nargs="?", type=int, default=5)
    a = p.parse_args()
    with old_tree(a.old, "host_suite.py") as (old, tmp):
        trees = {f"old ({a.old})": old, "new (this checkout)": ROOT}
        runs = {name: [] for name in trees}
        for i in range(a.rounds):
            for name, tree in trees.items():
                runs[name].append(one_run(tree, os.path.join(tmp, f"out-{len(runs[name])}-{i}")))
            print(f"  round {i + 1}: " + ", ".join(
                f"{n} {v[-1]['run']:.2f} s" for n, v in runs.items()), flush=True)
    med = lambda name, key: statistics.median(r[key] for r in runs[name])
    print(f"the suite on the host ({os.uname().release}), median of {a.rounds}, interleaved:")
    for name in runs:
        print(f"  {name:22s} {runs[name][0]['cases']} cases  run {med(name, 'run'):5.2f} s  "
              f"command {med(name, 'command'):5.2f} s  set-up per case {med(name, 'setup'):5.2f} ms")
    print("  (set-up: from the fork since ab0cb2b; before, from after the case's unshare)")
    names = list(runs)
    print(f"  new/old run time: {med(names[1], 'run') / med(names[0], 'run'):.2f}")


if __name__ == "__main__":
    main()
