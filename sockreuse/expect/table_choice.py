"""Which expected table a kernel is compared with: the exact release, then its
series (major.minor), then the nearest older series, loudly."""
import os
import re

from sockreuse.errors import EXIT_USAGE, RunnerError

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


def find(release, directory, suffix):
    """(path, nearest): the exact release's file, its series', or the nearest
    older series' (nearest True); (None, False) when none fits. Expected
    tables and explorer baselines are both chosen this way."""
    for name in (release + suffix, series_name(release) + suffix):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path, False
    pattern = re.compile(r"^(\d+)\.(\d+)" + re.escape(suffix) + "$")
    mine = series(release)
    older = []
    for name in os.listdir(directory) if os.path.isdir(directory) else []:
        m = pattern.match(name)
        if m and (int(m.group(1)), int(m.group(2))) < mine:
            older.append(((int(m.group(1)), int(m.group(2))), name))
    if not older:
        return None, False
    return os.path.join(directory, max(older)[1]), True


def select(release, expected_dir):
    """Returns (path, warning); path is None when nothing fits."""
    path, nearest = find(release, expected_dir, ".yaml")
    if not nearest:
        return path, None
    warning = (f"no expected table for kernel {release} (series {series_name(release)}): "
               f"comparing with the nearest older series, {path}; differences may be real "
               f"kernel changes. Record one: ./run_tests.sh --record")
    return path, warning
