"""--lava local | URL with --kernel or --matrix: each kernel as a LAVA job
that boots the sockreuse rootfs on a QEMU device (lava/jobs/qemu.yaml). Its
results land in results/runs/<release>/ as a local guest's do, from the
report files the device prints, and are checked case by case against the
test cases LAVA recorded."""
import time

from sockreuse.boot import guest
from sockreuse.boot import landing
from sockreuse.lava import lavajob
from sockreuse.lava import lavalog
from sockreuse.kernels import modules
from sockreuse.kernels import rootfs
from sockreuse.progress import fail, say
from sockreuse import cli
from sockreuse.errors import EXIT_FAILED, RunnerError


def mode(arg):
    try:
        kind = cli.lava_target(arg)
    except RunnerError as e:
        fail(str(e), e.code)
    if kind == "local":
        from sockreuse.lava import lavarun
        return Flow(lavarun.Local(), local=True)
    from sockreuse.lava import lab
    return Flow(lab.Remote(arg), local=False)


class Flow:
    def __init__(self, backend, local):
        self.backend = backend
        self.local = local  # lava-run here: QEMU under this machine's accelerator
        self.packages = backend.packages

    def check(self):
        """What must hold before anything is built (the server answers, the token is good)."""
        getattr(self.backend, "check", lambda: None)()

    def run(self, kernel, accel, cases, repeat, wait_scale, cpus):
        """The job for `kernel`; returns the device runner's exit status
        (errors.EXIT_*), EXIT_FAILED when the job failed or LAVA recorded a
        case otherwise."""
        with landing.lock(kernel):
            return self._run(kernel, accel, cases, repeat, wait_scale, cpus)

    def _run(self, kernel, accel, cases, repeat, wait_scale, cpus):
        series = kernel["series"]
        landing.start(kernel)
        try:
            initrd = guest.initrd(kernel, name="lava-initrd.gz")
            kernel_url, ramdisk_url = self.backend.urls(kernel, initrd)
            job = lavajob.qemu_job(kernel, kernel_url, ramdisk_url, cpus, cases,
                                   repeat, accel, wait_scale=wait_scale)
        except (modules.ModuleError, rootfs.RootfsError, lavajob.LavaJobError) as e:
            say(f"{series}: ERROR {e}")
            return EXIT_FAILED
        say(f"{series}: LAVA job for {kernel['release']} ({self.backend.where})")
        t0 = time.monotonic()

        def relay(entry):
            if entry["lvl"] == "target":
                landing.relay(series, str(entry["msg"]))
            elif name := lavalog.phase(entry):  # a top-level action: deploy, boot, test
                say(f"{series}: LAVA {name}")

        try:
            log, results, job_id, problem, about = self.backend.execute(kernel, job, accel, relay)
        except lavajob.LavaJobError as e:  # the device could not be rendered
            say(f"{series}: ERROR {e}")
            return EXIT_FAILED
        total_s = time.monotonic() - t0
        console = lavalog.console(log)
        failure = lavalog.job_failure(results)
        if failure and problem is None:
            problem = (f"LAVA job {job_id} failed ({failure}); the device's last lines: "
                       f"{lavalog.last_lines(console)}")
        vm = {"accelerator": self.backend.accelerator(accel), "cpus": cpus,
              "boot_s": lavalog.boot_seconds(log) or total_s, "total_s": total_s,
              "lava": {"job": job_id, "where": self.backend.where, **about}}
        code, doc = landing.land(kernel, console, vm, problem)
        if doc is not None:
            bad = lavalog.disagreements(doc, results, console)
            if bad:
                say(f"{series}: ERROR LAVA job {job_id} recorded {len(bad)} of "
                    f"{len(doc['cases'])} cases unlike the device's results.json: {bad[0]}")
                code = EXIT_FAILED
            if failure:
                say(f"{series}: ERROR LAVA job {job_id} ended incomplete after the results: {failure}")
                code = EXIT_FAILED
        return code
