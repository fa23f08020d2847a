#!/usr/bin/python3
"""The two topology shapes side by side (fixtures/topology.h): two_hosts,
which most cases get, against server_only, which the cases that only bind
get. Each round builds N topologies of each shape in turn (build/topology_bench:
a forked process that leaves the host's namespace, builds, exits, as a case
does) and prints the medians over the rounds of the set-up's wall time and
of the machine's CPU time per set-up, read from /proc/stat around the batch
and a settling pause, so that it includes the kernel's asynchronous
teardown of each namespace.

Run as root after a build, from the repository root:
  /usr/bin/python3 -m bench.topology_shapes [--rounds R] [N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "topology_bench")
SHAPES = ("two_hosts", "server_only")
SETTLE_S = 0.5


def busy_ticks():
    """Non-idle CPU time of the whole machine, in clock ticks."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]


def batch(shape, n):
    """(median wall per set-up in ms, machine CPU per set-up in ms)."""
    t0 = busy_ticks()
    out = subprocess.run([BENCH, str(n), shape], check=True, capture_output=True, text=True)
    time.sleep(SETTLE_S)
    cpu_ms = (busy_ticks() - t0) * 1000 / os.sysconf("SC_CLK_TCK") / n
    return statistics.median(float(x) for x in out.stdout.split()), cpu_ms


def main():
    if os.geteuid() != 0:
        sys.exit("bench/topology_shapes.py: needs root (it creates network namespaces)")
    if not os.access(BENCH, os.X_OK):
        sys.exit(f"bench/topology_shapes.py: no {BENCH}: run ./run_tests.sh once to build it")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("n", nargs="?", type=int, default=200, help="set-ups per shape and round")
    a = p.parse_args()
    got = {s: [] for s in SHAPES}
    for i in range(a.rounds):
        for s in SHAPES:  # interleaved: both see the same machine
            got[s].append(batch(s, a.n))
        print(f"  round {i + 1}: " + ", ".join(f"{s} {got[s][-1][0]:.2f} ms" for s in SHAPES),
              flush=True)
    med = {s: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for s, v in got.items()}
    print(f"topology set-up per case, {a.n} a batch, median of {a.rounds} rounds, interleaved:")
    for s in SHAPES:
        print(f"  {s:12s} wall {med[s][0]:6.2f} ms   machine CPU {med[s][1]:6.2f} ms")
    (w2, c2), (w1, c1) = med["two_hosts"], med["server_only"]
    print(f"  server_only/two_hosts: wall {w1 / w2:.2f}, CPU {c1 / c2:.2f}")


if __name__ == "__main__":
    main()
