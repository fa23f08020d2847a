"""The suite cross-built for a foreign architecture: the target's gcc against
its sysroot (sysroot.py), clang for the BPF objects in the target's byte
order. Only what a guest runs is built.

    .cache/cross/<arch>/toolchain.cmake   rewritten only when its text changes
    .cache/cross/<arch>/build/            sockreuse_suite, sockreuse_explore
    .cache/cross/<arch>/build.log         the last configure and build

    /usr/bin/python3 -m sockreuse.cross.build ARCH   builds, prints the folder
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

from sockreuse import files
from sockreuse.arches import ARCHES, ArchError, parse
from sockreuse.cross import sysroot
from sockreuse.kernels import fetch

TARGETS = ["sockreuse_suite", "sockreuse_explore"]
# ELF e_machine of each architecture's binaries: a binary of the wrong one
# would only fail in the guest, with an unhelpful "exec format error".
E_MACHINE = {"x86_64": 62, "arm64": 183, "s390x": 22}
EM_BPF = 247


class CrossError(Exception):
    pass


def folder(arch):
    return os.path.join(sysroot.root(arch), "build")


def toolchain(arch, root):
    """CMake's toolchain file: the cross compilers, libraries and headers
    from the sysroot only (never the host's), programs (clang, python) from
    the host, and the target's kernel headers for the BPF objects."""
    t = arch.triplet
    return f"""# Written by sockreuse/cross/build.py; changes here are overwritten.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR {t.split("-")[0]})
set(CMAKE_C_COMPILER {t}-gcc)
set(CMAKE_CXX_COMPILER {t}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE {t})
set(CMAKE_FIND_ROOT_PATH {root} /usr/{t})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(SOCKREUSE_BPF_SYSTEM_INCLUDE /usr/{t}/include CACHE PATH "the target's asm/ headers")
"""


def _env(arch, root):
    """pkg-config must see the sysroot's .pc files alone, and prefix their
    paths with it."""
    env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=root, PKG_CONFIG_LIBDIR=os.pathsep.join(
        [f"{root}/usr/lib/{arch.triplet}/pkgconfig", f"{root}/usr/share/pkgconfig"]))
    env.pop("PKG_CONFIG_PATH", None)
    return env


def _last_error(log):
    """The line of the log that best says what failed: the last compiler or
    CMake error, not make's `Error 1` echo of it."""
    lines = [line.strip() for line in open(log, errors="replace") if line.strip()]
    for pattern in (r"\berror:(?! ld returned)", r"CMake Error|not found", r"Error|\*\*\*"):
        hits = [line for line in lines if re.search(pattern, line)]
        if hits:
            return hits[-1]
    return lines[-1] if lines else "(empty log)"


def _run(cmd, log, env, what):
    with open(log, "a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=fetch.REPO)
    if r.returncode != 0:
        raise CrossError(f"{what} failed, see {log}: {_last_error(log)}")


def ensure(arch, progress=print):
    """The build folder of `arch` with TARGETS up to date; configured from
    scratch when the toolchain file changed (CMake keeps the compiler of its
    first configure), built incrementally otherwise."""
    compiler = f"{arch.triplet}-g++"
    if not shutil.which(compiler):
        raise CrossError(f"no {compiler}: apt-get install g++-{arch.triplet}")
    with files.FolderLock(sysroot.root(arch), f"the {arch.name} cross build", progress):
        root = sysroot.ensure(arch, progress)
        build = folder(arch)
        path = os.path.join(sysroot.root(arch), "toolchain.cmake")
        text = toolchain(arch, root)
        if not os.path.isfile(path) or open(path).read() != text:
            files.write_atomic(path, text)
        log = os.path.join(sysroot.root(arch), "build.log")
        open(log, "w").close()
        env = _env(arch, root)
        # The toolchain text a successful configure used: absent after a
        # failed one, so that the next run configures again.
        stamp = os.path.join(build, ".sockreuse-toolchain")
        if not os.path.isfile(stamp) or open(stamp).read() != text:
            progress(f"{arch.name}: configuring {build}")
            shutil.rmtree(build, ignore_errors=True)
            _run(["cmake", "-S", fetch.REPO, "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={path}"],
                 log, env, f"{arch.name}: cmake configure")
            files.write_atomic(stamp, text)
        progress(f"{arch.name}: building {', '.join(TARGETS)}")
        jobs = str(len(os.sched_getaffinity(0)))
        _run(["cmake", "--build", build, "-j", jobs, "--target", *TARGETS],
             log, env, f"{arch.name}: build")
    return build


def elf_facts(path):
    """(e_machine, big_endian) of an ELF file, from its header: readelf and
    `file` word it differently by version, and the host cannot run it."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] not in (1, 2):
        raise CrossError(f"{path} is not an ELF file")
    big = head[5] == 2
    return int.from_bytes(head[18:20], "big" if big else "little"), big


def main(argv=None):
    p = argparse.ArgumentParser(prog="sockreuse.cross.build", description=__doc__.split("\n\n")[0])
    p.add_argument("arch", help=f"{', '.join(ARCHES)} or all")
    args = p.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        for arch in parse(args.arch):
            print(ensure(arch, say), flush=True)
    except (CrossError, ArchError, fetch.FetchError) as e:
        say(f"sockreuse: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
