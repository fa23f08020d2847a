"""Passing verdicts of the pure checks, kept in .cache/verdicts/ so that
--selftest repeats them only when something they read has changed: the
model's and the notes' checks over every explorer baseline are Python over
committed files alone (no kernel, no build), and took seven of the
self-test's minutes (docs/measurements.md "The self-tests").

A verdict is keyed by the test's id and the bytes of every file under the
folders it reads (the whole sockreuse package, the explorer's space, the
expected tables and baselines, the tests themselves), and the versions of
Python and PyYAML: any change there and the check runs again. Only passes
are kept. A check that also reads something made from other sources (the
suite binary's case catalogue, say) passes that text as `extra`, which is
part of the key too. SOCKREUSE_NO_VERDICT_CACHE=1 runs every check
regardless. A check that passed before is skipped with its fixtures, so a
check asks for its costly ones (request.getfixturevalue) after the lookup."""
import functools
import hashlib
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".cache", "verdicts")
# What a pure check may read: the package, its data, and the tests' own code.
INPUTS = ("sockreuse", "explore", os.path.join("results", "expected"),
          os.path.join("results", "explore"), "tests")


@functools.lru_cache(maxsize=None)
def inputs_digest():
    h = hashlib.sha256(f"{sys.version}|{yaml.__version__}".encode())
    for top in INPUTS:
        for folder, dirs, names in os.walk(os.path.join(ROOT, top)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, ROOT).encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _path(nodeid, extra):
    h = hashlib.sha256(f"{nodeid}|{inputs_digest()}|".encode() + extra.encode())
    return os.path.join(CACHE, h.hexdigest())


def passed_before(request, extra=""):
    """Whether this test passed with exactly these inputs (and `extra`) before."""
    if os.environ.get("SOCKREUSE_NO_VERDICT_CACHE") == "1":
        return False
    hit = os.path.exists(_path(request.node.nodeid, extra))
    if hit:
        # Counted in the summary (tests/conftest.py), also from xdist workers.
        request.node.user_properties.append(("verdict", "cached"))
    return hit


def remember_pass(request, extra=""):
    os.makedirs(CACHE, exist_ok=True)
    with open(_path(request.node.nodeid, extra), "w") as f:
        f.write(request.node.nodeid + "\n")
