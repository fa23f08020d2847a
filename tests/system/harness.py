"""What the system tests share: where the build is, and the real runner CLI
run on the real suite binary."""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
SUITE = os.path.join(BUILD, "sockreuse_suite")
PY = "/usr/bin/python3"


def runner_cmd(results_dir, *args):
    return [PY, "-m", "pytest", os.path.join(ROOT, "runner"), "-p", "no:cacheprovider", "-q",
            "--suite-bin", SUITE, "--results-dir", str(results_dir), *args]


def run_runner(results_dir, *args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(runner_cmd(results_dir, *args), cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=600)


def load_results(results_dir):
    with open(os.path.join(results_dir, "results.json")) as f:
        return json.load(f)
