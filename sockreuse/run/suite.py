"""The suite binary's two interfaces: --list-cases (one JSON object per line)
and a GoogleTest run that prints `SOCKREUSE-RESULT {json}` per case."""
import json
import os
import subprocess
import tempfile
import threading

from sockreuse.errors import EXIT_USAGE, RunnerError

PREFIX = "SOCKREUSE-RESULT "
CASE_TIMEOUT_S = 120  # at the default wait bound; scaled with it


def suite_env():
    """The suite processes' environment. LD_BIND_NOW: every case runs in a
    forked child that calls libnl functions its parent never called, so with
    lazy binding each child resolved them again (about a tenth of a host
    case's CPU time, docs/measurements.md). Resolved once at start-up, the
    children inherit them. (Not linked in with -z now: that covers only the
    binary, not libnl's calls into itself; nor libnl linked statically: the
    fault shim in tests/system interposes its functions.)"""
    return dict(os.environ, LD_BIND_NOW="1")


def case_timeout_s():
    return CASE_TIMEOUT_S * float(os.environ.get("SOCKREUSE_WAIT_SCALE") or 1)


def list_cases(binary):
    if not os.access(binary, os.X_OK):
        raise RunnerError(f"no suite binary at {binary}: build it with ./run_tests.sh "
                          "(or pass --suite-bin)", EXIT_USAGE)
    r = subprocess.run([binary, "--list-cases"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RunnerError(f"{binary} --list-cases failed (exit {r.returncode}): "
                          f"{r.stderr.strip()[-300:]}", EXIT_USAGE)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def run_case(binary, gtest_name, repeat=1):
    """Runs one case `repeat` times; returns the list of result dicts. A run
    that printed no result (the binary crashed) becomes a status-error result."""
    cmd = [binary, f"--gtest_filter={gtest_name}", "--gtest_brief=1"]
    if repeat > 1:
        cmd.append(f"--gtest_repeat={repeat}")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=case_timeout_s() * repeat,
                           env=suite_env())
    except subprocess.TimeoutExpired:
        return [{"status": "error", "observed": "", "duration_ms": 0,
                 "detail": f"suite binary did not finish within {case_timeout_s() * repeat:.0f} s"}]
    results = [json.loads(line[len(PREFIX):]) for line in r.stdout.splitlines()
               if line.startswith(PREFIX)]
    if not results:
        tail = (r.stderr.strip() or r.stdout.strip())[-500:]
        return [{"status": "error", "observed": "", "duration_ms": 0,
                 "detail": f"no result from the suite binary (exit {r.returncode}): {tail}"}]
    return results


def process_count(jobs, cases):
    """Suite processes a batch of `cases` runs in: `jobs`, but never more than cases."""
    return max(1, min(jobs, cases))


# At most this many processes of their own for the cases that wait on a
# kernel timer; more such cases share them round robin. 0 (bench/timer_first.py
# sets it to compare) runs them among the others, as before.
TIMER_PROCESSES_ENV = "SOCKREUSE_TIMER_PROCESSES"


def timer_processes():
    return int(os.environ.get(TIMER_PROCESSES_ENV, "16"))


def waits_on_timer(case):
    """Whether a case (a --list-cases record) waits on a kernel timer: its
    params say so (`timing: {kernel_timer, seconds}`)."""
    timing = case.get("params", {}).get("timing")
    return isinstance(timing, dict) and "kernel_timer" in timing


def plan_chunks(gtest_names, jobs, timed=()):
    """(timer chunks, other chunks): the suite processes' case lists. The
    cases that wait on a kernel timer each get a process of their own (up to
    the env's limit), so that their waits overlap and hold no worker; the
    rest go over `jobs` processes."""
    # -j 1 asks for one case at a time: it gets that.
    limit = timer_processes() if jobs > 1 else 0
    timed = set(timed) if limit > 0 else set()
    waiting = [n for n in gtest_names if n in timed]
    rest = [n for n in gtest_names if n not in timed]
    slots = min(len(waiting), limit)
    jobs = process_count(jobs, len(rest)) if rest else 0
    return [waiting[i::slots] for i in range(slots)], [rest[i::jobs] for i in range(jobs)]


def run_batch(binary, chunks, repeat=1, on_result=None):
    """Runs many cases in processes of the suite binary at once, one per
    chunk of gtest names (plan_chunks: the timer chunks first, so they start
    first; each process forks one child per case) and returns ({gtest name:
    [results]}, failure text or None). Much cheaper than a process per case,
    and on kernels whose topology setup waits on the link watcher (about 1 s
    before 6.x), running cases side by side hides the waiting. on_result(rec)
    is called with each result as it arrives (sockreuse/run/background.py)."""
    by_id, failures = {}, []
    lock = threading.Lock()

    def one(names):
        cmd = [binary, "--gtest_filter=" + ":".join(names), "--gtest_brief=1"]
        if repeat > 1:
            cmd.append(f"--gtest_repeat={repeat}")
        # stderr goes to a file: read after stdout, a full pipe would block the suite.
        with tempfile.TemporaryFile(mode="w+") as err:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True,
                                 env=suite_env())
            for line in p.stdout:
                if line.startswith(PREFIX):
                    rec = json.loads(line[len(PREFIX):])
                    with lock:
                        by_id.setdefault(rec["id"], []).append(rec)
                    if on_result:
                        on_result(rec)
            if p.wait() < 0 or not any(n.split(".", 1)[1] in by_id for n in names):
                err.seek(0)
                failures.append(f"suite process exit {p.returncode}: {err.read().strip()[-500:]}")

    threads = [threading.Thread(target=one, args=(c,)) for c in chunks if c]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return by_id, "; ".join(failures) or None
