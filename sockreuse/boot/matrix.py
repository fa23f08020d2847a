"""The suite under other kernels: `--kernel SERIES`, `--kernel PATH --modules
DIR`, or `--matrix` (the host and every kernel in vm/kernels.conf, guests in
parallel). Each guest boots the sockreuse rootfs (sockreuse/kernels/rootfs.py); results land
in results/runs/<guest uname -r>/ as for a host run, with vm.json beside
them; --matrix then writes results/compat/. With --lava local or --lava URL
the guests are LAVA jobs instead (sockreuse/lava/lavarun.py, sockreuse/lava/lab.py)."""
import concurrent.futures
import os
import subprocess
import sys
import time


from sockreuse.kernels import choose, fetch
from sockreuse.boot import bisect, guest, preflight
from sockreuse.boot import landing
from sockreuse.boot import qemu
from sockreuse.kernels import rootfs
from sockreuse.progress import fail, say
from sockreuse.run import suite
from sockreuse import arches, cli, packages
from sockreuse.errors import (EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_NEW,
                                     EXIT_PASS, EXIT_USAGE, RunnerError)

REPO = fetch.REPO
RUNS = landing.RUNS
# Under TCG a guest runs a case's waits several times slower than the host.
TCG_WAIT_FACTOR = 4


def run_host(runner_args):
    say(f"host: running {os.uname().release}")
    explore = runner_args[:1] == ["--explore"]
    # The host's suite on all its cores (the explorer's default): the
    # matrix's -j counts guests. It ran one case at a time before.
    cmd = (cli.explore_command(runner_args[1:]) if explore
           else cli.suite_command(["--jobs", str(cli.cores()), *runner_args]))
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    # The summary is the last such line on stdout (warnings go to stderr).
    last = [l for l in (r.stderr + r.stdout).splitlines() if l.startswith("sockreuse:")]
    say("host: " + (last[-1] if last else f"exit {r.returncode}"))
    return r.returncode


def checked(kernels, statuses, single):
    """The kernels whose configuration has what every case needs; one that
    lacks it ends a single-kernel run (exit 4) and is left out of a matrix,
    counted as unable to run."""
    cases = suite.list_cases(os.path.join(REPO, "build", "sockreuse_suite"))
    kept = []
    for kernel in kernels:
        refusal = preflight.check_kernel(kernel, say, cases)
        if refusal and single:
            fail(refusal, EXIT_CANNOT_RUN)
        if refusal:
            say(f"{choose.label(kernel)}: ERROR {refusal}")
            statuses.append(EXIT_CANNOT_RUN)
        else:
            kept.append(kernel)
    return kept


def overall(statuses):
    """One exit status for several kernels: the worst of them, where a failure
    outranks cases without rows, which outrank a pass."""
    for code in (EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_USAGE, EXIT_NEW):
        if code in statuses:
            return code
    return EXIT_FAILED if any(s != EXIT_PASS for s in statuses) else EXIT_PASS


def parse_args(argv=None):
    """run_tests.sh's options, read and checked by sockreuse.cli; this is its vm mode."""
    try:
        a = cli.parse(sys.argv[1:] if argv is None else argv)
        if a.mode == "help":
            print(cli.usage(), end="")
            sys.exit(0)
        if a.mode != "vm":
            raise RunnerError("sockreuse.boot.matrix runs the suite in guests: give --kernel S "
                              "or --matrix")
        a.wait_scale = cli.wait_scale_setting(a.wait_scale)
    except RunnerError as e:
        fail(str(e), e.code)
    return a


def main():
    a = parse_args()
    if not a.bisect:
        sys.exit(run(a))
    a.kernels, started = [], time.time()
    try:
        run(a)
    except SystemExit:
        pass  # whatever stopped the run, the results (or their absence) decide
    code, line = bisect.status(a.kernels, started)
    say(line)
    sys.exit(code)


def run(a):
    """Runs the guests (and with --matrix the host) that `a` asks for;
    returns the overall exit status. a.kernels: the kernels prepared."""
    cpus = guest.guest_cpus()
    if os.geteuid() != 0:
        fail("--kernel and --matrix need root (QEMU, private apt, lava-run)", EXIT_CANNOT_RUN)
    runner_args = ["--explore"] if a.explore else []
    if a.k:
        runner_args += ["-k", a.k]
    if a.expect:
        runner_args += ["--expect", a.expect if cli.expect_series(a.expect) else os.path.abspath(a.expect)]
    if a.repeat:
        runner_args += ["--repeat", a.repeat]
    if a.allow_new:
        runner_args += ["--allow-new"]
    if not os.access(os.path.join(REPO, "build", "sockreuse_suite"), os.X_OK):
        fail("no build/sockreuse_suite: run ./run_tests.sh once first")
    lab = None
    if a.lava is not None:
        from sockreuse.lava import lavaflow  # only this mode needs LAVA's packages
        lab = lavaflow.mode(a.lava)
    wanted = a.arches or [arches.host()]
    host_too = a.matrix and arches.host() in wanted  # --matrix runs the host when it is asked for
    packages.ensure(packages.GUEST + packages.for_arches(wanted) + (lab.packages if lab else []))
    if lab:
        lab.check()
    conf = fetch.load_conf()
    if a.jobs is None:  # a lab's devices do not share this machine's cores
        a.jobs = guest.guests_at_once(cpus) if lab is None or lab.local else len(conf)
    statuses = []
    if a.matrix or a.arches:
        kernels = []
        # Every (series, arch) Debian ships among those asked for. One that
        # cannot be fetched must not stop the others.
        for series in ([a.kernel] if a.kernel else conf):
            for arch in wanted:
                if arch.name not in conf[series]["arches"]:
                    continue
                try:
                    kernels.append(fetch.fetch(series, conf, say, arch))
                except fetch.FetchError as e:
                    say(f"{series} {arch.name}: ERROR {e}")
                    statuses.append(EXIT_FAILED)
    else:
        kernels = [choose.kernel_from_args(a.kernel, a.modules, conf)]
    a.kernels = kernels
    os.makedirs(RUNS, exist_ok=True)
    if not kernels:
        fail("no guest kernel could be fetched (see above)")
    kernels = checked(kernels, statuses, single=not (a.matrix or a.arches))
    if not kernels:
        fail("no guest kernel has what every case needs (see above)", EXIT_CANNOT_RUN)
    try:
        for arch in sorted({arches.of_kernel(k) for k in kernels}, key=lambda x: x.name):
            rootfs.build(say, arch)
    except rootfs.RootfsError as e:
        fail(str(e), EXIT_CANNOT_RUN)
    probe_dir = os.path.join(fetch.CACHE, "vm")
    os.makedirs(probe_dir, exist_ok=True)
    # The probe boots the bare rootfs: its init says it is up before loading
    # anything it lacks. Another architecture's guests run under TCG anyway.
    native = [k for k in kernels if arches.is_host(arches.of_kernel(k))]
    accel, why = (qemu.probe_kvm(native[0], lambda: rootfs.ARTEFACT, probe_dir) if native
                  else ("tcg", "no guest of the host's architecture"))
    say(f"accelerator: {accel} ({why})")
    if host_too:
        statuses.append(run_host(runner_args + ["--wait-scale", str(a.wait_scale)]
                                 + (["--record"] if a.record else [])))
    # A guest here under TCG (lava-run's too) needs more time; a lab's device
    # runs at its own speed.
    emulated = accel == "tcg" and (lab is None or lab.local)
    guest_scale = a.wait_scale * (TCG_WAIT_FACTOR if emulated else 1)
    guest_args = runner_args + ["--wait-scale", str(guest_scale)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        if lab:
            futures = [pool.submit(lab.run, k, accel, a.k, a.repeat, guest_scale, cpus)
                       for k in kernels]
        else:
            futures = [pool.submit(guest.run, k, accel, guest_args, a.record, cpus) for k in kernels]
        statuses += [f.result() for f in futures]
    if a.matrix:
        # This matrix's runs only, not whatever else results/runs/ holds.
        host = [os.uname().release] if host_too else []
        runs = [os.path.join(RUNS, r) for r in host + [k["release"] for k in kernels]]
        # One command writes the explorer's section (--explore) and then the pages.
        report = "sockreuse.report.compat_report"
        r = subprocess.run(["/usr/bin/python3", "-m", report, "--runs", *runs]
                           + (["--explore"] if a.explore else []), cwd=REPO)
        if r.returncode != 0:
            # The runs passed, but a matrix without its report is not done.
            say(f"ERROR the compatibility report ({report}) failed "
                f"(exit {r.returncode}); the runs' results are in results/runs/")
            statuses.append(EXIT_FAILED)
    ran = len(kernels) + (1 if host_too else 0)
    bad = sum(1 for s in statuses if s != EXIT_PASS)
    say(f"done: {ran} kernel(s) ran, {bad} did not pass (failed, errored, had new cases or "
        "could not be fetched)")
    return overall(statuses)


if __name__ == "__main__":
    main()
