#!/usr/bin/python3
"""The suite under other kernels: `--kernel SERIES`, `--kernel PATH --modules
DIR`, or `--matrix` (the host and every kernel in vm/kernels.conf, guests in
parallel). Results land in results/runs/<guest uname -r>/ as for a host run,
with vm.json beside them; --matrix then writes results/compat/."""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "runner"))

import fetch  # noqa: E402
import initramfs  # noqa: E402
import qemu  # noqa: E402
from sockreuse_runner import files  # noqa: E402
from sockreuse_runner.errors import (EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_NEW,  # noqa: E402
                                     EXIT_PASS, EXIT_USAGE)

REPO = fetch.REPO
RUNS = os.path.join(REPO, "results", "runs")
EXPECTED = os.path.join(REPO, "results", "expected")
GUEST_TIMEOUT_S = int(os.environ.get("SOCKREUSE_GUEST_TIMEOUT", "900"))
# Under TCG a guest runs a case's waits several times slower than the host.
TCG_WAIT_FACTOR = 4
PACKAGES = ["qemu-system-x86", "busybox-static", "kmod"]
T0 = time.monotonic()
_print_lock = threading.Lock()


def say(msg):
    with _print_lock:
        print(f"[{time.monotonic() - T0:6.1f} s] {msg}", flush=True)


def fail(msg, code=EXIT_USAGE):
    print(f"sockreuse: {msg}", file=sys.stderr)
    sys.exit(code)


def ensure_packages():
    missing = [p for p in PACKAGES if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
    ).stdout.find("install ok installed") < 0]
    if not missing:
        return
    say(f"installing {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        fail(f"could not install {' '.join(missing)}; run: apt-get install {' '.join(missing)}",
             EXIT_CANNOT_RUN)


def own_kernel(path, modules):
    if not os.path.isfile(path):
        fail(f"--kernel {path}: no such file (give a vmlinuz, or a series from vm/kernels.conf)")
    if not modules or not os.path.isdir(modules):
        fail("--kernel PATH needs --modules DIR, the lib/modules/<release> tree of that kernel")
    modules = os.path.abspath(modules)
    if not os.path.isfile(os.path.join(modules, "modules.dep")):
        fail(f"{modules} has no modules.dep: run depmod -b <tree above lib/modules> <release>")
    return {"series": "custom", "release": os.path.basename(modules), "vmlinuz": os.path.abspath(path),
            "moddir": modules, "base": os.path.dirname(os.path.dirname(os.path.dirname(modules)))}


def summary_line(kernel, accel, boot_s, total_s, doc):
    if doc is None:
        return f"{kernel['release']:24s} {accel}  total {total_s:5.1f} s  no results"
    s = doc["summary"]
    return (f"{kernel['release']:24s} {accel}  boot {boot_s:5.1f} s  total {total_s:5.1f} s  "
            f"{s['total']} cases: {s['pass']} pass {s['fail']} fail {s['new']} new "
            f"{s['error']} error {s['skip']} skip")


def guest_cpus():
    """vCPUs per guest: SOCKREUSE_GUEST_CPUS, default 2. The SO_INCOMING_CPU and
    SKF_AD_CPU cases (R10) send from two CPUs and skip on one."""
    text = os.environ.get("SOCKREUSE_GUEST_CPUS", "2")
    if not text.isdigit() or int(text) < 1:
        fail(f"SOCKREUSE_GUEST_CPUS='{text}' is not a positive number of vCPUs per guest "
             "(default 2)")
    return int(text)


def run_guest(kernel, accel, runner_args, record, cpus):
    """Boots one guest kernel and runs the suite in it; returns its exit status
    (errors.EXIT_*), 1 when the guest itself failed. The guest's results folder
    is locked here on the host for the whole boot, since a lock taken inside
    the guest over 9p would not be seen here."""
    out = os.path.join(RUNS, kernel["release"])
    with files.FolderLock(out, f"the results of {kernel['release']}", say):
        return _run_guest(kernel, accel, runner_args, record, out, cpus)


def _run_guest(kernel, accel, runner_args, record, out, cpus):
    release = kernel["release"]
    for stale in ("results.json", "vm.json", "console.log"):
        if os.path.exists(os.path.join(out, stale)):
            os.remove(os.path.join(out, stale))
    exit_file = os.path.join(RUNS, f".exit-{release}")
    if os.path.exists(exit_file):
        os.remove(exit_file)
    args = list(runner_args) + ["--no-lock"]
    series_table = os.path.join(EXPECTED, f"{kernel['series']}.yaml")
    explore = args[:1] == ["--explore"]
    if explore:
        # The guest only runs the sequences; the host compares, explains and
        # records from their outcomes (xz and the model are slow under TCG).
        args.append("--outcomes-only")
    elif record:
        # The host root is read-only in the guest: record into the results
        # share, then copy the table back.
        scratch = os.path.join(out, "recorded.yaml")
        if os.path.isfile(series_table):
            shutil.copy(series_table, scratch)
        args += ["--record", "--expect", scratch]
    workdir = os.path.join(fetch.CACHE, "vm", release)
    os.makedirs(workdir, exist_ok=True)
    initrd = os.path.join(workdir, "initrd.gz")
    initramfs.build(kernel, initrd, REPO, RUNS, args)
    console = os.path.join(out, "console.log")
    say(f"{kernel['series']}: booting {release} ({accel})")
    cmd = qemu.command(kernel, initrd, accel, console,
                       [("hostroot", "/", True), ("results", RUNS, False)], cpus=cpus)
    rc, total_s, err, boot_s = qemu.run(cmd, GUEST_TIMEOUT_S, console,
                                        lambda line: relay(kernel["series"], line))
    text = open(console, errors="replace").read() if os.path.exists(console) else ""
    boot_s = total_s if boot_s is None else boot_s
    code = int(open(exit_file).read().strip()) if os.path.exists(exit_file) else None
    doc_path = os.path.join(out, "results.json")
    doc = json.load(open(doc_path)) if os.path.exists(doc_path) and code is not None else None
    if rc is None:
        problem = f"guest did not finish within {GUEST_TIMEOUT_S} s (hung); console: {console}"
    elif code is None:
        tail = " | ".join(text.strip().splitlines()[-3:])
        problem = f"guest ended without a result (panic or crash?): {tail[-300:]} {err[-200:]}"
    else:
        problem = None
    if code == 0 and explore:
        code = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "explore", "run.py"),
                               *(["--record"] if record else []), "--no-lock",
                               "--kernel-release", release, "--results-dir", out,
                               "--from-outcomes", os.path.join(out, "explore-outcomes.txt.gz"),
                               *[a for a in args[1:] if a not in ("--no-lock",
                                                                 "--outcomes-only")]]).returncode
    elif record and code == 0:
        with files.FolderLock(EXPECTED, "the expected tables", say):
            files.copy_atomic(os.path.join(out, "recorded.yaml"), series_table)
        say(f"{kernel['series']}: recorded {series_table}")
    vm = {"series": kernel["series"], "release": release, "accelerator": accel,
          "boot_s": round(boot_s, 1), "total_s": round(total_s, 1),
          "exit": code if code is not None else -1, "console_log": console, "error": problem}
    files.write_atomic(os.path.join(out, "vm.json"), json.dumps(vm, indent=1) + "\n")
    say(f"{kernel['series']}: " + (f"ERROR {problem}" if problem else
                                   summary_line(kernel, accel, boot_s, total_s, doc)))
    return EXIT_FAILED if problem else code


def relay(series, line):
    """Passes the guest's own progress and problems on to the matrix log."""
    if line.startswith("sockreuse: ") and (" case runs, " in line or "running " in line
                                           or " sequences, " in line):
        say(f"{series}: {line[len('sockreuse: '):]}")
    elif line.startswith("sockreuse-guest: ") and line != "sockreuse-guest: done":
        say(f"{series}: guest {line[len('sockreuse-guest: '):]}")


def run_host(runner_args):
    say(f"host: running {os.uname().release}")
    cmd = ["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q",
           *runner_args]
    if runner_args[:1] == ["--explore"]:
        cmd = ["/usr/bin/python3", "explore/run.py", *runner_args[1:]]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    last = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("sockreuse:")]
    say("host: " + (last[-1] if last else f"exit {r.returncode}"))
    return r.returncode


class Parser(argparse.ArgumentParser):
    """argparse's own complaint is a usage block; this project's is one line."""

    def error(self, message):
        fail(f"{message} (see ./run_tests.sh --help)")


def overall(statuses):
    """One exit status for several kernels: the worst of them, where a failure
    outranks cases without rows, which outrank a pass."""
    for code in (EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_USAGE, EXIT_NEW):
        if code in statuses:
            return code
    return EXIT_FAILED if any(s != EXIT_PASS for s in statuses) else EXIT_PASS


def main():
    p = Parser(prog="run_tests.sh", description=__doc__)
    p.add_argument("--kernel")
    p.add_argument("--modules")
    p.add_argument("--matrix", action="store_true")
    p.add_argument("-j", type=int, default=os.cpu_count() or 2)
    p.add_argument("--record", action="store_true")
    p.add_argument("--expect")
    p.add_argument("-k")
    p.add_argument("--repeat")
    p.add_argument("--wait-scale", type=float,
                   default=float(os.environ.get("SOCKREUSE_WAIT_SCALE") or 1))
    p.add_argument("--allow-new", action="store_true")
    p.add_argument("--explore", action="store_true", help="the explorer instead of the suite")
    a = p.parse_args()
    if not a.wait_scale > 0:
        fail("--wait-scale wants a positive number (1: 10 s per wait)")
    cpus = guest_cpus()
    if os.geteuid() != 0:
        fail("--kernel and --matrix need root (qemu with the host root shared, private apt)",
             EXIT_CANNOT_RUN)
    runner_args = ["--explore"] if a.explore else []
    if a.k:
        runner_args += ["-k", a.k]
    if a.expect:
        runner_args += ["--expect", os.path.abspath(a.expect)]
    if a.repeat:
        runner_args += ["--repeat", a.repeat]
    if a.allow_new:
        runner_args += ["--allow-new"]
    if not os.access(os.path.join(REPO, "build", "sockreuse_suite"), os.X_OK):
        fail("no build/sockreuse_suite: run ./run_tests.sh once first")
    ensure_packages()
    conf = fetch.load_conf()
    statuses = []
    try:
        if a.matrix:
            kernels = []
            # One series that cannot be fetched must not stop the others.
            for series in conf:
                try:
                    kernels.append(fetch.fetch(series, conf, say))
                except fetch.FetchError as e:
                    say(f"{series}: ERROR {e}")
                    statuses.append(EXIT_FAILED)
        elif a.kernel in conf:
            kernels = [fetch.fetch(a.kernel, conf, say)]
        elif a.kernel and (os.sep in a.kernel or os.path.exists(a.kernel)):
            kernels = [own_kernel(a.kernel, a.modules)]
        else:
            fail(f"unknown kernel series '{a.kernel}' (configured: {', '.join(conf)}; "
                 "or give a path to a vmlinuz with --modules DIR)")
    except fetch.FetchError as e:
        fail(str(e))
    os.makedirs(RUNS, exist_ok=True)
    if not kernels:
        fail("no guest kernel could be fetched (see above)")
    probe_dir = os.path.join(fetch.CACHE, "vm")
    os.makedirs(probe_dir, exist_ok=True)
    probe_initrd = os.path.join(probe_dir, "probe-initrd.gz")

    def make_probe_initrd():
        initramfs.build(kernels[0], probe_initrd, REPO, RUNS, [])
        return probe_initrd

    accel, why = qemu.probe_kvm(kernels[0], make_probe_initrd, probe_dir)
    say(f"accelerator: {accel} ({why})")
    if a.matrix:
        statuses.append(run_host(runner_args + ["--wait-scale", str(a.wait_scale)]
                                 + (["--record"] if a.record else [])))
    guest_scale = a.wait_scale * (TCG_WAIT_FACTOR if accel == "tcg" else 1)
    guest_args = runner_args + ["--wait-scale", str(guest_scale)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.j)) as pool:
        futures = [pool.submit(run_guest, k, accel, guest_args, a.record, cpus) for k in kernels]
        statuses += [f.result() for f in futures]
    if a.matrix:
        # This matrix's runs only, not whatever else results/runs/ holds.
        runs = [os.path.join(RUNS, r) for r in [os.uname().release] + [k["release"] for k in kernels]]
        report = ["explore", "compat.py"] if a.explore else ["vm", "compat.py"]
        subprocess.run(["/usr/bin/python3", os.path.join(REPO, *report), "--runs", *runs],
                       cwd=REPO)
    ran = len(kernels) + (1 if a.matrix else 0)
    bad = sum(1 for s in statuses if s != EXIT_PASS)
    say(f"done: {ran} kernel(s) ran, {bad} did not pass (failed, errored, had new cases or "
        "could not be fetched)")
    sys.exit(overall(statuses))


if __name__ == "__main__":
    main()
