#!/usr/bin/python3
"""Boot-to-results time per configured guest kernel, median of N boots,
with the accelerator named: each boot runs the R1 cases (-k default) so the
figure is dominated by booting, not by the suite. Run as root after
./run_tests.sh --kernel <series> has fetched the kernels: /usr/bin/python3 -m bench.vm_boot [N]"""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from sockreuse.kernels import fetch


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    conf = fetch.load_conf()
    print(f"boot to results per kernel, median of {n}, -k default:")
    for series in conf:
        info = fetch.fetch(series, conf)
        boots, totals, accel = [], [], "?"
        for _ in range(n):
            r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.boot.matrix",
                                "--kernel", series, "-k", "default"],
                               cwd=ROOT, capture_output=True, text=True)
            vm = json.load(open(os.path.join(ROOT, "results", "runs", info["release"], "vm.json")))
            if r.returncode != 0 or vm.get("error"):
                sys.exit(f"bench/vm_boot.py: {series} failed: {vm.get('error') or r.stderr[-300:]}")
            boots.append(vm["boot_s"])
            totals.append(vm["total_s"])
            accel = vm["accelerator"]
        print(f"  {series:5s} {info['release']:24s} {accel}  boot {statistics.median(boots):5.1f} s"
              f"  boot to results {statistics.median(totals):5.1f} s")


if __name__ == "__main__":
    main()
