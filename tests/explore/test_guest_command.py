"""--kernel/--matrix --explore: the guest runs explore/run.py (one shard per
vCPU) with the runner's arguments, instead of the pytest runner."""
import os
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "vm"))

import initramfs  # noqa: E402


def words(runner_args):
    inner = shlex.split(shlex.split(initramfs.suite_command("/repo", "/res", runner_args))[0])
    return inner[inner.index("exec") + 1:]


def test_the_guest_runs_the_explorer_with_its_arguments():
    w = words(["--explore", "-k", "udp and connected", "--outcomes-only"])
    assert w[w.index("/usr/bin/python3"):][:4] == ["/usr/bin/python3", "explore/run.py", "-j", "1"]
    assert w[-4:-2] == ["-k", "udp and connected"] or "udp and connected" in w
    assert "--outcomes-only" in w and "--results-dir" in w and "pytest" not in w


def test_without_explore_the_guest_runs_the_suite():
    w = words(["-k", "default"])
    assert "pytest" in w and "explore/run.py" not in w
