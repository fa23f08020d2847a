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
import os
import statistics
import sys

from bench import guest_run
from sockreuse.kernels import fetch

SCRIPT = "guest_setup.py"
DEFAULT_VARIANTS = ["shipped=2", "mitigations=2:mitigations=auto", "jobs12=12"]


def parse_variant(text):
    name, _, rest = text.partition("=")
    jobs, _, cmdline = rest.partition(":")
    if not name or not jobs.isdigit() or int(jobs) < 1:
        sys.exit(f"bench/guest_setup.py: variant '{text}' is not NAME=JOBS[:CMDLINE]")
    return name, int(jobs), cmdline


def one_run(series, release, jobs, cmdline, k):
    env = dict(os.environ, SOCKREUSE_GUEST_JOBS=str(jobs), SOCKREUSE_GUEST_CMDLINE=cmdline)
    results, vm = guest_run.run(SCRIPT, series, release, k=k, env=env,
                                what=f"{series} jobs={jobs} '{cmdline}'")
    cases = [c for c in results["cases"] if c.get("setup_steps")]
    steps = {}
    for c in cases:
        for step, ms in c["setup_steps"].items():
            steps.setdefault(step, []).append(ms)
    return {"setup": statistics.median(c["setup_ms"] for c in cases),
            "suite": results["summary"]["wall_s"], "total": vm["total_s"],
            "steps": {s: statistics.median(v) for s, v in steps.items()}}


def main():
    p = guest_run.parser(SCRIPT, __doc__.splitlines()[0], "6.12", 3)
    p.add_argument("variants", nargs="*", default=DEFAULT_VARIANTS)
    a = p.parse_args()
    conf = fetch.load_conf()
    guest_run.check_series(SCRIPT, a.kernel, conf)
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
