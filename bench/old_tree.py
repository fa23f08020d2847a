"""An older commit built beside this checkout, for the benches that compare
old and new side by side: a temporary git worktree with its own build of the
suite, and this checkout's downloaded kernels hard-linked in (guests need
them; nothing there is written in place)."""
import contextlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_CACHES = ("kernels", "apt")


def build(tree, script, target="sockreuse_suite"):
    for cmd in (["cmake", "-S", tree, "-B", os.path.join(tree, "build")],
                ["cmake", "--build", os.path.join(tree, "build"), "-j",
                 str(len(os.sched_getaffinity(0))), *(["--target", target] if target else [])]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench/{script}: {' '.join(cmd)} failed:\n{r.stdout[-1500:]}"
                     f"{r.stderr[-1500:]}")


@contextlib.contextmanager
def old_tree(ref, script, target="sockreuse_suite", caches=False):
    """Yields (the worktree of `ref`, a scratch folder); both go at the end.
    caches: hard-link this checkout's kernel and apt caches into it."""
    with tempfile.TemporaryDirectory(prefix="sockreuse-bench-") as tmp:
        old = os.path.join(tmp, "old")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", old, ref],
                       check=True)
        try:
            if caches:
                os.makedirs(os.path.join(old, ".cache"), exist_ok=True)
                for name in SHARED_CACHES:
                    src = os.path.join(ROOT, ".cache", name)
                    if os.path.isdir(src):
                        subprocess.run(["cp", "-al", src, os.path.join(old, ".cache", name)],
                                       check=True)
            build(old, script, target)
            yield old, tmp
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", old])
