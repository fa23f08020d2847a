"""--lava local: the job run by Debian's lava-dispatcher on this machine
(lava-run on a QEMU device), its log read back as a lab's would be.

lava-run runs in a PID namespace of its own whose parent (unshare) dies
with us and then stops lava-run, which cancels the job: when lava-run ends,
the kernel ends every process left in the namespace, the job's QEMU
included, so no guest outlives a killed run."""
import os
import subprocess
import time

import yaml

from sockreuse.kernels import fetch
from sockreuse.boot import guest
from sockreuse.lava import lavajob
from sockreuse.lava import lavalog
from sockreuse.boot import qemu
from sockreuse.progress import say

PACKAGES = ["lava-dispatcher", "python3-jinja2"]
WORK = os.path.join(fetch.CACHE, "lava")
# Beyond the guest's own bound: the overlay disk (libguestfs boots an
# appliance, about 15-40 s under TCG) and LAVA's own set-up and tear-down.
TIMEOUT_S = guest.GUEST_TIMEOUT_S + 300


def guestfs_env(accel, conf):
    """libguestfs, which writes LAVA's overlay disk, boots a small appliance:
    with the host's kernel from /boot if it has one, else a Debian kernel
    from the cache; under TCG where KVM does not work; its cache and
    temporary files in .cache/lava/."""
    env = {"LIBGUESTFS_BACKEND": "direct",
           "LIBGUESTFS_CACHEDIR": os.path.join(WORK, "guestfs"),
           "TMPDIR": os.path.join(WORK, "tmp")}
    if accel != "kvm":
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    release = os.uname().release
    if not (os.path.isfile(f"/boot/vmlinuz-{release}") and os.path.isdir(f"/lib/modules/{release}")):
        # bookworm's kernel: plain .ko modules, which supermin loads as they are
        appliance = fetch.fetch("6.1", conf, say)
        env["SUPERMIN_KERNEL"] = appliance["vmlinuz"]
        env["SUPERMIN_MODULES"] = appliance["moddir"]
    for d in ("LIBGUESTFS_CACHEDIR", "TMPDIR"):
        os.makedirs(env[d], exist_ok=True)
    return env


class Local:
    packages = PACKAGES
    where = "lava-run"

    def __init__(self):
        self.conf = fetch.load_conf()
        self.job_ids = iter(range(1, 1 << 30))

    def urls(self, kernel, initrd):
        return "file://" + kernel["vmlinuz"], "file://" + initrd

    def accelerator(self, accel):
        return f"{accel} (LAVA)"

    def execute(self, kernel, job, accel, relay):
        """Runs `job`; returns (log entries, LAVA's results, job id, the problem
        if it did not finish, what else vm.json should say about it)."""
        job_id = f"{os.getpid()}{next(self.job_ids)}"
        workdir = os.path.join(WORK, "jobs", kernel["release"])
        os.makedirs(workdir, exist_ok=True)
        paths = {n: os.path.join(workdir, n) for n in ("job.yaml", "device.yaml", "dispatcher.yaml",
                                                       "log.yaml")}
        with open(paths["job.yaml"], "w") as f:
            yaml.safe_dump(job, f, sort_keys=False)
        with open(paths["device.yaml"], "w") as f:
            f.write(lavajob.device(job))
        with open(paths["dispatcher.yaml"], "w") as f:
            # lava-run's own files go to /var/lib/lava/dispatcher/tmp/<prefix><job>,
            # which it removes at the end; the prefix makes ours known.
            f.write(f"prefix: sockreuse-{kernel['release']}-\n")
        env = dict(os.environ, **guestfs_env(accel, self.conf))
        cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGTERM",
               "lava-run", "--job-id", job_id, "--output-dir", os.path.join(workdir, "output"),
               "--device", paths["device.yaml"], "--dispatcher", paths["dispatcher.yaml"],
               paths["job.yaml"]]
        problem = None
        t0 = time.monotonic()
        with open(paths["log.yaml"], "w") as log:  # lava-run logs on stderr
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=log, env=env, preexec_fn=qemu.die_with_parent)
            follower = _Follower(paths["log.yaml"], relay)
            try:
                while p.poll() is None:
                    if time.monotonic() - t0 > TIMEOUT_S:
                        problem = (f"LAVA job {job_id} did not finish within {TIMEOUT_S} s "
                                   "(SOCKREUSE_GUEST_TIMEOUT + 300): cancelled it")
                        break
                    follower.poll()
                    time.sleep(0.5)
            finally:
                if p.poll() is None:
                    p.terminate()  # unshare passes it on: lava-run cancels the job
                    try:
                        p.wait(120)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            follower.poll(final=True)
        leftover = f"/var/lib/lava/dispatcher/tmp/sockreuse-{kernel['release']}-{job_id}"
        if os.path.isdir(leftover):
            subprocess.run(["rm", "-rf", leftover])
        log = follower.log
        if not log and p.returncode not in (0, 1):
            text = open(paths["log.yaml"], errors="replace").read()
            problem = problem or f"lava-run failed (exit {p.returncode}): {text.strip()[-300:]}"
        return log, lavalog.results_in_log(log), job_id, problem, {"log": paths["log.yaml"]}


class _Follower:
    """Relays a growing LAVA log as it is written (the phases and the
    device's own progress lines) and keeps its entries, so that the log is
    parsed once."""

    def __init__(self, path, relay):
        self.tail, self.relay, self.log = qemu.LineTail(path), relay, []

    def poll(self, final=False):
        for entry in lavalog.entries("\n".join(self.tail.lines(final))):
            self.log.append(entry)
            self.relay(entry)
