"""Numbers the suite's C++ holds that a reproducer must use too, read from
where they are written: the case's port (fixtures/address.h, kPort) and
the harness's wait bound (netns/wait.h, kBaseWaitBound)."""
import functools
import os
import re

from sockreuse.errors import EXIT_CANNOT_RUN, RunnerError
from sockreuse.paths import REPO

PORT_HEADER = os.path.join(REPO, "fixtures", "address.h")
WAIT_HEADER = os.path.join(REPO, "netns", "wait.h")


def _constant(path, pattern):
    try:
        with open(path, encoding="utf-8") as f:
            m = re.search(pattern, f.read())
    except OSError as e:
        raise RunnerError(f"cannot read {os.path.relpath(path, REPO)}: {e}", EXIT_CANNOT_RUN)
    if not m:
        raise RunnerError(f"{os.path.relpath(path, REPO)} no longer defines what "
                          f"sockreuse/repro/suite_facts.py reads ({pattern})", EXIT_CANNOT_RUN)
    return int(m.group(1))


@functools.lru_cache(maxsize=None)
def port():
    """Every case's own port (the suite's kPort)."""
    return _constant(PORT_HEADER, r"constexpr uint16_t kPort = (\d+);")


@functools.lru_cache(maxsize=None)
def wait_ms():
    """The bound of every wait, in milliseconds (unscaled)."""
    return _constant(WAIT_HEADER, r"kBaseWaitBound\{(\d+)\}")
