#!/usr/bin/python3
"""Side-by-side: the whole matrix (host + every configured guest kernel) with
guests one at a time (-j1) and two at a time (-j2), interleaved so both see
the same machine load. Prints the median wall time of each and the median
boot-to-results time per kernel. Run as root after ./run_tests.sh --matrix
has fetched the kernels: /usr/bin/python3 -m bench.matrix_side_by_side [ROUNDS]"""
import glob
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(jobs):
    started = time.time()
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.boot.matrix", "--matrix",
                        "-j", str(jobs)], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"bench/matrix_side_by_side.py: the matrix did not pass at -j{jobs}:\n{r.stdout[-2000:]}")
    totals = {}
    for path in glob.glob(os.path.join(ROOT, "results", "runs", "*", "vm.json")):
        if os.path.getmtime(path) < started:  # another run's guest (another arch, say)
            continue
        with open(path) as f:
            vm = json.load(f)
        totals[vm["release"]] = (vm["accelerator"], vm["total_s"])
    return wall, totals


def main():
    if os.geteuid() != 0:
        sys.exit("bench/matrix_side_by_side.py: needs root (QEMU guests, private apt)")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    walls = {1: [], 2: []}
    per_kernel = {1: {}, 2: {}}
    for i in range(rounds):
        for jobs in (1, 2):
            wall, totals = run(jobs)
            walls[jobs].append(wall)
            for release, (accel, total) in totals.items():
                per_kernel[jobs].setdefault((release, accel), []).append(total)
            print(f"  round {i + 1}: -j{jobs} {wall:6.1f} s", flush=True)
    print(f"whole matrix, median of {rounds} (interleaved):")
    for jobs in (1, 2):
        print(f"  -j{jobs}  {statistics.median(walls[jobs]):6.1f} s")
    print(f"  -j1 / -j2 = {statistics.median(walls[1]) / statistics.median(walls[2]):4.2f}")
    print("boot to results per guest, median (-j1 | -j2):")
    for release, accel in sorted(per_kernel[1]):
        a = statistics.median(per_kernel[1][(release, accel)])
        b = statistics.median(per_kernel[2].get((release, accel), [float("nan")]))
        print(f"  {release:24s} {accel}  {a:6.1f} s | {b:6.1f} s")


if __name__ == "__main__":
    main()
