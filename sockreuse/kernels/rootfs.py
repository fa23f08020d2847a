"""The sockreuse rootfs: one self-contained ramdisk (a gzipped newc cpio)
that boots on any kernel of its architecture with a serial console, runs the suite and
prints its KTAP and report files on the console (vm/guest/init). Local
guests boot it, LAVA jobs boot it; the device needs no compiler, no network
and nothing of the host.

It holds, all taken from this Debian host: the suite and explorer binaries,
the runner with the model of the rules, the expected tables, the outcome
vocabulary, the explorer with its space, and the device scripts, at
/opt/sockreuse in the repository's own layout; the Python interpreter with its standard library
(less what a test run cannot use) and the Debian packages pytest and PyYAML
need; kmod, to load modules from /lib/modules/<release> however they are
compressed; busybox for everything else; and every shared library those
load, found by ldd. Kernel modules are not in it: they come as a second
archive for the booted kernel (sockreuse/kernels/modules.py) or from LAVA.
For another architecture the binaries and everything that runs come from
its cross build and sysroot instead (sockreuse/cross/userland.py); the
rest is the same.

    python3 -m sockreuse.kernels.rootfs OUT      the rootfs (./run_tests.sh --rootfs OUT)
    python3 -m sockreuse.kernels.rootfs OUT --kernel S | PATH --modules DIR
                                                the rootfs with that kernel's
                                                modules appended: the ramdisk
                                                of a LAVA QEMU job
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time


from sockreuse import arches
from sockreuse.kernels import choose, cpio
from sockreuse.kernels import fetch
from sockreuse.kernels import libs
from sockreuse.kernels import modules
from sockreuse.kernels import python_set
from sockreuse import files

REPO = fetch.REPO
CACHE = os.path.join(fetch.CACHE, "rootfs")
ARTEFACT = os.path.join(CACHE, "sockreuse-rootfs.cpio.gz")
PREFIX = "opt/sockreuse"
PY = python_set.PY
# Parts of the standard library a test run has no use for: its own tests,
# documentation and tooling, and the databases, terminal and NIS extensions
# (with their libraries, 6 MB a run never loads).
STDLIB_SKIP = {"test", "pydoc_data", "ensurepip", "idlelib", "tkinter", "lib2to3", "turtledemo",
               "venv", "sqlite3", "dbm", "curses"}
EXT_SKIP = {"_sqlite3", "_dbm", "_gdbm", "_curses", "_curses_panel", "readline", "nis", "_crypt",
            "ossaudiodev", "_ctypes_test", "_testbuffer", "_testcapi", "_testclinic",
            "_testimportmultiple", "_testinternalcapi", "_testmultiphase", "_xxsubinterpreters",
            "_xxtestfuzz", "xxlimited", "xxlimited_35"}
# The repository's files on the device, in its own layout: the runner finds
# the binary, tables and claims where it does on the host.
# The explorer runs on the device with --outcomes-only (sockreuse/boot/guest.py): it
# needs its space (with the topology file whose addresses it names), executor
# and vocabulary, not the baselines, which the host compares with. The runner
# checks a kernel that shows its configuration against suites/config.
REPO_PARTS = ["build/sockreuse_suite", "runner", "sockreuse", "results/expected",
              "results/seed_claims.yaml", "results/vocabulary.yaml", "build/sockreuse_explore",
              "explore/space.yaml", "explore/triples-kept.txt.xz", "fixtures/topology.yaml",
              "vm/guest", "lava", "suites/config"]
KMOD_TOOLS = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo", "depmod"]
# The image is merged-/usr whatever the host is: these point into /usr.
TOP_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}

ETC = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
    # The shell LAVA drives: a prompt its jobs wait for, and a mount that
    # finds LAVA's overlay disk by UUID (a function: busybox's shell runs its
    # own applets before anything on PATH).
    "etc/profile": "export PATH=/usr/sbin:/usr/bin HOME=/root\n"
                   "export PS1='sockreuse:\\w# '\n"
                   f"mount() {{ /{PREFIX}/vm/guest/mount \"$@\"; }}\n"
                   "cd /\n",
    "etc/sockreuse/modules": "\n".join(modules.SUITE) + "\n",
}
DIRS = ["proc", "sys", "dev", "tmp", "run", "root", "mnt"]


class RootfsError(Exception):
    pass


def cache_dir(arch=None):
    """The host's architecture keeps .cache/rootfs/; another has a folder in it."""
    arch = arch or arches.host()
    return CACHE if arches.is_host(arch) else os.path.join(CACHE, arch.name)


def artefact(arch=None):
    return os.path.join(cache_dir(arch), "sockreuse-rootfs.cpio.gz")


def merged(path):
    """A host path as it lies in the merged-/usr image, without the leading /."""
    rel = path.lstrip("/")
    top, _, rest = rel.partition("/")
    return f"{TOP_LINKS[top]}/{rest}" if top in TOP_LINKS and rest else rel


def python_wanted(arch):
    """Whether a path of the Python packages (without its leading /) goes in
    `arch`'s image: the interpreter and the python3 trees, less STDLIB_SKIP
    (with that architecture's config-<version>-<triplet>) and EXT_SKIP."""
    keep = re.compile(r"^usr/(bin/python3|lib/python3)")
    dirs = sorted(STDLIB_SKIP | {f"config-{PY}-{arch.triplet}"})
    skip = re.compile(rf"^usr/lib/python{re.escape(PY)}/(({'|'.join(map(re.escape, dirs))})(/|$)|"
                      rf"lib-dynload/({'|'.join(map(re.escape, sorted(EXT_SKIP)))})\.)")
    return lambda rel: bool(keep.match(rel)) and not skip.match(rel)


def python_files():
    """Host paths of the interpreter and the Python files of python_packages()."""
    wanted = python_wanted(arches.host())
    out = set()
    listing = subprocess.run(["dpkg-query", "-L", *python_set.python_packages()], capture_output=True,
                             text=True).stdout
    for path in listing.splitlines():
        if wanted(path.lstrip("/")) and (
                os.path.isfile(path) or os.path.islink(path)):
            out.add(path)
    return sorted(out)


def host_tools():
    found = {}
    for tool, package in (("kmod", "kmod"), ("busybox", "busybox-static")):
        found[tool] = shutil.which(tool, path="/usr/bin:/bin")
        if not found[tool]:
            raise RootfsError(f"{tool} is not installed: apt-get install {package}")
    return found


def plan(arch=None, progress=print):
    """{path in the image: ("file", host path) | ("link", target) | ("text", content)}
    for `arch` (default: the host's)."""
    arch = arch or arches.host()
    from sockreuse.cross import userland
    try:
        return _plan(arch, not arches.is_host(arch), progress)
    except (userland.UserlandError, python_set.MissingPackage) as e:
        raise RootfsError(str(e))


def _plan(arch, foreign, progress):
    from sockreuse.cross import userland
    built = userland.binaries(arch, progress) if foreign else {}
    entries = {}
    for part in REPO_PARTS:
        src = built.get(part) or os.path.join(REPO, part)
        if not os.path.exists(src):
            raise RootfsError(f"{src} is missing: run ./run_tests.sh once to build it")
        if part in built:
            userland.check_binary(src, arch)
            entries[f"{PREFIX}/{part}"] = ("file", src)
            continue
        paths = [src] if os.path.isfile(src) else [
            os.path.join(root, name) for root, dirs, names in os.walk(src)
            for name in names if "__pycache__" not in root and not name.endswith(".pyc")]
        for path in paths:
            entries[f"{PREFIX}/{os.path.relpath(path, REPO)}"] = ("file", path)
    entries["init"] = ("file", os.path.join(REPO, "vm", "guest", "init"))
    found = host_tools()
    if foreign:
        entries.update(userland.python_entries(arch, PY, python_wanted(arch)))
        for tool in found:
            entries[f"usr/bin/{tool}"] = ("file", userland.tool(arch, tool))
    else:
        for path in python_files():
            if os.path.islink(path):
                entries[merged(path)] = ("link", os.readlink(path))
            else:
                entries[merged(path)] = ("file", path)
        for tool in found:
            entries[f"usr/bin/{tool}"] = ("file", os.path.realpath(found[tool]))
    for tool in KMOD_TOOLS:
        entries[f"usr/sbin/{tool}"] = ("link", "../bin/kmod")
    elves = [src for kind, src in entries.values() if kind == "file" and libs.is_elf(src)]
    try:
        closure = (userland.libraries(arch, elves).items() if foreign else
                   ((merged(libs.target_path(lib)), lib) for lib in libs.closure(elves)))
        for target, lib in closure:
            entries[target] = ("file", lib)
    except libs.MissingLibrary as e:
        raise RootfsError(str(e))
    # The host's busybox lists the applets: the same Debian version as a
    # foreign one, which cannot run here.
    applets = subprocess.run([found["busybox"], "--list"], capture_output=True, text=True).stdout.split()
    taken = {os.path.basename(p) for p in entries if p.startswith(("usr/bin/", "usr/sbin/"))}
    for applet in applets:
        if applet not in taken:
            entries[f"usr/bin/{applet}"] = ("link", "busybox")
    for top, target in TOP_LINKS.items():
        entries[top] = ("link", target)
    for path, text in ETC.items():
        entries[path] = ("text", text)
    entries["etc/sockreuse/lava-overlay-modules"] = (
        "text", "\n".join(modules.LAVA_OVERLAY_DISK[arch.name]) + "\n")
    return entries


def key(entries, arch=None):
    """Changes whenever anything that goes into the image does: the source
    files (size and modification time), the builder's own code, the host's
    Python version, the architecture."""
    arch = arch or arches.host()
    h = hashlib.sha256(f"{sys.version}\0{arch.name}".encode())
    here = os.path.dirname(os.path.abspath(__file__))
    own = [os.path.join(here, n) for n in ("rootfs.py", "cpio.py", "libs.py", "modules.py")]
    own.append(os.path.join(os.path.dirname(here), "cross", "userland.py"))
    for path in own:
        h.update(open(path, "rb").read())
    for target in sorted(entries):
        kind, value = entries[target]
        h.update(f"{target}\0{kind}\0{value}\0".encode())
        if kind == "file":
            st = os.stat(value)
            h.update(f"{st.st_size} {st.st_mtime_ns} {st.st_mode}\0".encode())
    return h.hexdigest()


def stage(entries, root, arch=None):
    arch = arch or arches.host()
    strip = "strip" if arches.is_host(arch) else f"{arch.triplet}-strip"
    for d in DIRS:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for target in sorted(entries):
        kind, value = entries[target]
        dest = os.path.join(root, target)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if kind == "link":
            os.symlink(value, dest)
        elif kind == "file":
            shutil.copy(value, dest)  # follows links: a library under the name the loader asks for
        else:
            with open(dest, "w") as f:
                f.write(value)
        # The suite is built with debug information (7 of its 8 MB), which a
        # device has no use for; the Debian binaries come stripped.
        if kind == "file" and target.startswith(PREFIX) and libs.is_elf(dest) and shutil.which(strip):
            subprocess.run([strip, "--strip-debug", dest], check=True)
    # Compiled once here, so the device neither compiles nor writes a .pyc
    # under emulation; unchecked-hash: valid whatever the files' dates.
    dirs = [os.path.join(root, d) for d in (f"usr/lib/python{PY}", "usr/lib/python3/dist-packages",
                                              PREFIX)]
    r = subprocess.run(["/usr/bin/python3", "-m", "compileall", "-q", "-j", "0",
                        "--invalidation-mode", "unchecked-hash", "-s", root, "-p", "/", *dirs],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RootfsError(f"compiling the Python files failed: {(r.stdout + r.stderr)[-400:]}")


_built = {}
_lock = threading.Lock()


def build(progress=print, arch=None):
    """The path of `arch`'s rootfs artefact in .cache/rootfs/, built only
    when something that goes into it changed (checked once per process)."""
    arch = arch or arches.host()
    with _lock:
        if arch.name not in _built:
            _built[arch.name] = _build(progress, arch)
        return _built[arch.name]


def _build(progress, arch):
    entries = plan(arch, progress)
    digest = key(entries, arch)
    where, out = cache_dir(arch), artefact(arch)
    stamp = os.path.join(where, "key")
    if os.path.isfile(out) and os.path.isfile(stamp) and open(stamp).read() == digest:
        return out
    t0 = time.monotonic()
    progress(f"rootfs: building the sockreuse rootfs for {arch.name}")
    os.makedirs(where, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sockreuse-rootfs-") as root:
        stage(entries, root, arch)
        files.write_atomic(out, cpio.gz(cpio.archive(root)))
    with open(stamp, "w") as f:
        f.write(digest)
    with open(os.path.join(where, "build.json"), "w") as f:
        json.dump({"seconds": round(time.monotonic() - t0, 1), "bytes": os.path.getsize(out),
                   "files": len(entries)}, f)
    progress(f"rootfs: {arch.name}, {os.path.getsize(out) / 1e6:.1f} MB, {len(entries)} "
             f"entries, built in {time.monotonic() - t0:.1f} s")
    return out


def with_modules(kernel, out, extra=b""):
    """The rootfs with `kernel`'s modules (and `extra`, a cpio of boot-time
    files) appended: the kernel unpacks one archive after the other."""
    with open(build(arch=arches.of_kernel(kernel)), "rb") as f:
        parts = [f.read()]
    parts += [cpio.gz(blob) for blob in (modules.archive(kernel), extra) if blob]
    files.write_atomic(out, b"".join(parts))
    return out


def main():
    from sockreuse import cli
    from sockreuse.errors import RunnerError
    from sockreuse.progress import fail
    p = cli.OneLineParser(prog="run_tests.sh --rootfs", description=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--kernel")
    p.add_argument("--modules")
    p.add_argument("--arch")
    a = p.parse_args()
    try:
        out = cli.output_file("--rootfs", a.out)
        arch = cli.architectures(a.arch)[0] if a.arch else arches.host()
    except RunnerError as e:
        fail(str(e), e.code)
    from sockreuse import packages
    packages.ensure(packages.for_arches([arch], qemu=False))
    try:
        if a.kernel:
            kernel = choose.kernel_from_args(a.kernel, a.modules, arch=arch)
            with_modules(kernel, out)
            what = f"{arch.name} rootfs with the modules of {kernel['release']}"
        else:
            shutil.copy(build(arch=arch), out)
            what = f"{arch.name} rootfs"
    except (RootfsError, modules.ModuleError, fetch.FetchError) as e:
        fail(str(e))
    print(f"sockreuse: wrote {a.out} ({what}, {os.path.getsize(out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
