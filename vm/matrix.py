#!/usr/bin/python3
"""The suite under other kernels: `--kernel SERIES`, `--kernel PATH --modules
DIR`, or `--matrix` (the host and every kernel in vm/kernels.conf, guests in
parallel). Each guest boots the sockreuse rootfs (vm/rootfs.py); results land
in results/runs/<guest uname -r>/ as for a host run, with vm.json beside
them; --matrix then writes results/compat/. With --lava local or --lava URL
the guests are LAVA jobs instead (vm/lavarun.py, vm/lab.py)."""
import argparse
import concurrent.futures
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fetch  # noqa: E402
import guest  # noqa: E402
import landing  # noqa: E402
import qemu  # noqa: E402
import rootfs  # noqa: E402
from progress import fail, say  # noqa: E402

REPO = fetch.REPO
RUNS = landing.RUNS
PACKAGES = ["qemu-system-x86", "busybox-static", "kmod"]


def ensure_packages(packages):
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
    ).stdout.find("install ok installed") < 0]
    if not missing:
        return
    say(f"installing {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                       capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        fail(f"could not install {' '.join(missing)}; run: apt-get install {' '.join(missing)}")


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


def kernel_from_args(kernel, modules, conf=None):
    """The kernel --kernel names: a configured series (fetched if need be) or
    a vmlinuz with its --modules tree."""
    conf = conf or fetch.load_conf()
    if kernel in conf:
        try:
            return fetch.fetch(kernel, conf, say)
        except fetch.FetchError as e:
            fail(str(e))
    if os.sep in kernel or os.path.exists(kernel):
        return own_kernel(kernel, modules)
    fail(f"unknown kernel series '{kernel}' (configured: {', '.join(conf)}; "
         "or give a path to a vmlinuz with --modules DIR)")


def run_host(runner_args):
    say(f"host: running {os.uname().release}")
    cmd = ["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q",
           *runner_args]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    last = [l for l in r.stdout.splitlines() if l.startswith("sockreuse:")]
    say("host: " + (last[-1] if last else f"exit {r.returncode}"))
    return 0 if r.returncode == 0 else 1


def parse_args():
    p = argparse.ArgumentParser(prog="run_tests.sh", description=__doc__)
    p.add_argument("--kernel")
    p.add_argument("--modules")
    p.add_argument("--matrix", action="store_true")
    p.add_argument("--lava", metavar="local|URL")
    p.add_argument("-j", type=int, default=os.cpu_count() or 2)
    p.add_argument("--record", action="store_true")
    p.add_argument("--expect")
    p.add_argument("-k")
    p.add_argument("--repeat")
    a = p.parse_args()
    if a.lava is not None:
        if a.record or a.expect:
            fail("--record and --expect work with local guests only: drop --lava to record "
                 "(the tables come with the rootfs a LAVA job boots)")
        if not a.kernel and not a.matrix:
            fail("--lava needs --kernel S or --matrix")
    return a


def main():
    a = parse_args()
    if os.geteuid() != 0:
        fail("--kernel and --matrix need root (QEMU, private apt, lava-run)")
    runner_args = []
    if a.k and "\n" in a.k:
        fail("-k takes an expression on one line")
    if a.k:
        runner_args += ["-k", a.k]
    if a.expect:
        if not os.path.isfile(a.expect):
            fail(f"--expect {a.expect}: no such table")
        runner_args += ["--expect", os.path.abspath(a.expect)]
    if a.repeat:
        runner_args += ["--repeat", a.repeat]
    if not os.access(os.path.join(REPO, "build", "sockreuse_suite"), os.X_OK):
        fail("no build/sockreuse_suite: run ./run_tests.sh once first")
    lab = None
    if a.lava is not None:
        import lavaflow  # only this mode needs LAVA's packages
        lab = lavaflow.mode(a.lava)
    ensure_packages(PACKAGES + (lab.packages if lab else []))
    if lab:
        lab.check()
    conf = fetch.load_conf()
    failures = 0
    if a.matrix:
        kernels = []
        # One series that cannot be fetched must not stop the others.
        for series in conf:
            try:
                kernels.append(fetch.fetch(series, conf, say))
            except fetch.FetchError as e:
                say(f"{series}: ERROR {e}")
                failures += 1
    else:
        kernels = [kernel_from_args(a.kernel, a.modules, conf)]
    os.makedirs(RUNS, exist_ok=True)
    if not kernels:
        fail("no guest kernel could be fetched (see above)")
    try:
        rootfs.build(say)
    except rootfs.RootfsError as e:
        fail(str(e))
    probe_dir = os.path.join(fetch.CACHE, "vm")
    os.makedirs(probe_dir, exist_ok=True)
    # The probe boots the bare rootfs: its init says it is up before loading
    # anything it lacks.
    accel, why = qemu.probe_kvm(kernels[0], lambda: rootfs.ARTEFACT, probe_dir)
    say(f"accelerator: {accel} ({why})")
    if a.matrix:
        failures += run_host(runner_args + (["--record"] if a.record else []))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.j)) as pool:
        if lab:
            futures = [pool.submit(lab.run, k, accel, a.k, a.repeat) for k in kernels]
        else:
            futures = [pool.submit(guest.run, k, accel, runner_args, a.record) for k in kernels]
        failures += sum(f.result() for f in futures)
    if a.matrix:
        # This matrix's runs only, not whatever else results/runs/ holds.
        runs = [os.path.join(RUNS, r) for r in [os.uname().release] + [k["release"] for k in kernels]]
        subprocess.run(["/usr/bin/python3", os.path.join(REPO, "vm", "compat.py"), "--runs", *runs],
                       cwd=REPO)
    ran = len(kernels) + (1 if a.matrix else 0)
    say(f"done: {ran} kernel(s) ran, {failures} failed, errored or could not be fetched")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
