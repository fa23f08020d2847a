"""System tests: the real suite binary on the running kernel, driven through
the real runner CLI. They need root and a build (./run_tests.sh --selftest
provides both)."""
import os

import pytest

from tests.system.harness import SUITE, run_runner


@pytest.fixture(scope="session", autouse=True)
def needs_root_and_build():
    if os.geteuid() != 0:
        pytest.exit("system tests need root: run ./run_tests.sh --selftest as root", returncode=2)
    if not os.access(SUITE, os.X_OK):
        pytest.exit(f"no suite binary at {SUITE}: run ./run_tests.sh --selftest", returncode=2)


@pytest.fixture(scope="session")
def recorded_table(tmp_path_factory):
    """A table recorded from a real run on this kernel, so the tests below do
    not depend on which kernel the machine runs."""
    base = tmp_path_factory.mktemp("recorded")
    table = base / "table.yaml"
    r = run_runner(base / "run", "--record", "--expect", str(table))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert table.exists()
    return table


@pytest.fixture(scope="session")
def clean_run(recorded_table, tmp_path_factory):
    """(the runner's completed process, its results folder) of one run
    against the recorded table. The tests that only read such a run share it
    (each used to make its own: three whole-suite runs alike); they are one
    xdist group (harness.CLEAN_RUN), so that one worker makes it."""
    out = tmp_path_factory.mktemp("clean")
    return run_runner(out, "--expect", str(recorded_table)), out

