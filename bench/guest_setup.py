#!/usr/bin/python3
"""Where a guest case's set-up time goes, and what the guest's knobs change:
boots one guest kernel under each variant, interleaved round by round (this
machine is noisy), runs the suite (or -k EXPR) and prints, per variant, the
median set-up per case, the suite's wall time in the guest and boot to
results, then each set-up step's median (the steps every case process
reports, fixtures/setup_steps.h) side by side.

A variant is NAME=JOBS[:CMDLINE]: the suite processes in the guest
(SOCKREUSE_GUEST_JOBS; shipped: one per vCPU, 2) and words for its kernel command line
(SOCKREUSE_GUEST_CMDLINE). The default compares the shipped settings with
the mitigations the kernel would otherwise enable, and with more processes.
Each run overwrites results/runs/<release>/, as a --kernel run does. Run as
root after the kernel is fetched (./run_tests.sh --kernel SERIES once):

  /usr/bin/python3 -m bench.guest_setup --kernel 6.12 [--rounds 3] [-k EXPR] [VARIANT ...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from sockreuse.kernels import fetch

DEFAULT_VARIANTS = ["shipped=2", "mitigations=2:mitigations=auto", "jobs12=12"]


def parse_variant(text):
    name, _, rest = text.partition("=")
    jobs, _, cmdline = rest.partition(":")
    if not name or not jobs.isdigit() or int(jobs) < 1:
        sys.exit(f"bench/guest_setup.py: variant '{text}' is not NAME=JOBS[:CMDLINE]")
    return name, int(jobs), cmdline


def one_run(series, release, jobs, cmdline, k):
    env = dict(os.environ, SOCKREUSE_GUEST_JOBS=str(jobs), SOCKREUSE_GUEST_CMDLINE=cmdline)
    cmd = ["/usr/bin/python3", "-m", "sockreuse.boot.matrix", "--kernel", series]
    r = subprocess.run(cmd + (["-k", k] if k else []), cwd=ROOT, env=env,
                       capture_output=True, text=True)
    out = os.path.join(ROOT, "results", "runs", release)
    if r.returncode != 0:
        sys.exit(f"bench/guest_setup.py: {series} jobs={jobs} '{cmdline}' did not pass:\n"
                 f"{r.stdout[-1500:]}")
    results = json.load(open(os.path.join(out, "results.json")))
    vm = json.load(open(os.path.join(out, "vm.json")))
    cases = [c for c in results["cases"] if c.get("setup_steps")]
    steps = {}
    for c in cases:
        for step, ms in c["setup_steps"].items():
            steps.setdefault(step, []).append(ms)
    return {"setup": statistics.median(c["setup_ms"] for c in cases),
            "suite": results["summary"]["wall_s"], "total": vm["total_s"],
            "steps": {s: statistics.median(v) for s, v in steps.items()}}


def main():
    if os.geteuid() != 0:
        sys.exit("bench/guest_setup.py: needs root (QEMU guests, private apt)")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", default="6.12", help="guest series (vm/kernels.conf)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("-k", help="only these cases (pytest -k)")
    p.add_argument("variants", nargs="*", default=DEFAULT_VARIANTS)
    a = p.parse_args()
    conf = fetch.load_conf()
    if a.kernel not in conf:
        sys.exit(f"bench/guest_setup.py: no series '{a.kernel}' in vm/kernels.conf")
    release = fetch.fetch(a.kernel, conf)["release"]
    variants = [parse_variant(v) for v in a.variants]
    runs = {name: [] for name, _, _ in variants}
    for i in range(a.rounds):
        for name, jobs, cmdline in variants:
            runs[name].append(one_run(a.kernel, release, jobs, cmdline, a.k))
            r = runs[name][-1]
            print(f"  round {i + 1} {name:12s} set-up median {r['setup']:7.1f} ms  suite "
                  f"{r['suite']:6.1f} s  boot to results {r['total']:6.1f} s", flush=True)
    med = lambda name, key: statistics.median(r[key] for r in runs[name])
    names = list(runs)
    print(f"\n{a.kernel} ({release}), {'-k ' + a.k if a.k else 'whole suite'}, "
          f"median of {a.rounds} (interleaved)")
    print(f"{'':22s}" + "".join(f"{n:>14s}" for n in names))
    for key, label, unit in (("setup", "set-up per case", "ms"), ("suite", "suite in guest", "s"),
                             ("total", "boot to results", "s")):
        print(f"{label + ' (' + unit + ')':22s}" + "".join(f"{med(n, key):14.1f}" for n in names))
    steps = list(dict.fromkeys(s for n in names for r in runs[n] for s in r["steps"]))
    print("set-up steps, median ms per case:")
    for s in steps:
        cells = []
        for n in names:
            vals = [r["steps"][s] for r in runs[n] if s in r["steps"]]
            cells.append(f"{statistics.median(vals):14.2f}" if vals else f"{'-':>14s}")
        print(f"  {s:20s}" + "".join(cells))


if __name__ == "__main__":
    main()
