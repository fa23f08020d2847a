"""The kernel that --kernel names: a configured series, fetched into the
cache if need be, or your own (a vmlinuz with its modules, packages, a build
tree: sockreuse/kernels/own.py), both checked by sockreuse.cli.kernel_kind."""
import os

from sockreuse import arches
from sockreuse import cli
from sockreuse.errors import EXIT_CANNOT_RUN, RunnerError
from sockreuse.kernels import fetch, own
from sockreuse.progress import fail, say


def kernel_from_args(kernel, modules, conf=None, arch=None):
    """The kernel --kernel names: a configured series (fetched if need be, for
    `arch`, default the host's) or your own."""
    conf = conf or fetch.load_conf()
    try:
        kind = cli.kernel_kind(kernel, modules, list(conf))
    except RunnerError as e:
        fail(str(e), e.code)
    if kind == "own":
        try:
            found = own.prepare(kernel, modules)
        except own.OwnKernelError as e:
            fail(str(e), EXIT_CANNOT_RUN)
        say(f"your kernel: {found['release']} ({found['arch']}), from {found['source']}")
        return found
    try:
        return fetch.fetch(kernel, conf, say, arch)
    except fetch.FetchError as e:
        fail(str(e))


def label(kernel):
    """How progress lines name a kernel: its series, with the architecture
    when it is not the host's ("6.1 arm64"); your own kernel by its release."""
    arch = arches.of_kernel(kernel)
    name = kernel["release"] if kernel["series"] == "custom" else kernel["series"]
    return name if arches.is_host(arch) else f"{name} {arch.name}"


def config_file(kernel):
    """The kernel's configuration file, or None: your kernel's (a tree's
    .config, a package's config), or a Debian package's /boot/config-<release>
    (6.12 and later keep their modules under usr/, so the tree's root is one
    above `base` then) or <moddir>/config (sid's linux-base)."""
    if kernel.get("config"):
        return kernel["config"]
    name = f"config-{kernel['release']}"
    base, moddir = kernel.get("base"), kernel.get("moddir")
    paths = ([os.path.join(base, "boot", name), os.path.join(os.path.dirname(base), "boot", name)]
             if base else []) + ([os.path.join(moddir, "config")] if moddir else [])
    return next((p for p in paths if os.path.isfile(p)), None)
