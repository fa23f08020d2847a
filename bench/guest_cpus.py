#!/usr/bin/python3
"""Side-by-side: what giving the guests the two CPUs the SO_INCOMING_CPU and
SKF_AD_CPU cases (R10) need costs the matrix, interleaved so every variant
sees the same machine load. Variants:

  1cpu   every guest one vCPU: the matrix as it was (the two-CPU cases skip)
  2cpu   every guest two vCPUs
  split  every guest one vCPU, then a second, short two-vCPU boot per guest
         that runs only the two-CPU cases (the two boots' times add up)

Each runs the whole matrix (python3 -m sockreuse.boot.matrix --matrix, guests two at a time, as
./run_tests.sh --matrix does here); split's second boots also run two at a
time. With --kernel SERIES, one guest instead of the matrix (much cheaper on
a shared machine; split is then that guest's second boot). Prints the median
wall time of each. Run as root after the kernels are fetched:
/usr/bin/python3 -m bench.guest_cpus [--kernel SERIES] [ROUNDS]"""
import argparse
import concurrent.futures
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from sockreuse.kernels import fetch

MATRIX = ["/usr/bin/python3", "-m", "sockreuse.boot.matrix"]
TWO_CPU_CASES = "incoming_cpu or processing_cpu"


def timed(cmd, cpus):
    env = dict(os.environ, SOCKREUSE_GUEST_CPUS=str(cpus))
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench/guest_cpus.py: {' '.join(cmd[3:])} ({cpus} vCPUs) did not pass:\n"
                 f"{r.stdout[-2000:]}")
    return time.perf_counter() - t0


def second_boots(series_list):
    """The split variant's extra boots: the two-CPU cases alone, two guests at a time."""
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(timed, MATRIX + ["--kernel", series, "-k", TWO_CPU_CASES], 2)
                for series in series_list]
        for r in runs:
            r.result()
    return time.perf_counter() - t0


def main():
    if os.geteuid() != 0:
        sys.exit("bench/guest_cpus.py: needs root (QEMU guests, private apt)")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", help="one guest series (vm/kernels.conf) instead of the matrix")
    p.add_argument("rounds", nargs="?", type=int, default=3)
    a = p.parse_args()
    if a.kernel and a.kernel not in fetch.load_conf():
        sys.exit(f"bench/guest_cpus.py: no series '{a.kernel}' in vm/kernels.conf")
    what = ["--kernel", a.kernel] if a.kernel else ["--matrix", "-j", "2"]
    series_list = [a.kernel] if a.kernel else list(fetch.load_conf())
    rounds = a.rounds
    walls = {"1cpu": [], "2cpu": [], "split": []}
    for i in range(rounds):
        one = timed(MATRIX + what, 1)
        walls["1cpu"].append(one)
        walls["2cpu"].append(timed(MATRIX + what, 2))
        walls["split"].append(one + second_boots(series_list))
        print(f"  round {i + 1}: " + ", ".join(f"{k} {v[-1]:6.1f} s" for k, v in walls.items()),
              flush=True)
    print(f"{'guest ' + a.kernel if a.kernel else 'whole matrix, guests two at a time'}, "
          f"median of {rounds} (interleaved):")
    for k, v in walls.items():
        print(f"  {k:5s}  {statistics.median(v):6.1f} s")


if __name__ == "__main__":
    main()
