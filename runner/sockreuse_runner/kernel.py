"""Which expected table a kernel is compared with: the exact release, then its
series (major.minor), then the nearest older series, loudly."""
import os
import re

from .errors import EXIT_USAGE, RunnerError

SERIES_FILE = re.compile(r"^(\d+)\.(\d+)\.yaml$")


def series(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    if not m:
        raise RunnerError(f"cannot read a kernel version from release '{release}'", EXIT_USAGE)
    return int(m.group(1)), int(m.group(2))


def series_name(release):
    return "%d.%d" % series(release)


def own_table(release, expected_dir):
    """The table --record writes for a kernel: its exact-release table where one
    exists, else its series' table (which may not exist yet)."""
    exact = os.path.join(expected_dir, release + ".yaml")
    if os.path.isfile(exact):
        return exact
    return os.path.join(expected_dir, series_name(release) + ".yaml")


def select(release, expected_dir):
    """Returns (path, warning); path is None when nothing fits."""
    exact = os.path.join(expected_dir, release + ".yaml")
    if os.path.isfile(exact):
        return exact, None
    own = os.path.join(expected_dir, series_name(release) + ".yaml")
    if os.path.isfile(own):
        return own, None
    mine = series(release)
    older = []
    for name in os.listdir(expected_dir) if os.path.isdir(expected_dir) else []:
        m = SERIES_FILE.match(name)
        if m and (int(m.group(1)), int(m.group(2))) < mine:
            older.append(((int(m.group(1)), int(m.group(2))), name))
    if not older:
        return None, None
    _, name = max(older)
    path = os.path.join(expected_dir, name)
    warning = (f"no expected table for kernel {release} (series {series_name(release)}): "
               f"comparing with the nearest older series, {path}; differences may be real "
               f"kernel changes. Record one: ./run_tests.sh --record")
    return path, warning
