"""A minimal initramfs for a guest kernel: busybox, the guest kernel's own
modules that the suite and the 9p mounts need (decompressed, in load order),
and an init that runs the suite in the host root, shared read-only."""
import glob
import gzip
import lzma
import os
import shlex
import shutil
import stat
import subprocess
import tempfile

# Suite processes side by side in a guest: setup there mostly waits on the
# kernel's link watcher, not on the two vCPUs.
GUEST_JOBS = 12

# 9p and virtio to reach the host root; veth and inet_diag for the suite.
MODULES = ["virtio_pci", "9pnet_virtio", "9p", "veth", "inet_diag", "tcp_diag", "udp_diag"]

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "sockreuse-guest: $*"; }
halt() { sync; echo o > /proc/sysrq-trigger; sleep 60; }
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null || say "insmod $m failed"; done
say "up $(uname -r)"
if grep -q sockreuse.probe /proc/cmdline; then say "probe ok"; halt; fi
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || { say "cannot mount the host root"; halt; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "/host@RESULTS@" || { say "cannot mount the results share"; halt; }
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount --bind /dev /host/dev
mount -t tmpfs tmpfs /host/run
chroot /host /bin/sh -c @SUITE@
echo $? > "/host@RESULTS@/.exit-$(uname -r)"
say "done"
halt
"""


def suite_command(repo, results_dir, runner_args):
    """The shell command that runs the suite inside the guest's chroot, quoted
    for init's `sh -c`: each runner argument reaches pytest as one word."""
    words = ["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q",
             "--color=no", "--jobs", str(GUEST_JOBS), "--suite-bin", "build/sockreuse_suite",
             *runner_args]
    if runner_args[:1] == ["--explore"]:  # the explorer, one shard per vCPU
        words = ["/usr/bin/python3", "explore/run.py", "-j", "1", *runner_args[1:]]
    inner = (f"cd {shlex.quote(repo)} && exec env TMPDIR=/run HOME=/run PYTHONDONTWRITEBYTECODE=1 "
             + " ".join(shlex.quote(w) for w in words)
             + f' --results-dir {shlex.quote(results_dir)}/"$(uname -r)"')
    return shlex.quote(inner)


def init_script(repo, results_dir, runner_args):
    return (INIT.replace("@RESULTS@", results_dir)
            .replace("@SUITE@", suite_command(repo, results_dir, runner_args)))


def module_files(kernel):
    """Module files in load order, each once, from modprobe --show-depends on
    the guest's tree; built-in or absent modules are skipped."""
    order = []
    for mod in MODULES:
        r = subprocess.run(["modprobe", "-d", kernel["base"], "-S", kernel["release"],
                            "--show-depends", mod], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in order:
                order.append(parts[1])
    return order


def build(kernel, out_path, repo, results_dir, runner_args):
    busybox = shutil.which("busybox")
    if not busybox:
        raise RuntimeError("busybox is not installed: apt-get install busybox-static")
    with tempfile.TemporaryDirectory() as stage:
        for d in ("bin", "proc", "sys", "dev", "mods", "host"):
            os.makedirs(os.path.join(stage, d))
        shutil.copy(busybox, os.path.join(stage, "bin", "busybox"))
        names = []
        for i, path in enumerate(module_files(kernel)):
            name = f"{i:02d}-{os.path.basename(path).split('.ko')[0]}.ko"
            data = open(path, "rb").read()
            if path.endswith(".xz"):
                data = lzma.decompress(data)
            elif path.endswith(".zst"):
                raise RuntimeError(f"{path}: zstd modules are not supported yet")
            with open(os.path.join(stage, "mods", name), "wb") as f:
                f.write(data)
            names.append(name)
        with open(os.path.join(stage, "mods", "order"), "w") as f:
            f.write("\n".join(names) + "\n")
        init = init_script(repo, results_dir, runner_args)
        init_path = os.path.join(stage, "init")
        with open(init_path, "w") as f:
            f.write(init)
        os.chmod(init_path, os.stat(init_path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        files = subprocess.run(["find", "."], cwd=stage, capture_output=True, text=True).stdout
        cpio = subprocess.run([busybox, "cpio", "-o", "-H", "newc"], cwd=stage, input=files.encode(),
                              capture_output=True, check=True).stdout
    with gzip.open(out_path, "wb", compresslevel=1) as f:
        f.write(cpio)
    return names
