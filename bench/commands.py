#!/usr/bin/python3
"""A command of the README, `./run_tests.sh ARGS`, this checkout against an
older commit, side by side: builds REF in a temporary git worktree (this
checkout's downloaded kernels hard-linked in), runs the command once in each
tree untimed so both start warm (packages, builds, rootfs, caches), then
ROUNDS times alternately, and prints each tree's median wall time, the
new/old ratio and, per round, each tree's wall time and exit status. A run
that does not pass is reported, not hidden: the figures say which did not.
Where the command writes results (the suite, a guest, the matrix), each
kernel's median set-up per case (results.json `setup_ms`, cases that ran)
is printed too, old beside new.

Run as root from the repository root, e.g.:
  /usr/bin/python3 -m bench.commands --old 7231aba --rounds 3 -- --matrix
  /usr/bin/python3 -m bench.commands --old 7231aba --rounds 1 -- --selftest
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time

from bench.old_tree import ROOT, old_tree
from bench.setup_cost import median_setup_ms

SCRIPT = "commands.py"


def setups(tree, since):
    """{release: median set-up per case, ms} of the results written since `since`."""
    found = {}
    for path in glob.glob(os.path.join(tree, "results", "runs", "*", "results.json")):
        if os.path.getmtime(path) < since:  # an earlier run's
            continue
        with open(path) as f:
            ms = median_setup_ms(json.load(f))
        if ms is not None:
            found[os.path.basename(os.path.dirname(path))] = ms
    return found


def one_run(tree, args, log):
    """(wall s, exit status, {release: set-up ms})"""
    started = time.time()
    t0 = time.perf_counter()
    with open(log, "w") as out:
        r = subprocess.run(["./run_tests.sh", *args], cwd=tree, stdin=subprocess.DEVNULL,
                           stdout=out, stderr=subprocess.STDOUT)
    return time.perf_counter() - t0, r.returncode, setups(tree, started)


def main():
    if os.geteuid() != 0:
        sys.exit(f"bench/{SCRIPT}: needs root (namespaces, and QEMU guests for --matrix)")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", default="7231aba",
                   help="the commit to compare with (default: the last before issue 22's work)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("args", nargs="*", help="run_tests.sh's arguments (after --)")
    a = p.parse_args()
    with old_tree(a.old, SCRIPT, caches=True) as (old, tmp):
        trees = {f"old ({a.old})": old, "new (this checkout)": ROOT}
        for name, tree in trees.items():
            wall, rc, _ = one_run(tree, a.args, os.path.join(tmp, "warm-up.log"))
            print(f"  warm-up {name}: {wall:.1f} s, exit {rc}", flush=True)
        runs = {name: [] for name in trees}
        for i in range(a.rounds):
            for n, (name, tree) in enumerate(trees.items()):
                log = os.path.join(tmp, f"round{i}-{n}.log")
                runs[name].append(one_run(tree, a.args, log))
                if runs[name][-1][1] != 0:  # said now; counted in the summary
                    with open(log) as f:
                        tail = f.read()[-1500:]
                    print(f"  {name} exited {runs[name][-1][1]}; its output's tail:\n{tail}")
            print(f"  round {i + 1}: " + ", ".join(
                f"{name} {v[-1][0]:.1f} s (exit {v[-1][1]})" for name, v in runs.items()),
                flush=True)
    names = list(runs)
    med = [statistics.median(w for w, _, _ in runs[n]) for n in names]
    failed = {n: sum(1 for _, rc, _ in runs[n] if rc != 0) for n in names}
    print(f"./run_tests.sh {' '.join(a.args)}: median of {a.rounds}, interleaved, after a "
          f"warm-up run each")
    for n, m in zip(names, med):
        print(f"  {n:24s} {m:8.1f} s  ({m / 60:.1f} min)"
              + (f"  {failed[n]} run(s) did not pass" if failed[n] else ""))
    print(f"  new/old {med[1] / med[0]:.2f}")
    # The self-tests' guests run a few cases each beside other tests: their
    # set-up says nothing about the suite's.
    releases = [] if "--selftest" in a.args else sorted(
        {rel for n in names for _, _, s in runs[n] for rel in s})
    if releases:
        print("  set-up per case (median of each run's median, ms):")
    for rel in releases:
        cells = [[s[rel] for _, _, s in runs[n] if rel in s] for n in names]
        print(f"    {rel:28s}" + "".join(
            f"{n.split()[0]} {statistics.median(c):7.1f}   " if c else f"{n.split()[0]}       -   "
            for n, c in zip(names, cells)))


if __name__ == "__main__":
    main()
