#!/usr/bin/python3
"""Records the last --lava local job of a kernel as a fixture for these
tests, without lava-run's debug lines and the kernel's boot messages:

    ./run_tests.sh --kernel 6.1 --lava local -k default
    tests/lava/record_fixture.py 6.1.0-50-amd64 default-6.1

and for arm64 (s390x alike), --arch arm64 and then
    tests/lava/record_fixture.py 6.1.0-50-arm64 default-6.1-arm64

The `noshell` fixture is a job whose kernel command line lacks
sockreuse.shell: the rootfs runs the suite by itself and LAVA never gets
its prompt (a job that fails to boot)."""
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL_LINE = re.compile(r'"lvl": "target", "msg": "\[ *\d+\.\d+\] ')


def main(release, name):
    src = os.path.join(ROOT, ".cache", "lava", "jobs", release)
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    shutil.copy(os.path.join(src, "job.yaml"), os.path.join(dest, f"{name}.job.yaml"))
    with open(os.path.join(src, "log.yaml")) as f, \
            open(os.path.join(dest, f"{name}.log.yaml"), "w") as out:
        out.writelines(l for l in f if '"lvl": "debug"' not in l and not KERNEL_LINE.search(l))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: record_fixture.py RELEASE NAME")
    main(*sys.argv[1:])
