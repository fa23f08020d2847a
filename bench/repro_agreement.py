#!/usr/bin/python3
"""The reproducers against the suite: every case of a kind that has a
reproducer writer, and a random sample of explorer pairs and triples
(`--pairs N --triples N --seed S`), each generated, compiled, run, and its
outcome compared with what the suite binary (the explorer's executor for a
key) observes on this kernel; prints every disagreement, the counts and
the time a reproducer takes to make, build and run (median):

    /usr/bin/python3 -m bench.repro_agreement [--pairs 150] [--triples 100] [--seed 1]

Root and a build (./run_tests.sh) needed."""
import argparse
import concurrent.futures
import os
import random
import statistics
import subprocess
import tempfile
import time

from sockreuse.explore import driver, space
from sockreuse.repro import reproduce, writers
from sockreuse.run import suite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = os.path.join(ROOT, "build", "sockreuse_suite")
EXPLORE = os.path.join(ROOT, "build", "sockreuse_explore")


def suite_outcomes(cases):
    out = {}
    names = [c["gtest"] for c in cases]
    for i in range(0, len(names), 100):
        for rec in suite.run_case(SUITE, ":".join(names[i:i + 100])):
            out[rec["id"]] = rec["observed"] if rec["status"] == "ok" else rec["status"]
    return out


def sample_keys(n_pairs, n_triples, seed):
    sp = space.load()
    rnd = random.Random(seed)
    pairs = [sp.key(c) for c in sp.sequences()]
    keys = rnd.sample(pairs, n_pairs)
    # Every state of socket 1 at least a few times: the connection-made ones are rare.
    for state in ("timewait", "established", "connected"):
        keys += rnd.sample([k for k in pairs if k.split()[1] == state], 15)
    triples = [sp.triples.key(c) for c in sp.triples.sequences()]
    return sp, keys + rnd.sample(triples, n_triples)


def run_one(what, folder):
    """(outcome or what went wrong, seconds to make, seconds to build and run)."""
    t0 = time.perf_counter()
    text = reproduce.for_key(what) if " " in what else reproduce.for_case(what, SUITE)
    t1 = time.perf_counter()
    src = os.path.join(folder, "r.c")
    with open(src, "w") as f:
        f.write(text)
    cc = subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", src, "-o",
                         os.path.join(folder, "r")], capture_output=True, text=True)
    if cc.returncode:
        return "cc: " + cc.stderr[:300], t1 - t0, 0
    run = subprocess.run([os.path.join(folder, "r")], capture_output=True, text=True,
                         timeout=120)
    lines = [line for line in run.stdout.splitlines() if line.startswith("outcome: ")]
    got = lines[0][len("outcome: "):] if lines else "no outcome: " + run.stderr[-300:]
    return got, t1 - t0, time.perf_counter() - t1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=150)
    p.add_argument("--triples", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    cases = [c for c in suite.list_cases(SUITE) if c["params"].get("kind") in writers.WRITERS]
    observed = suite_outcomes(cases)
    sp, keys = sample_keys(a.pairs, a.triples, a.seed)
    with tempfile.TemporaryDirectory() as work:
        for key, (status, token, _, detail) in driver.execute(EXPLORE, sp, keys, 2,
                                                              work).items():
            observed[key] = token if status == "ok" else f"{status}: {detail}"
    todo = [c["id"] for c in cases] + keys
    made, ran, differ = [], [], 0

    def one(what):
        with tempfile.TemporaryDirectory() as folder:
            return what, run_one(what, folder)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for what, (got, t_make, t_run) in pool.map(one, todo):
            made.append(t_make)
            ran.append(t_run)
            if got != observed.get(what):
                differ += 1
                print(f"differs: {what}: reproducer {got!r}, suite {observed.get(what)!r}")
    print(f"{len(cases)} cases, {len(keys)} explorer keys ({a.triples} triples): "
          f"{len(todo) - differ} agree, {differ} differ")
    print(f"per reproducer, median: make {statistics.median(made):.2f} s, "
          f"build and run {statistics.median(ran):.2f} s")


if __name__ == "__main__":
    main()
