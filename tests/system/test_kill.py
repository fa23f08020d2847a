"""A run killed with SIGKILL at any point leaves nothing behind: every case
process dies with its parent and every namespace dies with its processes."""
import os
import random
import signal
import subprocess
import time

import pytest

from tests.system.harness import ROOT, runner_cmd
from tests.system.host_state import differences, snapshot, suite_processes

# It compares the whole host before and after: alone, with no other test's
# suite processes or files about (tests/conftest.py).
pytestmark = pytest.mark.solo

KILLS = 20


def wait_for(pred, bound):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_sigkill_at_random_points_leaves_nothing(recorded_table, tmp_path):
    rng = random.Random(int(os.environ.get("SOCKREUSE_KILL_SEED", "0")) or None)
    before = snapshot()
    for i in range(KILLS):
        proc = subprocess.Popen(runner_cmd(tmp_path / str(i), "--expect", str(recorded_table)),
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Wait for cases to be running, then kill somewhere in setup, a case or teardown.
        assert wait_for(lambda: suite_processes() or proc.poll() is not None, 30)
        time.sleep(rng.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_for(lambda: not suite_processes(), 10), "suite processes outlived the runner"
    after = snapshot()
    assert differences(before, after) == []
