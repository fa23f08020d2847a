#!/usr/bin/python3
"""Side-by-side: the whole suite through the runner with the cases that wait
on a kernel timer (params `timing`) started first in processes of their own,
and with them among the others as before (SOCKREUSE_TIMER_PROCESSES=0),
interleaved so both see the same machine load.
Run as root after a build: /usr/bin/python3 -m bench.timer_first [ROUNDS].
Prints the suite's own wall time (its summary line) and the runner's, medians."""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from sockreuse.run import suite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r" in (\d+\.\d+) s$", re.M)


def run(limit, out):
    env = {**os.environ, suite.TIMER_PROCESSES_ENV: limit}
    cmd = ["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q",
           "--results-dir", out, "--jobs", str(os.cpu_count() or 1)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    m = SUMMARY.search(r.stdout)
    if r.returncode != 0 or not m:
        sys.exit(f"bench/timer_first.py: the suite did not pass with "
                 f"{suite.TIMER_PROCESSES_ENV}={limit}:\n{r.stdout[-2000:]}")
    return float(m.group(1)), wall


def main():
    if os.geteuid() != 0:
        sys.exit("bench/timer_first.py: needs root (the suite creates network namespaces)")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    label = {"0": "timer cases among the others (before)", "16": "timer cases first (now)"}
    got = {k: [] for k in label}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(rounds):
            for k in label:
                got[k].append(run(k, out))
    print(f"whole suite through the runner, -j{os.cpu_count()}, median of {rounds} (interleaved):")
    med = {}
    for k, text in label.items():
        med[k] = [statistics.median(x[i] for x in got[k]) for i in (0, 1)]
        print(f"  {text:40s} cases {med[k][0]:6.2f} s   runner {med[k][1]:6.2f} s")
    print(f"  ratio (before / now): cases {med['0'][0] / med['16'][0]:4.2f}x, "
          f"runner {med['0'][1] / med['16'][1]:4.2f}x")


if __name__ == "__main__":
    main()
