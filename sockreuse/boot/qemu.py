"""Booting a guest kernel under QEMU: KVM where it really works (probed with
a short bounded boot), TCG otherwise. Every qemu process dies with its
parent and is killed at its time limit."""
import ctypes
import functools
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from sockreuse import arches
from sockreuse import files

PR_SET_PDEATHSIG = 1
PROBE_TIMEOUT_S = 20


def die_with_parent():
    """preexec_fn: a child that outlives a killed run is killed with it."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class LineTail:
    """The complete lines a growing file has gained since the last call; a
    last line without its newline waits for the next call, or for final."""

    def __init__(self, path):
        self.path, self.seen, self.partial = path, 0, b""

    def lines(self, final=False):
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(self.seen)
            chunk = f.read()
        self.seen += len(chunk)
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        if final and self.partial:
            lines.append(self.partial)
            self.partial = b""
        return [line.decode(errors="replace") for line in lines]


# The suite needs little memory; the explorer's driver holds every outcome of
# 1.66M sequences, and its work files live in the ramdisk: at 1 GiB the
# kernel killed it (exit 137) after the triples ran.
MEMORY = "1G"
EXPLORE_MEMORY = "3G"


# mitigations=off: the CPU-vulnerability defences (page-table isolation on
# every kernel entry, retpolines) are not under test, and under TCG they cost
# a case about a quarter of its time (docs/measurements.md,
# bench/guest_setup.py); nothing a case observes depends on them.
CMDLINE = "panic=-1 quiet mitigations=off"


# CPU features an older QEMU's TCG gets wrong, off before the first version
# seen to get them right: {arch: (that version, the -cpu value before it)}.
# s390x's vector facility under QEMU 7.2 (bookworm's): kernels whose
# csum_partial() uses vector instructions (6.12 and 7.2 here, not 6.1) put
# wrong checksums on the packets they checksum in software (resets, ICMP
# errors), which the receiver drops; with vx off they take the scalar CKSM
# path, and QEMU 10.0.2 runs the vector path right
# (docs/findings.md#qemu-7-2-s390x-vector-checksum).
TCG_CPU_BEFORE = {"s390x": ("10.0.2", "max,vx=off")}


@functools.lru_cache(maxsize=None)
def version(binary):
    """QEMU's version as a tuple of ints, (0,) when it cannot be read."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return (0,)
    m = re.search(r"version (\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else (0,)


def tcg_cpu(arch):
    """(the -cpu value for a TCG guest of `arch`, why it is not the usual
    one or None)."""
    usual = arch.machine[arch.machine.index("-cpu") + 1]
    if arch.name in TCG_CPU_BEFORE:
        right, cpu = TCG_CPU_BEFORE[arch.name]
        have = version(arch.qemu)
        if have < tuple(int(x) for x in right.split(".")[:2]):
            return cpu, (f"{cpu}: QEMU {'.'.join(map(str, have))} miscomputes {arch.name}'s "
                         f"vector checksums ({right} was seen to run them right)")
    return usual, None


def cmdline(arch, extra=""):
    return f"console={arch.console} {CMDLINE} {extra}".strip()


def accel_args(arch, accel):
    """QEMU's accelerator, machine and CPU arguments for a guest of `arch`:
    KVM only ever runs the host's own architecture."""
    if accel == "kvm" and arches.is_host(arch):
        return ["-enable-kvm", "-cpu", "host"]
    machine = list(arch.machine)
    machine[machine.index("-cpu") + 1] = tcg_cpu(arch)[0]
    return ["-accel", "tcg", *machine]


def command(kernel, initrd, accel, console, cpus=1, cmdline_extra="", memory=MEMORY):
    """The guest talks to the host only over its serial console (a file):
    no disks, no shares, no network. cpus: sockreuse/boot/guest.py's guest_cpus().
    The kernel's architecture (its "arch", default the host's) picks the
    emulator, machine and console; KVM only ever runs the host's own."""
    arch = arches.of_kernel(kernel)
    return [arch.qemu, *accel_args(arch, accel), "-m", memory, "-smp", str(cpus), "-no-reboot",
            "-display", "none", "-monitor", "none", "-serial", f"file:{console}",
            "-nic", "none", "-kernel", kernel["vmlinuz"], "-initrd", initrd,
            "-append", cmdline(arch, cmdline_extra)]


BOOTED = "sockreuse-guest: up"


def run(cmd, timeout_s, console=None, on_line=None, boot_timeout_s=None):
    """Runs qemu; returns (exit code or None on timeout, seconds, stderr,
    seconds until the guest's init reported in on the console). Each complete
    console line goes to on_line as it appears. With boot_timeout_s, a guest
    whose init has not reported in by then is killed as one that did not
    boot (boot time None), not left to the whole run's bound."""
    t0 = time.monotonic()
    booted = None
    tail = LineTail(console) if console else None

    def follow():
        nonlocal booted
        for line in tail.lines() if tail else []:
            line = line.rstrip("\r")
            if booted is None and BOOTED in line:
                booted = time.monotonic() - t0
            if on_line:
                on_line(line)

    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, preexec_fn=die_with_parent)
        try:
            while p.poll() is None:
                if time.monotonic() - t0 > timeout_s:
                    raise subprocess.TimeoutExpired(cmd, timeout_s)
                if boot_timeout_s and booted is None and time.monotonic() - t0 > boot_timeout_s:
                    raise subprocess.TimeoutExpired(cmd, boot_timeout_s)
                follow()
                time.sleep(0.2)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            p.kill()
            p.wait()
            follow()
            return None, time.monotonic() - t0, "", booted
        follow()
        err.seek(0)
        return p.returncode, time.monotonic() - t0, err.read().decode(errors="replace"), booted


def _probe_key():
    """What decides whether KVM can run a stock kernel here: the host kernel
    (and its hypervisor) and the QEMU build."""
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                             text=True).stdout
    except FileNotFoundError:
        out = ""
    return f"{os.uname().release} | {out.splitlines()[0] if out else '?'}"


def probe_command(kernel, initrd, console):
    """The probe's guest: one vCPU under KVM, told to report and power off
    ("sockreuse.probe" on its command line, read by vm/guest/init)."""
    return command(kernel, initrd, "kvm", console, cpus=1, cmdline_extra="sockreuse.probe")


def probe_kvm(kernel, make_initrd, workdir):
    """'kvm' if a guest boots to init under KVM within the bound, else 'tcg'.
    SOCKREUSE_ACCEL=kvm|tcg skips the probe. A failed probe is remembered for
    this host kernel and QEMU build, since it costs the whole bound each time;
    a working KVM answers within seconds, so success is probed every run.
    make_initrd() builds the probe's initramfs and returns its path; it runs
    only when a probe boot is needed."""
    forced = os.environ.get("SOCKREUSE_ACCEL")
    if forced in ("kvm", "tcg"):
        return forced, "SOCKREUSE_ACCEL"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "no usable /dev/kvm"
    memo = os.path.join(workdir, "kvm-probe.json")
    key = _probe_key()
    try:
        with open(memo) as f:
            past = json.load(f)
        if past.get("key") == key:
            return "tcg", f"{past['why']}, on an earlier run (remove {memo} to probe again)"
    except (OSError, ValueError, KeyError):
        pass
    console = os.path.join(workdir, "kvm-probe.log")
    rc, secs, err, _ = run(probe_command(kernel, make_initrd(), console), PROBE_TIMEOUT_S)
    text = open(console, errors="replace").read() if os.path.exists(console) else ""
    if "probe ok" in text:
        return "kvm", f"KVM guest booted in {secs:.1f} s"
    why = "hung" if rc is None else (err.strip().splitlines() or [f"exit {rc}"])[-1]
    why = f"KVM probe failed ({why[:120]})"
    files.write_atomic(memo, json.dumps({"key": key, "why": why}))
    return "tcg", f"{why}: using TCG"
