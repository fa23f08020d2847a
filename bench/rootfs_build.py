#!/usr/bin/python3
"""The sockreuse rootfs: how big, how many files, and how long a build from
scratch takes (median of N, the cache emptied before each), and how long the
check that it is current takes when nothing changed:

    /usr/bin/python3 -m bench.rootfs_build [N]"""
import gzip
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from sockreuse.kernels import rootfs


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    builds = []
    for _ in range(n):
        if os.path.exists(os.path.join(rootfs.CACHE, "key")):
            os.remove(os.path.join(rootfs.CACHE, "key"))
        rootfs._built.clear()
        t = time.perf_counter()
        path = rootfs.build(lambda msg: None)
        builds.append(time.perf_counter() - t)
    rootfs._built.clear()
    t = time.perf_counter()
    rootfs.build(lambda msg: None)
    check = time.perf_counter() - t
    with gzip.open(path) as f:
        unpacked = len(f.read())
    print(f"rootfs: {os.path.getsize(path) / 1e6:.1f} MB (gzip), {unpacked / 1e6:.1f} MB unpacked, "
          f"{len(rootfs.plan())} entries")
    print(f"build from scratch, median of {n}: {statistics.median(builds):.1f} s "
          f"(min {min(builds):.1f}, max {max(builds):.1f}); up-to-date check {check:.1f} s")


if __name__ == "__main__":
    main()
