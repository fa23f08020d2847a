"""The suite binary's two interfaces: --list-cases (one JSON object per line)
and a GoogleTest run that prints `SOCKREUSE-RESULT {json}` per case."""
import json
import os
import subprocess

from .errors import EXIT_NO_SUITE, RunnerError

PREFIX = "SOCKREUSE-RESULT "
CASE_TIMEOUT_S = 120


def list_cases(binary):
    if not os.access(binary, os.X_OK):
        raise RunnerError(f"no suite binary at {binary}: build it with ./run_tests.sh "
                          "(or pass --suite-bin)", EXIT_NO_SUITE)
    r = subprocess.run([binary, "--list-cases"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RunnerError(f"{binary} --list-cases failed (exit {r.returncode}): "
                          f"{r.stderr.strip()[-300:]}", EXIT_NO_SUITE)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def run_case(binary, gtest_name, repeat=1):
    """Runs one case `repeat` times; returns the list of result dicts. A run
    that printed no result (the binary crashed) becomes a status-error result."""
    cmd = [binary, f"--gtest_filter={gtest_name}", "--gtest_brief=1"]
    if repeat > 1:
        cmd.append(f"--gtest_repeat={repeat}")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT_S * repeat)
    except subprocess.TimeoutExpired:
        return [{"status": "error", "observed": "", "duration_ms": 0,
                 "detail": f"suite binary did not finish within {CASE_TIMEOUT_S * repeat} s"}]
    results = [json.loads(line[len(PREFIX):]) for line in r.stdout.splitlines()
               if line.startswith(PREFIX)]
    if not results:
        tail = (r.stderr.strip() or r.stdout.strip())[-500:]
        return [{"status": "error", "observed": "", "duration_ms": 0,
                 "detail": f"no result from the suite binary (exit {r.returncode}): {tail}"}]
    return results
