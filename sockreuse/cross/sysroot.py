"""A foreign architecture's Debian userland, unpacked into the project's
cache: what the cross build links against (libnl, GoogleTest, libbpf,
libelf, zlib) and what its rootfs runs (Python with pytest and PyYAML,
busybox, kmod, and every library those load). Fetched with a private apt
configuration of bookworm for that architecture alone (the host's dpkg
architectures and apt sources stay as they are) and unpacked with
`dpkg-deb -x`: no maintainer script runs, nothing is installed.

    .cache/cross/<arch>/apt/       the private apt state
    .cache/cross/<arch>/sysroot/   every package of the closure, unpacked
"""
import glob
import hashlib
import os
import shutil

from sockreuse import files
from sockreuse.kernels import fetch
from sockreuse.kernels import python_set

# The host's own suite: a cross build links with the same versions the
# native one does.
SUITE = "bookworm"
BUILD = ["libnl-3-dev", "libnl-route-3-dev", "libnl-idiag-3-dev", "libgtest-dev", "libbpf-dev",
         "libelf-dev", "zlib1g-dev"]
RUN = ["busybox-static", "kmod", "libstdc++6"]
# Named in a closure but of no use unpacked: maintainer-script machinery, and
# perl (mime-support's mailcap wants it; Python's mimetypes reads only the
# media-types file).
SKIP = {"debconf", "perl-base", "dpkg", "install-info", "tar", "gcc-12-base", "perl",
        "perl-modules-5.36", "libperl5.36", "mailcap"}


def root(arch):
    return os.path.join(fetch.CACHE, "cross", arch.name)


def sysroot(arch):
    return os.path.join(root(arch), "sysroot")


def _apt(arch):
    return os.path.join(root(arch), "apt")


def closure(arch, roots):
    """Every real package `roots` need, by their Depends and Pre-Depends."""
    out = fetch.run(["apt-cache", *fetch.apt_options(arch, _apt(arch)), "depends", "--recurse",
                      "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                      "--no-replaces", "--no-enhances", *roots], "apt-cache depends")
    names = {line.strip() for line in out.splitlines() if line and not line.startswith(" ")}
    return sorted(n.split(":")[0] for n in names if not n.startswith("<") and
                  n.split(":")[0] not in SKIP)


def python_roots():
    """The Python packages the host's rootfs takes, by name: the foreign
    rootfs takes the same."""
    return python_set.python_packages()


def ensure(arch, progress=print):
    """The unpacked sysroot of `arch`, made when absent or when the package
    list changed; returns its path."""
    dest = sysroot(arch)
    roots = sorted(set(BUILD + RUN + python_roots()))
    stamp = os.path.join(root(arch), "sysroot.key")
    key = hashlib.sha256("\n".join(roots + sorted(SKIP)).encode()).hexdigest()
    if os.path.isdir(dest) and os.path.isfile(stamp) and open(stamp).read() == key:
        return dest
    fetch.update_lists([SUITE], arch, _apt(arch))
    packages = closure(arch, roots)
    debs = os.path.join(root(arch), "debs")
    shutil.rmtree(debs, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(debs)
    progress(f"{arch.name}: downloading {len(packages)} packages for the sysroot")
    fetch.run(["apt-get", *fetch.apt_options(arch, _apt(arch)), "download", *packages],
               "apt-get download", cwd=debs)
    for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
        fetch.run(["dpkg-deb", "-x", deb, dest], f"dpkg-deb -x {deb}")
    _absolute_links_inward(dest)
    shutil.rmtree(debs)
    files.write_atomic(stamp, key)
    return dest


def _absolute_links_inward(dest):
    """Debian's -dev packages link libfoo.so to /lib/<triplet>/libfoo.so.N;
    inside a sysroot that points at the host. Such links are made relative."""
    for dirpath, dirnames, names in os.walk(dest):
        for name in names + dirnames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                target = os.readlink(path)
                if target.startswith("/"):
                    os.remove(path)
                    os.symlink(os.path.relpath(dest + target, dirpath), path)
