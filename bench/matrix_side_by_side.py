#!/usr/bin/python3
"""Side-by-side: the whole matrix (host + every configured guest kernel)
under variants of how its guests share the machine, interleaved so all see
the same load. Prints each variant's median wall time, ratios to the first,
and the median boot-to-results time per kernel. Variants (default: pipelined
one-after-another):
  one          one guest at a time, each keeping its place to its end (SOCKREUSE_PIPELINE=0)
  pipelined    one at a time, the next booting while the one before sends its reports
  two          two guests at a time (-j2), pipelined
Run as root after ./run_tests.sh --matrix has fetched the kernels:
  /usr/bin/python3 -m bench.matrix_side_by_side [ROUNDS] [VARIANT ...]"""
import glob
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = {"one": (["-j", "1"], {"SOCKREUSE_PIPELINE": "0"}),
            "pipelined": (["-j", "1"], {}),
            "two": (["-j", "2"], {})}


def run(name):
    args, env = VARIANTS[name]
    started = time.time()
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.boot.matrix", "--matrix", *args],
                       cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, **env))
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"bench/matrix_side_by_side.py: the matrix did not pass ({name}):\n"
                 f"{r.stdout[-2000:]}")
    totals = {}
    for path in glob.glob(os.path.join(ROOT, "results", "runs", "*", "vm.json")):
        with open(path) as f:
            vm = json.load(f)
        if os.path.getmtime(path) >= started:  # this matrix's guests only
            totals[vm["release"]] = (vm["accelerator"], vm["total_s"])
    return wall, totals


def main():
    if os.geteuid() != 0:
        sys.exit("bench/matrix_side_by_side.py: needs root (QEMU guests, private apt)")
    args = sys.argv[1:]
    rounds = int(args.pop(0)) if args and args[0].isdigit() else 3
    names = args or ["one", "pipelined"]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"bench/matrix_side_by_side.py: unknown variant {unknown[0]} "
                 f"(known: {', '.join(VARIANTS)})")
    walls = {n: [] for n in names}
    per_kernel = {n: {} for n in names}
    for i in range(rounds):
        for name in names:
            wall, totals = run(name)
            walls[name].append(wall)
            for release, (accel, total) in totals.items():
                per_kernel[name].setdefault((release, accel), []).append(total)
            print(f"  round {i + 1}: {name} {wall:6.1f} s", flush=True)
    first = statistics.median(walls[names[0]])
    print(f"whole matrix, median of {rounds} (interleaved):")
    for name in names:
        m = statistics.median(walls[name])
        print(f"  {name:10s} {m:6.1f} s  ({m / first:4.2f} of {names[0]})")
    print("boot to results per guest, median (" + " | ".join(names) + "):")
    for release, accel in sorted(per_kernel[names[0]]):
        cells = [statistics.median(per_kernel[n].get((release, accel), [float("nan")]))
                 for n in names]
        print(f"  {release:24s} {accel}  " + " | ".join(f"{c:6.1f} s" for c in cells))


if __name__ == "__main__":
    main()
