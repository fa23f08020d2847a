"""The Python the rootfs carries, by Debian package: the interpreter, its
standard library, pytest and PyYAML, and the python3* packages they depend
on, as installed on this host. A foreign architecture's rootfs takes the
same packages from its sysroot (sockreuse/cross/sysroot.py)."""
import re
import subprocess
import sys

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
# Packages whose Python files go in, with what they depend on among python3*.
PY_ROOTS = [f"python{PY}-minimal", f"libpython{PY}-stdlib", "python3-pytest", "python3-yaml"]


class MissingPackage(Exception):
    pass


def installed():
    """{package: its Depends and Pre-Depends} of every installed package."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Depends},${Pre-Depends}\n"],
                       capture_output=True, text=True)
    return {name: deps for name, status, deps in (line.split("\t") for line in r.stdout.splitlines())
            if status.endswith(" installed")}


def python_packages():
    """PY_ROOTS and, recursively, the installed python3* packages they depend
    on (the first installed one of each set of alternatives)."""
    have = installed()
    for root in PY_ROOTS:
        if root not in have:
            raise MissingPackage(f"{root} is not installed: apt-get install {root}")
    seen, todo = set(), list(PY_ROOTS)
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        for group in have[package].split(","):
            for alt in group.split("|"):
                name = alt.strip().split(" ")[0].split(":")[0]
                if re.match(r"^(lib)?python3", name) and name in have:
                    todo.append(name)
                    break
    return sorted(seen)
