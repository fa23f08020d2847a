"""A local guest: the rootfs (sockreuse/kernels/rootfs.py) with the kernel's modules and
this run's arguments appended, booted under QEMU; its results come back over
the serial console, as from a LAVA device.

Why the console and not a writable 9p share for the results: the console is
the one channel every device has (a LAVA board has no share), so local
guests exercise exactly the path lab results take; the guest needs no 9p or
virtio modules and can write nothing on the host; and a results file half
written by a crashing guest cannot pass for a result, the checksum says so."""
import os
import subprocess
import tempfile

from sockreuse.kernels import choose, cpio
from sockreuse.kernels import fetch
from sockreuse.boot import crash
from sockreuse.boot import landing
from sockreuse.expect import table_choice
from sockreuse.expect.record import write_start_table
from sockreuse.kernels import modules
from sockreuse.boot import phases
from sockreuse.boot import qemu
from sockreuse.kernels import rootfs
from sockreuse.progress import fail, say
from sockreuse import arches, cli
from sockreuse.paths import EXPECTED
from sockreuse.errors import EXIT_FAILED, EXIT_PASS, RunnerError

GUEST_TIMEOUT_S = int(os.environ.get("SOCKREUSE_GUEST_TIMEOUT", "900"))
# A kernel that does not boot (a bisection meets them) must not cost the
# whole run's bound: every guest here reached its init in under 11 s, TCG
# and foreign architectures included (docs/measurements.md), so the default
# leaves room for a loaded machine.
BOOT_TIMEOUT_S = int(os.environ.get("SOCKREUSE_BOOT_TIMEOUT", "180"))
# The explorer's 1.66M sequences take 10 minutes in a guest alone, and twice
# that beside another guest: 900 s ended two healthy runs as "hung".
EXPLORE_TIMEOUT_S = int(os.environ.get("SOCKREUSE_GUEST_TIMEOUT", "3600"))


def guest_cpus():
    """vCPUs per guest: SOCKREUSE_GUEST_CPUS, default 2, so that the R10
    SO_INCOMING_CPU and SKF_AD_CPU cases, which send from two CPUs, give
    verdicts in every guest instead of skipping (the cost: docs/measurements.md#guests-and-the-matrix)."""
    try:
        return cli.positive_int("SOCKREUSE_GUEST_CPUS", os.environ.get("SOCKREUSE_GUEST_CPUS", "2"),
                                " of vCPUs per guest (default 2)")
    except RunnerError as e:
        fail(str(e), e.code)


def guest_jobs(cpus):
    """Suite processes per guest: SOCKREUSE_GUEST_JOBS, default one per vCPU.
    Twelve overlapped the link watcher's waits once; since a case's set-up
    stopped waiting on it, the vCPUs are busy with the set-up itself and more
    processes only queue on the RTNL lock: in a 6.12 guest 12 processes took
    45.1 s for the suite at a set-up median of 459 ms a case, 2 took 34.6 s at
    49 ms (docs/measurements.md, bench/guest_setup.py)."""
    try:
        return cli.positive_int("SOCKREUSE_GUEST_JOBS",
                                os.environ.get("SOCKREUSE_GUEST_JOBS", str(cpus)),
                                " of suite processes per guest (default: one per vCPU)")
    except RunnerError as e:
        fail(str(e), e.code)


def guest_cmdline():
    """Words added to every local guest's kernel command line:
    SOCKREUSE_GUEST_CMDLINE (e.g. "mitigations=auto" to measure what
    qemu.CMDLINE's mitigations=off saves)."""
    return os.environ.get("SOCKREUSE_GUEST_CMDLINE", "").strip()


def guests_at_once(cpus):
    """Local guests side by side when -j is not given: as many as the cores
    hold at `cpus` vCPUs each, at least one. Guests that together ask for
    more vCPUs than there are cores slow each other more than they overlap
    (docs/measurements.md#guests-and-the-matrix: bench/matrix_side_by_side.py)."""
    return max(1, (os.cpu_count() or 1) // cpus)


def boot_files(kernel, runner_args, record):
    """A cpio of this run's settings for the rootfs's init: the runner
    arguments (one a line), an --expect table, and when recording the series
    table to start from."""
    args = list(runner_args)
    with tempfile.TemporaryDirectory(prefix="sockreuse-boot-") as stage:
        etc = os.path.join(stage, "etc", "sockreuse")
        os.makedirs(etc)
        if "--expect" in args and not cli.expect_series(args[args.index("--expect") + 1]):
            at = args.index("--expect") + 1
            with open(args[at], "rb") as src, open(os.path.join(etc, "expect.yaml"), "wb") as dst:
                dst.write(src.read())
            args[at] = "/etc/sockreuse/expect.yaml"
        if "--explore" not in args:
            # The guest's runner checks the kernel's configuration as a host
            # run does; Debian's kernels do not show theirs inside (no
            # /proc/config.gz), so the file that came with the kernel goes in.
            config = choose.config_file(kernel)
            if config:
                with open(config, "rb") as src, open(os.path.join(etc, "kernel.config"), "wb") as dst:
                    dst.write(src.read())
            args += ["--kernel-config", "/etc/sockreuse/kernel.config" if config else "none"]
        if record:
            args += landing.recording_args(kernel)
            dest = os.path.join(stage, args[-1].lstrip("/"))
            os.makedirs(os.path.dirname(dest))
            write_start_table(EXPECTED, kernel["release"], dest)
        with open(os.path.join(etc, "run.args"), "w") as f:
            f.write("".join(a + "\n" for a in args))
        return cpio.archive(stage)


def initrd(kernel, extra=b"", name="initrd.gz"):
    """The rootfs with `kernel`'s modules (and `extra`) appended, in the
    kernel's cache directory."""
    workdir = os.path.join(fetch.CACHE, "vm", kernel["release"])
    os.makedirs(workdir, exist_ok=True)
    return rootfs.with_modules(kernel, os.path.join(workdir, name), extra)


def run(kernel, accel, runner_args, record, cpus):
    """Boots `kernel` with the suite (or with runner_args[0] == "--explore",
    the explorer); returns its exit status (errors.EXIT_*)."""
    with landing.lock(kernel):
        return _run(kernel, accel, list(runner_args) + ["--no-lock"], record, cpus)


def _run(kernel, accel, runner_args, record, cpus):
    out = landing.start(kernel)
    explore = runner_args[:1] == ["--explore"]
    if not explore:
        runner_args = runner_args + ["--jobs", str(guest_jobs(cpus))]
    try:
        # The explorer in a guest only runs the sequences; the host compares,
        # explains and records from their outcomes (xz and the model are slow
        # under TCG).
        image = initrd(kernel, boot_files(kernel, runner_args + ["--outcomes-only"], False)
                       if explore else boot_files(kernel, runner_args, record))
    except (modules.ModuleError, rootfs.RootfsError) as e:
        say(f"{choose.label(kernel)}: ERROR {e}")
        return EXIT_FAILED
    console = os.path.join(out, "console.log")
    if "--expect" not in runner_args:
        # A kernel newer than every table: said before the long boot, not only in its summary.
        warning = table_choice.select(kernel["release"], EXPECTED)[1]
        if warning:
            say(f"{choose.label(kernel)}: {warning}")
    say(f"{choose.label(kernel)}: booting {kernel['release']} ({accel}, {cpus} vCPU)")
    why = qemu.tcg_cpu(arches.of_kernel(kernel))[1]
    if why and accel == "tcg":
        say(f"{choose.label(kernel)}: -cpu {why}")
    cmd = qemu.command(kernel, image, accel, console, cpus, cmdline_extra=guest_cmdline(),
                       memory=qemu.EXPLORE_MEMORY if explore else qemu.MEMORY)
    bound = EXPLORE_TIMEOUT_S if explore else GUEST_TIMEOUT_S
    rc, total_s, err, boot_s, timeline, lines = boot(kernel, cmd, bound, console)
    first_crash = crash.crash_line(lines) if ended_before_init(rc, err, boot_s) else None
    if first_crash:
        first_console = os.path.join(out, landing.FIRST_CONSOLE)
        os.replace(console, first_console)
        say(f"{choose.label(kernel)}: the kernel crashed before its init reported in: "
            f"{first_crash}; booting once more, to tell an emulator's race from a kernel "
            f"that cannot boot (console: {first_console})")
        first_s = total_s
        rc, total_s, err, boot_s, timeline, lines = boot(kernel, cmd, bound, console)
        total_s += first_s
    problem = None
    if rc is None and boot_s is None:
        problem = (f"the kernel did not boot: its init did not report in within "
                   f"{BOOT_TIMEOUT_S} s (SOCKREUSE_BOOT_TIMEOUT); console: {console}")
    elif rc is None:
        problem = f"guest did not finish within {bound} s (hung); console: {console}"
    elif rc != 0 and err.strip():
        problem = f"qemu failed: {err.strip().splitlines()[-1][:300]}"
    elif ended_before_init(rc, err, boot_s):
        problem = (f"the kernel did not boot: the guest ended (exit {rc}) before its init "
                   f"reported in{' on both boots' if first_crash else ''}; console: {console}")
    vm = {"accelerator": accel, "cpus": cpus, "cpu": cmd[cmd.index("-cpu") + 1],
          "booted": boot_s is not None,
          "boot_s": total_s if boot_s is None else boot_s,
          "total_s": total_s}
    if first_crash:
        vm["first_boot_crash"] = first_crash
    vm["phases_s"], vm["spent_s"] = timeline.as_json()
    code, _ = landing.land(kernel, [l.rstrip("\r") for l in lines], vm, problem,
                        record and not explore)
    if explore and code == EXIT_PASS:
        code = explore_on_host(kernel, out, runner_args, record)
    return code


def ended_before_init(rc, err, boot_s):
    """The guest ended by itself, QEMU refusing nothing, before its init
    reported in: the kernel did not boot (and may have crashed)."""
    return rc is not None and boot_s is None and not (rc != 0 and err.strip())


def boot(kernel, cmd, bound, console):
    """One boot: (exit status or None, seconds, qemu's stderr, seconds to
    init or None, the timeline, the console's lines)."""
    timeline = phases.Phases()

    def on_line(line):
        timeline.see(line)
        landing.relay(choose.label(kernel), line)
    rc, total_s, err, boot_s = qemu.run(cmd, bound, console, on_line, BOOT_TIMEOUT_S)
    timeline.done()
    lines = open(console, errors="replace").read().splitlines() if os.path.exists(console) else []
    return rc, total_s, err, boot_s, timeline, lines


def explore_on_host(kernel, out, runner_args, record):
    """The guest's explorer outcomes compared, explained (and with --record
    recorded) here, as the explorer does for a run of its own."""
    passed = [a for a in runner_args[1:] if a != "--no-lock"]
    return subprocess.run(cli.explore_command([
        *(["--record"] if record else []), "--no-lock", "--kernel-release", kernel["release"],
        "--results-dir", out, "--from-outcomes", os.path.join(out, landing.OUTCOMES), *passed]),
        cwd=fetch.REPO).returncode
