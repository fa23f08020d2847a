"""What the system tests share: where the build is, and the real runner CLI
run on the real suite binary."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
SUITE = os.path.join(BUILD, "sockreuse_suite")
PY = "/usr/bin/python3"
# The tests that read the one clean run (conftest.py clean_run): one xdist
# group, so that one worker makes the run.
CLEAN_RUN = pytest.mark.xdist_group("clean_run")


def runner_cmd(results_dir, *args):
    """The runner as ./run_tests.sh runs it: a suite process per core, and the
    cases that wait on a kernel timer in processes of their own (with one
    process they would sleep out 8 s of every whole-suite run in line). A
    test's own --jobs comes later and wins."""
    jobs = str(len(os.sched_getaffinity(0)))
    return [PY, "-m", "pytest", os.path.join(ROOT, "runner"), "-p", "no:cacheprovider", "-q",
            "--suite-bin", SUITE, "--results-dir", str(results_dir), "--jobs", jobs, *args]


def run_runner(results_dir, *args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(runner_cmd(results_dir, *args), cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=600)


def load_results(results_dir):
    with open(os.path.join(results_dir, "results.json")) as f:
        return json.load(f)


def table_folder(recorded_table, folder, series=("6.18",)):
    """An expected-tables folder made from a complete recorded table: its rows
    as base.yaml and, for each series, a delta with no rows (the features the
    recording declared)."""
    from sockreuse.expect import tables
    complete = tables.load_complete(str(recorded_table))
    os.makedirs(folder, exist_ok=True)
    tables.dump_complete(os.path.join(folder, tables.BASE),
                         {i: r.expected for i, r in complete.rows.items()},
                         {i: r.rule for i, r in complete.rows.items()})
    for s in series:
        tables.dump_delta(os.path.join(folder, f"{s}.yaml"), s, complete.features or [], {})
    return folder
