"""The shared libraries a set of ELF files loads, as the host's dynamic loader
resolves them (ldd): whatever the binaries link today (libnl, libstdc++,
later libbpf) comes along without a list to keep up to date."""
import os
import re
import subprocess

_LIB = re.compile(r"^\s+(?:(\S+) => )?(/\S+) \(0x[0-9a-f]+\)$")


class MissingLibrary(Exception):
    pass


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def closure(paths):
    """Every library the ELF files among `paths` load, the loader included,
    sorted. ldd already follows libraries of libraries; one call for all."""
    elves = [p for p in paths if is_elf(p)]
    if not elves:
        return []
    # With several files ldd heads each one's list with "file:" and exits 1
    # if any is static; the lists are what counts.
    r = subprocess.run(["ldd", *elves], capture_output=True, text=True)
    found, current = set(), elves[0]
    for line in r.stdout.splitlines():
        if not line.startswith(("\t", " ")):
            current = line.rstrip(":")
        elif "=> not found" in line:
            raise MissingLibrary(f"{current} needs {line.split()[0]}, which is not installed")
        elif (m := _LIB.match(line)):
            found.add(m.group(2))
    if not found and r.returncode != 0 and len(elves) == 1 and "not a dynamic" not in r.stdout + r.stderr:
        raise MissingLibrary(f"ldd {elves[0]} failed: {r.stderr.strip()[-300:]}")
    return sorted(found)


def target_path(lib):
    """Where a library goes in the image: its directory as the host resolves
    it (/lib -> /usr/lib on merged /usr), under the name the loader asks for."""
    return os.path.join(os.path.realpath(os.path.dirname(lib)), os.path.basename(lib))
