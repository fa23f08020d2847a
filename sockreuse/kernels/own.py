"""Your own kernel for --kernel PATH: a vmlinuz with its modules folder,
Debian packages (linux-image, or the split linux-binary + linux-modules), or
a kernel build tree. Each becomes the kernel a Debian series gives
(sockreuse/kernels/fetch.py: release, vmlinuz, moddir, base, arch, and the
configuration when there is one), so the guest code does not tell them
apart. What has to be made (a modules.dep, a package's files, a tree's
installed modules) is made under .cache/own/, never beside your files."""
import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

from sockreuse import files
from sockreuse.kernels import fetch, image

OWN = os.path.join(fetch.CACHE, "own")
# Kernels kept prepared: a bisection revisits a few, and each holds a copy
# (or hard links) of a modules tree.
KEEP = 8
IN_USE_S = 2 * 3600

# Where a build tree leaves its image, per architecture (arch/<dir>/boot/).
TREE_IMAGES = ("arch/x86/boot/bzImage", "arch/arm64/boot/Image", "arch/arm64/boot/Image.gz",
               "arch/s390/boot/bzImage")
# The kernel's make wants ARCH for a tree built for another architecture.
MAKE_ARCH = {"x86_64": "x86_64", "arm64": "arm64", "s390x": "s390"}


class OwnKernelError(Exception):
    """Your kernel cannot be used as given; the message says what to do."""


def _key(*parts):
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:16]


def _stamp(path):
    st = os.stat(path)
    return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"


@contextlib.contextmanager
def _own_errors():
    """fetch's helpers fail with FetchError; here the same failure is your
    kernel's (OwnKernelError: exit 4, not a download's)."""
    try:
        yield
    except fetch.FetchError as e:
        raise OwnKernelError(str(e)) from e


def _run(cmd, what):
    with _own_errors():
        return fetch.run(cmd, what)


def _kernel(release, vmlinuz, moddir, source, config=None):
    try:
        arch = image.arch_of(vmlinuz)
    except image.ImageError as e:
        raise OwnKernelError(str(e))
    return {"series": "custom", "arch": arch.name, "release": release,
            "vmlinuz": os.path.abspath(vmlinuz), "moddir": moddir,
            "base": fetch.base_of(moddir),
            "config": config if config and os.path.isfile(config) else None, "source": source}


def _depmod(moddir):
    with _own_errors():
        fetch.depmod(moddir)


def _stage_modules(modules, release, dest):
    """A copy of a modules folder (hard links where the file system allows)
    at dest/lib/modules/<release>, where depmod may write."""
    target = os.path.join(dest, "lib", "modules", release)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    r = subprocess.run(["cp", "-al", modules, target], capture_output=True)
    if r.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(modules, target, symlinks=True)
    return target


def _cached(dest):
    """The kernel a finished preparation left in `dest`, or None."""
    try:
        with open(os.path.join(dest, "kernel.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _prepare(dest, make):
    """The kernel in `dest`, made by make(dest) unless already there; a
    half-made folder from a killed run is made again."""
    done = _cached(dest)
    if done:
        os.utime(dest)
        return done
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    _prune(keep=os.path.basename(dest))
    kernel = make(dest)
    files.write_atomic(os.path.join(dest, "kernel.json"), json.dumps(kernel, indent=1) + "\n")
    return kernel


def _prune(keep):
    """Drops all but the KEEP most recently used prepared kernels, never one
    used within IN_USE_S: another run may be booting it (a guest run,
    the explorer's included, ends within an hour)."""
    now = time.time()
    entries = sorted((e for e in os.scandir(OWN) if e.is_dir() and e.name != keep),
                     key=lambda e: e.stat().st_mtime, reverse=True)
    for entry in entries[KEEP - 1:]:
        if now - entry.stat().st_mtime > IN_USE_S:
            shutil.rmtree(entry.path, ignore_errors=True)


def from_vmlinuz(vmlinuz, modules):
    """A vmlinuz with its lib/modules/<release> folder. A folder with its
    modules.dep, inside a lib/modules/ tree, is used where it is; any other
    gets a copy with a modules.dep made in the cache."""
    modules = os.path.abspath(modules)
    release = os.path.basename(modules.rstrip("/"))
    source = f"vmlinuz {os.path.abspath(vmlinuz)} with modules {modules}"
    in_tree = os.path.basename(os.path.dirname(modules)) == "modules" and \
        os.path.basename(os.path.dirname(os.path.dirname(modules))) == "lib"
    if in_tree and os.path.isfile(os.path.join(modules, "modules.dep")):
        return _kernel(release, vmlinuz, modules, source)

    def make(dest):
        moddir = _stage_modules(modules, release, dest)
        _depmod(moddir)
        return _kernel(release, vmlinuz, moddir, source)
    return _prepare(os.path.join(OWN, "modules-" + _key(_stamp(vmlinuz), _stamp(modules))), make)


def _depends(deb):
    return _run(["dpkg-deb", "-f", deb, "Depends"], f"dpkg-deb -f {deb}")


def with_siblings(debs):
    """`debs` and the kernel packages they depend on found beside them: a
    split kernel's linux-image is a metapackage of linux-binary (the
    image), linux-modules and linux-base (config, modules.builtin)."""
    out, todo = [], list(debs)
    while todo:
        deb = todo.pop(0)
        if deb in out:
            continue
        out.append(deb)
        for name in re.findall(r"(linux-(?:binary|modules|base)-[^\s,(]+)", _depends(deb)):
            found = sorted(glob.glob(os.path.join(os.path.dirname(deb), f"{name}_*.deb")))
            todo += found[-1:]
    return out


def from_debs(debs):
    """Debian kernel packages: linux-image-*.deb (with the packages a split
    kernel's depends on, from the same folder), or linux-binary-*.deb with
    linux-modules-*.deb."""
    debs = with_siblings([os.path.abspath(d) for d in debs])

    def make(dest):
        with _own_errors():
            try:
                release, vmlinuz, moddir = fetch.unpack(debs, os.path.join(dest, "root"))
            except fetch.NoKernelError:
                names = ", ".join(os.path.basename(d) for d in debs)
                wanted = sorted(set(re.findall(r"linux-(?:binary|modules)-[^\s,(]+",
                                               " ".join(map(_depends, debs)))))
                hint = (f"download {', '.join(wanted)} into the same folder" if wanted else
                        "give the image's and the modules' packages: --kernel "
                        "linux-binary-V.deb --modules linux-modules-V.deb")
                raise OwnKernelError(f"{names}: no kernel image with its modules inside; {hint}")
        # Its config lies where a Debian series' does: choose.config_file finds both.
        return _kernel(release, vmlinuz, moddir, "packages " + ", ".join(map(os.path.basename, debs)))
    return _prepare(os.path.join(OWN, "deb-" + _key(*map(_stamp, debs))), make)


def tree_image(tree):
    for rel in TREE_IMAGES:
        path = os.path.join(tree, rel)
        if os.path.isfile(path):
            return path
    raise OwnKernelError(f"{tree}: no kernel image under arch/*/boot/ ({', '.join(TREE_IMAGES)}): "
                         "build it first (make), or give the image itself with --modules")


def tree_release(tree):
    path = os.path.join(tree, "include", "config", "kernel.release")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        raise OwnKernelError(f"{tree}: no include/config/kernel.release: is it a built kernel "
                             "tree? (run make in it)")


def from_tree(tree):
    """A built kernel tree: its image, its .config and its modules, installed
    by the tree's own `make modules_install` into the cache; a kernel with
    everything built in gets a modules folder of its modules.builtin only."""
    tree = os.path.abspath(tree)
    vmlinuz = tree_image(tree)
    release = tree_release(tree)
    config = os.path.join(tree, ".config")
    order = os.path.join(tree, "modules.order")
    has_modules = os.path.isfile(order) and os.path.getsize(order) > 0
    stamps = [_stamp(vmlinuz)] + ([_stamp(order)] if has_modules else [])

    def make(dest):
        if has_modules:
            arch = image.arch_of(vmlinuz).name
            _run(["make", "-C", tree, f"ARCH={MAKE_ARCH[arch]}", f"INSTALL_MOD_PATH={dest}",
                  "modules_install"], f"make modules_install in {tree}")
            found = glob.glob(os.path.join(dest, "lib", "modules", "*")) + \
                glob.glob(os.path.join(dest, "usr", "lib", "modules", "*"))
            if not found:
                raise OwnKernelError(f"make modules_install in {tree} installed nothing")
            moddir = found[0]
            # modules_install runs depmod when it finds one; a tree whose
            # make did not leaves it to here.
            _depmod(moddir)
        else:
            moddir = os.path.join(dest, "lib", "modules", release)
            os.makedirs(moddir)
            for name in ("modules.builtin", "modules.builtin.modinfo"):
                if os.path.isfile(os.path.join(tree, name)):
                    shutil.copy(os.path.join(tree, name), moddir)
            open(os.path.join(moddir, "modules.order"), "a").close()
            _depmod(moddir)
        return _kernel(os.path.basename(moddir), vmlinuz, moddir, f"tree {tree}", config)
    return _prepare(os.path.join(OWN, "tree-" + _key(*stamps)), make)


def prepare(path, modules=None):
    """The kernel dict for --kernel PATH [--modules M], as
    sockreuse.cli.kernel_kind checked them: a tree, a .deb (with a second
    one as M), or a vmlinuz with its modules folder."""
    if os.path.isdir(path):
        return from_tree(path)
    if path.endswith(".deb"):
        return from_debs([path] + ([modules] if modules else []))
    return from_vmlinuz(path, modules)
