"""Debian packages a mode needs beyond what run_tests.sh installs for every
run: the guests' emulators, a foreign architecture's cross compiler. Installed
with the host's apt when missing (the host's sources, nothing added)."""
import os
import subprocess

from sockreuse import arches
from sockreuse.errors import EXIT_CANNOT_RUN
from sockreuse.progress import fail, say

GUEST = ["busybox-static", "kmod"]


def for_arches(wanted, qemu=True):
    """What guests of `wanted` need here: each one's QEMU (with `qemu`), and
    for a foreign one its cross compiler (with its binutils) and cpio."""
    out = []
    for arch in wanted:
        if qemu:
            out.append(arch.qemu_package)
        if not arches.is_host(arch):
            out += [f"g++-{arch.triplet}", "cpio"]
    return sorted(set(out))


def ensure(packages):
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
    ).stdout.find("install ok installed") < 0]
    if not missing:
        return
    say(f"installing {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                       capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        fail(f"could not install {' '.join(missing)}; run: apt-get install {' '.join(missing)}",
             EXIT_CANNOT_RUN)
