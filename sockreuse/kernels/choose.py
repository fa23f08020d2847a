"""The kernel that --kernel names: a configured series, fetched into the
cache if need be, or your own vmlinuz with its modules tree (both checked by
sockreuse.cli.kernel_kind)."""
import os

from sockreuse import arches
from sockreuse import cli
from sockreuse.errors import RunnerError
from sockreuse.kernels import fetch
from sockreuse.progress import fail, say


def own_kernel(path, modules):
    modules = os.path.abspath(modules)
    return {"series": "custom", "release": os.path.basename(modules), "vmlinuz": os.path.abspath(path),
            "moddir": modules, "base": os.path.dirname(os.path.dirname(os.path.dirname(modules)))}


def kernel_from_args(kernel, modules, conf=None, arch=None):
    """The kernel --kernel names: a configured series (fetched if need be, for
    `arch`, default the host's) or a vmlinuz with its --modules tree."""
    conf = conf or fetch.load_conf()
    try:
        kind = cli.kernel_kind(kernel, modules, list(conf))
    except RunnerError as e:
        fail(str(e), e.code)
    if kind == "own":
        return own_kernel(kernel, modules)
    try:
        return fetch.fetch(kernel, conf, say, arch)
    except fetch.FetchError as e:
        fail(str(e))


def label(kernel):
    """How progress lines name a kernel: its series, with the architecture
    when it is not the host's ("6.1 arm64")."""
    arch = arches.of_kernel(kernel)
    return kernel["series"] if arches.is_host(arch) else f"{kernel['series']} {arch.name}"
