"""The architectures a guest can run: the one place that knows, for each,
its Debian name, GNU triplet, kernel flavour, QEMU machine and console, and
byte order. --arch takes the names here; `all` means every one.

Guests of the host's own architecture use what they always did (the host's
files, build/, .cache/kernels/SERIES); a foreign one is cross-built against
a sysroot of the target's Debian packages (sockreuse/cross/) and booted
under TCG, which is all this machine has for it."""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Arch:
    name: str  # what --arch takes, and `uname -m` in its guests
    debian: str  # dpkg's architecture name
    triplet: str  # GNU triplet: the cross compiler's prefix and multiarch folder
    flavour: str  # a pattern for its kernel packages' suffix (vm/kernels.conf's {flavour})
    qemu: str  # the system emulator
    qemu_package: str
    machine: tuple  # QEMU's machine and CPU arguments under TCG
    console: str  # the kernel's serial console device
    big_endian: bool
    interpreter: str  # the dynamic loader's path, for the rootfs

    @property
    def bpf_target(self):
        return "bpfeb" if self.big_endian else "bpfel"


# arm64's kernel is arm64-unsigned up to 6.12 (the signed one is an EFI image
# for Secure Boot) and arm64 in 7.2, which has no unsigned package any more.
ARCHES = {a.name: a for a in (
    Arch("x86_64", "amd64", "x86_64-linux-gnu", "amd64", "qemu-system-x86_64", "qemu-system-x86",
         ("-cpu", "max"), "ttyS0", False, "/lib64/ld-linux-x86-64.so.2"),
    # -M virt with the PL011 UART as console. pauth-impdef: QEMU's own pointer
    # authentication hash instead of the architected QARMA, which TCG spends
    # much of its time computing; nothing the suite observes depends on it.
    Arch("arm64", "arm64", "aarch64-linux-gnu", r"arm64(-unsigned)?", "qemu-system-aarch64",
         "qemu-system-arm", ("-M", "virt", "-cpu", "max,pauth-impdef=on"), "ttyAMA0", False,
         "/lib/ld-linux-aarch64.so.1"),
    # Big-endian: where a byte-order mistake, the kernel's or the suite's, shows.
    Arch("s390x", "s390x", "s390x-linux-gnu", "s390x", "qemu-system-s390x", "qemu-system-misc",
         ("-M", "s390-ccw-virtio", "-cpu", "max"), "ttysclp0", True, "/lib/ld64.so.1"),
)}
_BY_UNAME = {"x86_64": "x86_64", "aarch64": "arm64", "s390x": "s390x"}


class ArchError(Exception):
    pass


def host():
    machine = os.uname().machine
    if machine not in _BY_UNAME:
        raise ArchError(f"this host's architecture {machine} is not one sockreuse knows "
                        f"({', '.join(ARCHES)})")
    return ARCHES[_BY_UNAME[machine]]


def name_of_machine(machine):
    """--arch's name for a `uname -m`, "?" when there is none."""
    return _BY_UNAME.get(machine, machine or "?")


def of_kernel(kernel):
    """The architecture a kernel (sockreuse.kernels.fetch's dict) names by
    its "arch"; a kernel of your own, which names none, is the host's."""
    return ARCHES[kernel["arch"]] if kernel.get("arch") else host()


def is_host(arch):
    return arch.name == host().name


def parse(text):
    """--arch's value as a list of Arch: one name, or `all`."""
    if text == "all":
        return list(ARCHES.values())
    if text not in ARCHES:
        raise ArchError(f"unknown architecture '{text}' (known: {', '.join(ARCHES)}, or all)")
    return [ARCHES[text]]
