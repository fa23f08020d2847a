"""Booting a kernel under QEMU with the rootfs, running the suite in it, landing its results."""
