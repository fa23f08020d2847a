"""What the guest bench scripts share: their root check and common options,
and one guest run (sockreuse.boot.matrix --kernel SERIES ...) that ends the
script with its output's tail when it does not pass and otherwise returns
the results.json and vm.json it left in results/runs/<release>/."""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser(script, description, kernel, rounds):
    """The options of a guest bench: --kernel, --rounds, -k; root first."""
    if os.geteuid() != 0:
        sys.exit(f"bench/{script}: needs root (QEMU guests, private apt)")
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--kernel", default=kernel, help="guest series (vm/kernels.conf)")
    p.add_argument("--rounds", type=int, default=rounds)
    p.add_argument("-k", help="only these cases (pytest -k)")
    return p


def check_series(script, series, conf):
    if series not in conf:
        sys.exit(f"bench/{script}: no series '{series}' in vm/kernels.conf")


def run(script, series, release, args=(), k=None, env=None, what=None, tree=ROOT):
    """(results, vm) of one guest run of `series` with `args` (and -k), by
    the checkout at `tree` (bench/old_tree.py makes an older one)."""
    cmd = ["/usr/bin/python3", "-m", "sockreuse.boot.matrix", "--kernel", series, *args]
    r = subprocess.run(cmd + (["-k", k] if k else []), cwd=tree, env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"bench/{script}: {what or series} did not pass:\n{r.stdout[-1500:]}")
    out = os.path.join(tree, "results", "runs", release)
    with open(os.path.join(out, "results.json")) as f:
        results = json.load(f)
    with open(os.path.join(out, "vm.json")) as f:
        return results, json.load(f)
