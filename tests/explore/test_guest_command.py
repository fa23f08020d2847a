"""--kernel/--matrix --explore: the guest's run-suite (vm/guest/run-suite, in
the rootfs) runs sockreuse/explore/driver.py, one shard per vCPU, with the runner's
arguments instead of the pytest runner."""
import os
import stat
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_SUITE = os.path.join(ROOT, "vm", "guest", "run-suite")


def words(tmp_path, runner_args):
    """The python3 command line run-suite runs, from a stand-in python3 that
    writes its arguments one a line."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "argv"
    fake = bindir / "python3"
    fake.write_text(f'#!/bin/sh\n[ "$3" = emit ] || printf "%s\\n" "$@" > {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, SOCKREUSE_ROOT=str(tmp_path), PATH=f"{bindir}:{os.environ['PATH']}")
    subprocess.run(["sh", RUN_SUITE, *runner_args], env=env, check=True, capture_output=True)
    return log.read_text().splitlines()


def test_the_guest_runs_the_explorer_with_its_arguments(tmp_path):
    w = words(tmp_path, ["--explore", "-k", "udp and connected", "--outcomes-only"])
    assert w[:4] == ["-m", "sockreuse.explore.driver", "-j", str(len(os.sched_getaffinity(0)))]
    assert w[4:6] == ["-k", "udp and connected"]
    assert "--outcomes-only" in w and "--results-dir" in w and "pytest" not in w
    assert "--explore" not in w


def test_without_explore_the_guest_runs_the_suite(tmp_path):
    w = words(tmp_path, ["-k", "default"])
    assert w[:2] == ["-m", "pytest"] and "sockreuse.explore.driver" not in w
    assert w[w.index("-k") + 1] == "default"
