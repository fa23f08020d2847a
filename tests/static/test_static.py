"""The C++ code is formatted by the committed .clang-format, has no
clang-tidy findings under the committed .clang-tidy, and the suite and the
netns/ unit tests run clean under AddressSanitizer + UBSan (CMake option
SOCKREUSE_SANITIZE)."""
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess

import pytest

from tests.static import tidy_cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "netns", "*.cc")) +
                 glob.glob(os.path.join(ROOT, "fixtures", "*.cc")) +
                 glob.glob(os.path.join(ROOT, "suites", "*.cc")) +
                 glob.glob(os.path.join(ROOT, "bench", "*.cc")) +
                 glob.glob(os.path.join(ROOT, "explore", "*.cc")) +
                 glob.glob(os.path.join(ROOT, "tests", "*", "*.cc")))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800, **kw)


HEADERS = sorted(glob.glob(os.path.join(ROOT, "*", "*.h")) +
                 glob.glob(os.path.join(ROOT, "tests", "*", "*.h")))


def test_cpp_is_clang_formatted():
    if run(["which", "clang-format"]).returncode != 0:
        pytest.skip("clang-format is not installed: apt-get install clang-format")
    r = run(["clang-format", "--dry-run", "--Werror", *SOURCES, *HEADERS])
    assert r.returncode == 0, "run clang-format -i on:\n" + r.stderr[-3000:]


@pytest.fixture(scope="module")
def tidy_build(tmp_path_factory):
    build = tmp_path_factory.mktemp("tidy-build")
    r = run(["cmake", "-S", ROOT, "-B", str(build), "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"])
    assert r.returncode == 0, r.stderr
    return build


@pytest.mark.heavy
def test_clang_tidy_has_no_findings(tidy_build):
    if run(["which", "clang-tidy"]).returncode != 0:
        pytest.skip("clang-tidy is not installed: apt-get install clang-tidy")
    jobs = len(os.sched_getaffinity(0))
    # Only the files whose expansion changed since clang-tidy last found them clean.
    todo, keys = tidy_cache.split(SOURCES, tidy_build, jobs)

    def check(source):
        r = run(["clang-tidy", "-p", str(tidy_build), "--quiet", source])
        return source, [l for l in r.stdout.splitlines() if ": warning:" in l or ": error:" in l]

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        verdicts = list(pool.map(check, todo))
    tidy_cache.remember_clean([s for s, found in verdicts if not found], keys)
    assert [l for _, found in verdicts for l in found] == []


# The sanitizer build lives beside the kernels' cache and is rebuilt
# incrementally: from scratch it cost two minutes of every self-test.
ASAN_BUILD = os.path.join(ROOT, ".cache", "asan-build")


def stale_build(build):
    """Whether `build` was configured for another checkout (a copied
    .cache/): CMake refuses to reuse it, so it is made afresh."""
    cache = os.path.join(build, "CMakeCache.txt")
    if not os.path.exists(cache):
        return False
    with open(cache) as f:
        return f"CMAKE_HOME_DIRECTORY:INTERNAL={ROOT}\n" not in f.read()


@pytest.mark.heavy
def test_sanitizer_build_runs_clean():
    build = ASAN_BUILD
    if stale_build(build):
        shutil.rmtree(build)
    r = run(["cmake", "-S", ROOT, "-B", build, "-DSOCKREUSE_SANITIZE=ON",
             "-DCMAKE_BUILD_TYPE=Debug"])
    assert r.returncode == 0, r.stderr
    r = run(["cmake", "--build", build, "-j", str(os.cpu_count() or 2),
             "--target", "sockreuse_suite", "netns_tests"])
    assert r.returncode == 0, r.stdout[-3000:]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    # Every case, in one suite process per core (GoogleTest's shards).
    shards = max(1, len(os.sched_getaffinity(0)))
    procs = [subprocess.Popen([os.path.join(build, "sockreuse_suite"), "--gtest_brief=1"],
                              env=dict(env, GTEST_TOTAL_SHARDS=str(shards), GTEST_SHARD_INDEX=str(i)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(shards)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=1800)
        assert p.returncode == 0, out[-3000:] + err[-3000:]
        assert "runtime error" not in err and "AddressSanitizer" not in err
        results += [json.loads(l.split(" ", 1)[1]) for l in out.splitlines()
                    if l.startswith("SOCKREUSE-RESULT ")]
    listed = run([os.path.join(build, "sockreuse_suite"), "--list-cases"]).stdout.splitlines()
    assert len(results) == len(listed) and all(r["status"] in ("ok", "skip") for r in results)
    unit = run([os.path.join(build, "netns_tests")], env=env)
    assert unit.returncode == 0, unit.stdout[-3000:] + unit.stderr[-3000:]
