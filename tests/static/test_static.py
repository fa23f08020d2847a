"""The C++ code is formatted by the committed .clang-format, has no
clang-tidy findings under the committed .clang-tidy, and the suite and the
netns/ unit tests run clean under AddressSanitizer + UBSan (CMake option
SOCKREUSE_SANITIZE)."""
import glob
import json
import os
import subprocess

import pytest

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


def test_clang_tidy_has_no_findings(tidy_build):
    if run(["which", "clang-tidy"]).returncode != 0:
        pytest.skip("clang-tidy is not installed: apt-get install clang-tidy")
    procs = []
    # Two at a time: the machine has two cores.
    for i in range(0, len(SOURCES), (len(SOURCES) + 1) // 2):
        procs.append(subprocess.Popen(
            ["clang-tidy", "-p", str(tidy_build), "--quiet", *SOURCES[i:i + (len(SOURCES) + 1) // 2]],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
    findings = []
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        findings += [l for l in out.splitlines() if ": warning:" in l or ": error:" in l]
    assert findings == []


def test_sanitizer_build_runs_clean(tmp_path):
    build = tmp_path / "asan"
    r = run(["cmake", "-S", ROOT, "-B", str(build), "-DSOCKREUSE_SANITIZE=ON",
             "-DCMAKE_BUILD_TYPE=Debug"])
    assert r.returncode == 0, r.stderr
    r = run(["cmake", "--build", str(build), "-j", str(os.cpu_count() or 2),
             "--target", "sockreuse_suite", "netns_tests"])
    assert r.returncode == 0, r.stdout[-3000:]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    suite = run([str(build / "sockreuse_suite"), "--gtest_brief=1"], env=env)
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-3000:]
    assert "runtime error" not in suite.stderr and "AddressSanitizer" not in suite.stderr
    results = [json.loads(l.split(" ", 1)[1]) for l in suite.stdout.splitlines()
               if l.startswith("SOCKREUSE-RESULT ")]
    assert len(results) >= 120 and all(r["status"] in ("ok", "skip") for r in results)
    unit = run([str(build / "netns_tests")], env=env)
    assert unit.returncode == 0, unit.stdout[-3000:] + unit.stderr[-3000:]
