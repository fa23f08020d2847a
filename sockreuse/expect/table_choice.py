"""Which expected table a kernel is compared with: base.yaml overlaid by a
delta, the exact release's, then its series' (major.minor), then the
nearest older series', loudly."""
import os
import re

from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.expect import tables
from sockreuse.paths import shown


def series(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    if not m:
        raise RunnerError(f"cannot read a kernel version from release '{release}'", EXIT_USAGE)
    return int(m.group(1)), int(m.group(2))


def version_key(release):
    """A release or series name in version order (6.12 after 6.2): its
    first four numbers."""
    return [int(x) for x in re.findall(r"\d+", release)[:4]]


def series_name(release):
    return "%d.%d" % series(release)


def own_table(release, expected_dir):
    """The delta --record writes for a kernel: its exact-release delta where one
    exists, else its series' delta (which may not exist yet)."""
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
    """Returns (delta path, warning); the path is None when no delta fits."""
    path, nearest = find(release, expected_dir, ".yaml")
    if not nearest:
        return path, None
    warning = (f"no expected table for kernel {release} (series {series_name(release)}): "
               f"comparing with the nearest older series, {shown(path)}; differences may be real "
               f"kernel changes. Record one: ./run_tests.sh --record")
    return path, warning


def base_path(expected_dir):
    return os.path.join(expected_dir, tables.BASE)


def effective(release, expected_dir, vocab=None, recording=False):
    """(table, base path, delta path, warning): the base overlaid by the
    delta select() chooses; table None when the folder has no base.yaml. A
    kernel older than every delta is compared with the base alone, loudly."""
    base_file = base_path(expected_dir)
    if not os.path.isfile(base_file):
        return None, None, None, None
    delta_path, warning = select(release, expected_dir)
    base = tables.load_base(base_file, vocab)
    delta = tables.load_delta(delta_path, base, vocab, recording) if delta_path else None
    if delta_path is None:
        warning = (f"no expected table for kernel {release} (series {series_name(release)}) "
                   f"nor any older series: comparing with {shown(base_file)} alone; "
                   "differences may be real kernel changes. Record one: ./run_tests.sh --record")
    return tables.merge(base, delta), base_file, delta_path, warning
