"""A foreign architecture's part of the rootfs: what sockreuse/kernels/rootfs.py
takes from this host for its own architecture (the suite's binaries, Python
with pytest and PyYAML, busybox, kmod and the libraries they load), taken
from the cross build and the target's sysroot instead. The repository's
text files, the modules and the compiled Python (bytecode is the same on
every architecture) come as they do for the host.

The host cannot run a foreign binary: libraries are found by their NEEDED
entries (readelf) in the sysroot, and busybox's applet list is the host's
busybox's, the same Debian version."""
import os
import re
import subprocess

from sockreuse.cross import build
from sockreuse.cross import sysroot
from sockreuse.kernels import fetch

LIB_DIRS = ("lib/{t}", "usr/lib/{t}")


class UserlandError(Exception):
    pass


def binaries(arch, progress):
    """{repository path: built file} of the suite's binaries for `arch`."""
    try:
        out = build.ensure(arch, progress)
    except (build.CrossError, fetch.FetchError) as e:
        raise UserlandError(str(e))
    return {f"build/{name}": os.path.join(out, name)
            for name in ("sockreuse_suite", "sockreuse_explore")}


def python_entries(arch, py, wanted):
    """{image path: ("file"|"link", value)} of the interpreter and the Python
    packages unpacked in the sysroot that `wanted` (rootfs.python_wanted,
    the host's choice) takes."""
    root = sysroot.sysroot(arch)
    entries = {}
    for top in ("usr/bin", "usr/lib"):
        for dirpath, dirnames, names in os.walk(os.path.join(root, top)):
            for name in names + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if not wanted(rel) or "__pycache__" in rel:
                    continue
                entries[rel] = ("link", os.readlink(path)) if os.path.islink(path) else (
                    "file", path)
    if f"usr/bin/python{py}" not in entries:
        raise UserlandError(f"no python{py} in {root}: remove {sysroot.root(arch)} and run again")
    return entries


def tool(arch, name):
    """A busybox or kmod binary of the sysroot (both live in /bin there)."""
    path = os.path.join(sysroot.sysroot(arch), "bin", name)
    if not os.path.isfile(path):
        raise UserlandError(f"no {name} in {sysroot.sysroot(arch)}: remove "
                            f"{sysroot.root(arch)} and run again")
    return path


def needed(path):
    """The NEEDED entries and the interpreter of an ELF file, read with
    readelf (the host's ldd cannot run a foreign binary)."""
    r = subprocess.run(["readelf", "-d", "-l", "-W", path], capture_output=True, text=True)
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)
    interp = re.search(r"Requesting program interpreter: ([^\]]+)\]", r.stdout)
    return libs, interp.group(1) if interp else None


def _find(arch, soname):
    root = sysroot.sysroot(arch)
    for d in LIB_DIRS:
        path = os.path.join(root, d.format(t=arch.triplet), soname)
        if os.path.exists(path):
            return os.path.realpath(path)
    raise UserlandError(f"{soname} is not in the {arch.name} sysroot {root}: add its package "
                        "to sockreuse/cross/sysroot.py")


def libraries(arch, elves):
    """{image path: file} of every library `elves` load, followed through
    libraries of libraries, and the dynamic loader at its path."""
    entries, todo, seen = {}, list(elves), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        needed_libs, interp = needed(path)
        for soname in needed_libs:
            lib = _find(arch, soname)
            entries[f"usr/lib/{arch.triplet}/{soname}"] = lib
            todo.append(lib)
        if interp:
            if interp != arch.interpreter:
                raise UserlandError(f"{path} asks for the loader {interp}, not {arch.name}'s "
                                    f"{arch.interpreter}: is it built for {arch.name}?")
            loader = _find(arch, os.path.basename(interp))
            entries["usr/lib/" + os.path.basename(interp)] = loader
            todo.append(loader)
    return entries


def check_binary(path, arch):
    """A binary of another architecture in a guest fails late and obscurely
    (exec format error); refuse it while building."""
    machine, big = build.elf_facts(path)
    if machine != build.E_MACHINE[arch.name] or big != arch.big_endian:
        raise UserlandError(f"{path} is not an {arch.name} binary: remove "
                            f"{os.path.dirname(path)} and run again")
