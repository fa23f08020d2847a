"""A kernel's configuration as its build wrote it (a tree's .config, the
/boot/config-<release> a distribution installs, /proc/config.gz), read into
{option: value} for the options that are set: `# CONFIG_X is not set` and
an absent option alike are not."""
import gzip
import os
import re

_SET = re.compile(r"(CONFIG_[A-Za-z0-9_]+)=(.*)")
_NOT_SET = re.compile(r"# (CONFIG_[A-Za-z0-9_]+) is not set")


class KconfigError(Exception):
    pass


def candidates(release):
    """Where a kernel's configuration may be, most direct first: the running
    kernel's own (CONFIG_IKCONFIG_PROC), the file a distribution installs
    beside the kernel, and the one its module build tree holds."""
    return ["/proc/config.gz", f"/boot/config-{release}", f"/lib/modules/{release}/config",
            f"/lib/modules/{release}/build/.config"]


def find(release):
    """The first configuration of `release` that exists, or None: never
    another release's."""
    for path in candidates(release):
        if path == "/proc/config.gz" and release != os.uname().release:
            continue
        if os.path.isfile(path):
            return path
    return None


def read(path):
    """{option: value} of the configuration at `path` (a file, gzip-compressed
    or not, or a kernel tree holding a .config)."""
    if os.path.isdir(path):
        path = os.path.join(path, ".config")
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise KconfigError(f"cannot read the kernel configuration {path}: "
                           f"{getattr(e, 'strerror', None) or e}")
    options, seen = {}, 0
    for line in data.decode(errors="replace").splitlines():
        line = line.strip()
        m = _SET.fullmatch(line)
        if m:
            options[m.group(1)] = m.group(2).strip('"')
            seen += 1
        elif _NOT_SET.fullmatch(line):
            seen += 1
    if not seen:
        raise KconfigError(f"{path} is not a kernel configuration (no CONFIG_ line): give a "
                           ".config, /boot/config-<release> or /proc/config.gz")
    return options


def present(options, name):
    """Built in or a module: a guest loads the suite's modules, a host's
    kernel loads them on demand."""
    return options.get(name) in ("y", "m")
