#!/usr/bin/python3
"""Side-by-side: the whole suite through the runner at -j1 and -j2 (the
README's ./run_tests.sh -j N, which runs N suite processes side by side),
interleaved so both see the same machine load.
Run as root after a build: /usr/bin/python3 -m bench.parallel [ROUNDS]. Prints medians."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(jobs, out):
    cmd = ["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q",
           "--results-dir", out]
    cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench/parallel.py: the suite did not pass at -j{jobs}:\n{r.stdout[-2000:]}")
    return time.perf_counter() - t0


def main():
    if os.geteuid() != 0:
        sys.exit("bench/parallel.py: needs root (the suite creates network namespaces)")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    times = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(rounds):
            for jobs in (1, 2):
                times[jobs].append(run(jobs, out))
    j1, j2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"whole suite through the runner, median of {rounds} (interleaved):")
    print(f"  -j1  {j1:6.2f} s")
    print(f"  -j2  {j2:6.2f} s")
    print(f"  speed-up {j1 / j2:4.2f}x")


if __name__ == "__main__":
    main()
