#!/usr/bin/python3
"""The explorer's speed: sequences per second of the executor (input and
output included, the Python driver's enumeration and comparison not) on the
host, for the whole space, and in one guest for a slice; plus the load
average, since the machine is shared. Run as root after ./run_tests.sh and
the baselines exist:

    /usr/bin/python3 -m bench.explore [RUNS] [--guest SERIES] [--slice EXPR]"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from sockreuse.kernels import fetch

RATE = re.compile(r"explorer: (\d+) sequences on \S+ in ([\d.]+) s \((\d+) sequences/s, "
                  r"(\d+) shards; ([\d.]+) s in all\)")


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def host_run(jobs):
    cpu0 = cpu_children()
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.explore.driver",
                            "--outcomes-only", "-j", str(jobs), "--results-dir", out],
                           cwd=ROOT, capture_output=True, text=True)
    m = RATE.search(r.stdout)
    if r.returncode != 0 or not m:
        sys.exit(f"bench/explore.py: host run failed: {r.stdout[-500:]} {r.stderr[-500:]}")
    # CPU seconds of the driver and its executor: what the run costs whatever
    # else the shared machine is doing.
    return int(m.group(1)), float(m.group(2)), float(m.group(5)), cpu_children() - cpu0


def guest_run(series, select):
    conf = fetch.load_conf()
    info = fetch.fetch(series, conf)
    subprocess.run(["/usr/bin/python3", "-m", "sockreuse.boot.matrix", "--kernel", series,
                    "--explore", "-k", select], cwd=ROOT, capture_output=True, text=True)
    run_dir = os.path.join(ROOT, "results", "runs", info["release"])
    console = open(os.path.join(run_dir, "console.log"), errors="replace").read()
    m = RATE.search(console)
    vm = json.load(open(os.path.join(run_dir, "vm.json")))
    if not m:
        sys.exit(f"bench/explore.py: no rate in {run_dir}/console.log ({vm.get('error')})")
    return info["release"], vm["accelerator"], int(m.group(1)), float(m.group(2))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("runs", nargs="?", type=int, default=3)
    p.add_argument("--guest", default="6.12")
    p.add_argument("--slice", default="a2:s0_4 or a2:any6",
                   help="-k for the guest (default: a fifth of the space, every state)")
    a = p.parse_args()
    load = os.getloadavg()[0]
    rates, per_cpu = [], []
    for _ in range(a.runs):
        n, secs, total, cpu = host_run(os.cpu_count() or 2)
        rates.append(n / secs)
        per_cpu.append(n / cpu)
        print(f"host: {n} sequences in {secs:.1f} s ({n / secs:.0f}/s; {total:.1f} s with "
              f"enumeration and comparison; {cpu:.1f} CPU s in all)", flush=True)
    print(f"host, {os.cpu_count()} shards, median of {a.runs}: {statistics.median(rates):.0f} "
          f"sequences/s, {statistics.median(per_cpu):.0f} sequences per CPU second "
          f"(load average {load:.1f} at the start)")
    release, accel, n, secs = guest_run(a.guest, a.slice)
    print(f"guest {release} ({accel}, 1 vCPU, 1 shard), -k '{a.slice}': {n} sequences in "
          f"{secs:.1f} s ({n / secs:.0f}/s; load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
