"""Kernel modules: the one list of what the suite needs from a kernel beyond
booting with a serial console, and the archive of those modules (with their
dependencies) for one kernel, appended to the rootfs as a second cpio.

The rootfs loads the list with modprobe from /lib/modules/$(uname -r), so it
works the same with this archive (local guests, LAVA's QEMU device) and with
a lab's own modules tarball that LAVA unpacks into the ramdisk (boards)."""
import os
import shutil
import subprocess
import tempfile

from sockreuse import arches
from sockreuse.kernels import cpio

# What the suite itself needs (vrf: the VRF corner cases). Add a module here
# and every guest, rootfs and LAVA job loads it.
SUITE = ["veth", "inet_diag", "tcp_diag", "udp_diag", "vrf"]

# What LAVA's QEMU device needs to hand over the test overlay, per
# architecture: an ext2 disk image that the ramdisk must be able to mount, on
# the bus the job's context names (sockreuse/lava/lavajob.py). Loaded only
# when the rootfs boots for LAVA.
LAVA_OVERLAY_DISK = {
    # The pc machine: IDE (`-drive if=ide`, LAVA's default) or virtio where a
    # device says so.
    "x86_64": ["ata_piix", "sd_mod", "virtio_pci", "virtio_blk", "ext4"],
    # virt has no IDE: virtio-blk on its PCI bus.
    "arm64": ["virtio_pci", "virtio_blk", "ext4"],
    # s390-ccw-virtio: virtio-blk on the channel subsystem, whose virtio_ccw
    # Debian builds into the kernel.
    "s390x": ["virtio_blk", "ext4"],
}

# depmod's inputs beside the modules themselves: which modules are built in,
# so that modprobe of a built-in module succeeds.
_INDEX_FILES = ("modules.builtin", "modules.builtin.bin", "modules.builtin.modinfo",
                "modules.order")


class ModuleError(Exception):
    pass


def files(kernel, names):
    """Module files of `kernel` for `names` and their dependencies, in load
    order, each once; built-in and absent modules have none."""
    order = []
    for mod in names:
        r = subprocess.run(["modprobe", "-d", kernel["base"], "-S", kernel["release"],
                            "--show-depends", mod], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in order:
                order.append(parts[1])
    return order


def archive(kernel, names=None):
    """A newc cpio (uncompressed bytes) holding `names` (default: the suite's
    and LAVA's overlay disk modules) of `kernel` with a modules.dep of their
    own, at /usr/lib/modules/<release>/ (the rootfs links /lib to /usr/lib)."""
    names = names or SUITE + LAVA_OVERLAY_DISK[arches.of_kernel(kernel).name]
    moddir = kernel["moddir"]
    release = kernel["release"]
    with tempfile.TemporaryDirectory(prefix="sockreuse-modules-") as stage:
        dest = os.path.join(stage, "lib", "modules", release)
        os.makedirs(dest)
        found = files(kernel, names)
        if not found and not os.path.isfile(os.path.join(moddir, "modules.builtin")):
            raise ModuleError(f"none of {', '.join(names)} is a module of {release} in {moddir}")
        for path in found:
            rel = os.path.relpath(path, moddir)
            if rel.startswith(".."):
                raise ModuleError(f"{path} is outside {moddir}")
            os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
            shutil.copy(path, os.path.join(dest, rel))
        for name in _INDEX_FILES:
            if os.path.isfile(os.path.join(moddir, name)):
                shutil.copy(os.path.join(moddir, name), dest)
        r = subprocess.run(["depmod", "-b", stage, release], capture_output=True, text=True)
        if r.returncode != 0:
            raise ModuleError(f"depmod for the modules of {release} failed: "
                              f"{r.stderr.strip()[-300:]}")
        return cpio.archive(os.path.join(stage, "lib"), prefix="usr/lib")
