"""A real `git bisect run ./run_tests.sh --bisect ...` over a small git
history of kernel trees (tests/vm/kernel_trees.py) whose commits switch from
Debian's 6.1 to its 6.12, on a case whose outcome changed between them
(bhash2_mapped_any_gap), with one commit whose image does not boot. Every
step boots its tree in a guest and compares with 6.1's table (--expect
6.1: good is "behaves as 6.1 did"). The first 6.12 commit must be found and
the unbootable one skipped, not blamed."""
import os
import subprocess

import pytest

from sockreuse.errors import BISECT_ABORT
from sockreuse.kernels import fetch
from tests.vm import kernel_trees

ROOT = fetch.REPO
CASE = "tcp.bind_wildcard.v6_any_only.v6_v4mapped_any.plain"
# The history, oldest first: which kernel each commit's tree builds.
HISTORY = ["6.1", "6.1", "6.1", "unbootable", "6.1", "6.12", "6.12"]
FIRST_BAD = 5


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}).stdout


@pytest.mark.heavy
def test_git_bisect_run_finds_the_first_bad_kernel_and_skips_the_unbootable(tmp_path):
    conf = fetch.load_conf()
    kernels = {s: fetch.fetch(s, conf, lambda line: None) for s in ("6.1", "6.12")}
    bad_image = kernel_trees.truncated_image(kernels["6.1"], str(tmp_path / "bzImage.cut"))
    repo = str(tmp_path / "linux")
    os.makedirs(repo)
    git(repo, "init", "-q")
    commits = []
    for i, what in enumerate(HISTORY):
        kernel = kernels["6.1" if what == "unbootable" else what]
        kernel_trees.make_tree(repo, kernel, image=bad_image if what == "unbootable" else None)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"step {i}: {what}")
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    git(repo, "bisect", "start", commits[-1], commits[0])
    env = {**os.environ, "SOCKREUSE_BOOT_TIMEOUT": "90"}
    r = subprocess.run(["git", "-C", repo, "bisect", "run", os.path.join(ROOT, "run_tests.sh"),
                        "--bisect", "--kernel", repo, "--expect", "6.1", "-k", CASE],
                       capture_output=True, text=True, env=env, timeout=1800)
    log = git(repo, "bisect", "log")
    git(repo, "bisect", "reset")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert f"{commits[FIRST_BAD]} is the first bad commit" in out, out[-3000:]
    # git's first midpoint of this linear history is the unbootable commit
    # (the middle of six candidates), so it is always visited: skipped.
    unbootable = commits[HISTORY.index("unbootable")]
    assert f"git bisect skip {unbootable}" in log, log
    assert "the kernel did not boot" in out and "bisect: skip (exit 125)" in out


def test_bad_usage_stops_a_bisection_instead_of_marking_a_commit():
    r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "--bisect", "--kernel", "6.1",
                        "--explore"], capture_output=True, text=True, timeout=120)
    assert r.returncode == BISECT_ABORT == 128, r.stderr
    assert "sockreuse: --bisect runs the selected cases in one local guest: drop --explore" in r.stderr
