"""Kernel build trees for the tests, made from Debian's kernels instead of
hours of compiling: what sockreuse reads from a built tree is there as a
build leaves it (the image under arch/x86/boot/, .config,
include/config/kernel.release, modules.order, modules.builtin) and the
Makefile's modules_install target installs the package's modules under
INSTALL_MOD_PATH, as the kernel's own does."""
import os
import shutil

from sockreuse.kernels import choose

MAKEFILE = """\
# Stands in for the kernel's Makefile: only modules_install, honouring
# INSTALL_MOD_PATH as the kernel's does.
MODULES := {moddir}
modules_install:
\tmkdir -p $(INSTALL_MOD_PATH)/lib/modules
\tcp -al $(MODULES) $(INSTALL_MOD_PATH)/lib/modules/{release} 2>/dev/null || \\
\t  cp -a $(MODULES) $(INSTALL_MOD_PATH)/lib/modules/{release}
\tdepmod -b $(INSTALL_MOD_PATH) {release}
"""


def make_tree(tree, kernel, image=None, config=None):
    """A built-tree layout in `tree` for a Debian `kernel` (fetch.fetch's
    dict). `image`: another image file to put in its place (an unbootable
    one); `config`: the .config's text instead of the kernel's own."""
    boot = os.path.join(tree, "arch", "x86", "boot")
    os.makedirs(boot, exist_ok=True)
    os.makedirs(os.path.join(tree, "include", "config"), exist_ok=True)
    bz = os.path.join(boot, "bzImage")
    if os.path.lexists(bz):
        os.remove(bz)
    # A link, not a copy: a git history of trees stays small.
    os.symlink(os.path.abspath(image or kernel["vmlinuz"]), bz)
    with open(os.path.join(tree, "include", "config", "kernel.release"), "w") as f:
        f.write(kernel["release"] + "\n")
    with open(os.path.join(tree, ".config"), "w") as f:
        f.write(config if config is not None else open(choose.config_file(kernel)).read())
    with open(os.path.join(tree, "Makefile"), "w") as f:
        f.write(MAKEFILE.format(moddir=kernel["moddir"], release=kernel["release"]))
    for name in ("modules.order", "modules.builtin"):
        src = os.path.join(kernel["moddir"], name)
        if os.path.isfile(src):
            shutil.copy(src, os.path.join(tree, name))
    return tree


def truncated_image(kernel, path):
    """The kernel's image cut to a quarter: the setup header loads, the
    decompressor finds the payload corrupt and halts, no init ever runs."""
    with open(kernel["vmlinuz"], "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) // 4])
    return path
