"""The kernel that --kernel names: a configured series, fetched into the
cache if need be, or your own vmlinuz with its modules tree."""
import os

from sockreuse.kernels import fetch
from sockreuse.progress import fail, say


def own_kernel(path, modules):
    if not os.path.isfile(path):
        fail(f"--kernel {path}: no such file (give a vmlinuz, or a series from vm/kernels.conf)")
    if not modules or not os.path.isdir(modules):
        fail("--kernel PATH needs --modules DIR, the lib/modules/<release> tree of that kernel")
    modules = os.path.abspath(modules)
    if not os.path.isfile(os.path.join(modules, "modules.dep")):
        fail(f"{modules} has no modules.dep: run depmod -b <tree above lib/modules> <release>")
    return {"series": "custom", "release": os.path.basename(modules), "vmlinuz": os.path.abspath(path),
            "moddir": modules, "base": os.path.dirname(os.path.dirname(os.path.dirname(modules)))}


def kernel_from_args(kernel, modules, conf=None):
    """The kernel --kernel names: a configured series (fetched if need be) or
    a vmlinuz with its --modules tree."""
    conf = conf or fetch.load_conf()
    if kernel in conf:
        try:
            return fetch.fetch(kernel, conf, say)
        except fetch.FetchError as e:
            fail(str(e))
    if os.sep in kernel or os.path.exists(kernel):
        return own_kernel(kernel, modules)
    fail(f"unknown kernel series '{kernel}' (configured: {', '.join(conf)}; "
         "or give a path to a vmlinuz with --modules DIR)")
