"""Debian kernel packages for other series, fetched with a private apt
configuration into .cache/: the host's apt sources, /boot and /lib/modules
are never touched. The archive's address is read from the host's own apt
sources at run time."""
import glob
import json
import os
import re
import shutil
import subprocess
import time

from sockreuse import arches
from sockreuse import files

from sockreuse.paths import REPO
CACHE = os.path.join(REPO, ".cache")
APT_DIR = os.path.join(CACHE, "apt")
KERNELS = os.path.join(CACHE, "kernels")
CONF = os.environ.get("SOCKREUSE_KERNELS_CONF") or os.path.join(REPO, "vm", "kernels.conf")
LISTS_MAX_AGE_S = 24 * 3600


class FetchError(Exception):
    pass


class NoKernelError(FetchError):
    """Packages unpacked, but no kernel image with its modules among them."""


def load_conf(path=CONF):
    with open(path) as f:
        conf = files.yaml_doc(f)
    return {str(k): v for k, v in conf.items()}


def host_archive():
    """(uri, keyring) of the host's Debian archive, from its deb822 or
    one-line sources."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in open(path).read().split("\n\n"):
            fields = dict(re.findall(r"^([\w-]+):\s*(.+)$", stanza, re.M))
            suites = fields.get("Suites", "").split()
            if fields.get("Types", "").startswith("deb") and any(
                    s in ("bookworm", "bookworm-updates") for s in suites):
                return fields["URIs"].split()[0], fields.get(
                    "Signed-By", "/usr/share/keyrings/debian-archive-keyring.gpg")
    for path in ["/etc/apt/sources.list", *glob.glob("/etc/apt/sources.list.d/*.list")]:
        if not os.path.isfile(path):
            continue
        for line in open(path):
            m = re.match(r"^deb\s+(\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if m:
                return m.group(2), "/usr/share/keyrings/debian-archive-keyring.gpg"
    raise FetchError("cannot find the Debian archive in the host's apt sources "
                     "(/etc/apt/sources.list*)")


def apt_dir(arch=None):
    """The private apt state for `arch`'s kernels: the host's architecture
    keeps .cache/apt, another has its own (one architecture's lists each, so
    that a host-only run never downloads the others')."""
    arch = arch or arches.host()
    return APT_DIR if arches.is_host(arch) else f"{APT_DIR}-{arch.name}"


def apt_options(arch=None, where=None):
    """apt's options for the private configuration in `where` (default:
    apt_dir(arch)), listing `arch`'s packages only."""
    arch = arch or arches.host()
    d = where or apt_dir(arch)
    return ["-o", f"Dir::Etc::SourceList={d}/sources.list",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={d}/lists",
            "-o", f"Dir::Cache={d}/cache",
            "-o", f"Dir::State::Status={d}/status",
            "-o", "Dir::Etc::Preferences=/dev/null",
            "-o", f"Dir::Etc::PreferencesParts={d}/preferences.d",
            "-o", f"APT::Architecture={arch.debian}",
            "-o", f"APT::Architectures::={arch.debian}",
            "-o", "Debug::NoLocking=1"]


def run(cmd, what, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        raise FetchError(f"{what} failed: {(r.stderr or r.stdout).strip()[-400:]}")
    return r.stdout


def update_lists(suites, arch=None, where=None):
    """The private lists of `suites` for `arch`, fetched again when the
    sources changed or are a day old."""
    d = where or apt_dir(arch)
    uri, keyring = host_archive()
    for sub in ("lists/partial", "cache/archives/partial", "preferences.d"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    open(os.path.join(d, "status"), "a").close()
    sources = "".join(f"deb [signed-by={keyring}] {uri} {s} main\n" for s in sorted(set(suites)))
    path = os.path.join(d, "sources.list")
    old = open(path).read() if os.path.isfile(path) else ""
    stamp = os.path.join(d, "updated")
    fresh = os.path.isfile(stamp) and time.time() - os.path.getmtime(stamp) < LISTS_MAX_AGE_S
    if old == sources and fresh:
        return
    files.write_atomic(path, sources)
    run(["apt-get", *apt_options(arch, d), "update", "-qq"], "private apt-get update")
    files.write_atomic(stamp, "")


def package_pattern(entry, arch):
    return entry["package"].replace("{flavour}", arch.flavour)


def arches_of(entry):
    """The architectures Debian builds a series' kernel for (vm/kernels.conf)."""
    return [arches.ARCHES[name] for name in entry["arches"]]


def candidates(series, entry, arch):
    """The packages of a series for `arch`, newest first."""
    names = run(["apt-cache", *apt_options(arch), "pkgnames", "linux-image-"],
                 "apt-cache pkgnames")
    pattern = package_pattern(entry, arch)
    rx = re.compile("^" + pattern + "$")
    # The newest version; of one version's packages the longer name (arm64's
    # -unsigned beside the signed one).
    found = sorted((n for n in names.split() if rx.match(n)),
                   key=lambda n: ([int(x) for x in re.findall(r"\d+", n)], len(n)))
    if not found:
        raise FetchError(f"no package in Debian {entry['suite']} for {arch.name} matches "
                         f"{pattern} (has the suite moved to another kernel?): "
                         "update that line of vm/kernels.conf")
    return found[::-1]


def newest(series, entry, arch):
    return candidates(series, entry, arch)[0]


def with_kernel_depends(package, arch):
    """The image package plus the packages it splits into (7.2: binary,
    modules, and base with the config and modules.builtin)."""
    out = run(["apt-cache", *apt_options(arch), "depends", package],
               f"apt-cache depends {package}")
    deps = re.findall(r"Depends: (linux-(?:binary|modules|image|base)-\S+)", out)
    return [package, *deps]


def locate(root):
    """(release, vmlinuz, modules dir) inside an extracted package tree."""
    for moddir in sorted(glob.glob(os.path.join(root, "lib/modules/*")) +
                         glob.glob(os.path.join(root, "usr/lib/modules/*"))):
        release = os.path.basename(moddir)
        for vmlinuz in (os.path.join(root, "boot", f"vmlinuz-{release}"),
                        os.path.join(moddir, "vmlinuz")):
            if os.path.isfile(vmlinuz):
                return release, vmlinuz, moddir
    raise NoKernelError(f"no vmlinuz with a modules directory under {root}")


def base_of(moddir):
    """The tree above lib/modules/<release>: what depmod and modprobe take as -b/-d."""
    return os.path.dirname(os.path.dirname(os.path.dirname(moddir)))


def depmod(moddir):
    """A modules.dep for a modules folder that has none (Debian's packages
    leave it to their postinst)."""
    if not os.path.isfile(os.path.join(moddir, "modules.dep")):
        release = os.path.basename(moddir)
        run(["depmod", "-b", base_of(moddir), release], f"depmod for {release}")


def unpack(debs, root):
    """Kernel packages extracted into `root`: (release, vmlinuz, modules
    dir), the modules with their modules.dep."""
    for deb in debs:
        run(["dpkg-deb", "-x", deb, root], f"dpkg-deb -x {deb}")
    release, vmlinuz, moddir = locate(root)
    depmod(moddir)
    return release, vmlinuz, moddir


def kernel_dir(series, arch=None):
    """Where a series' kernel is kept: .cache/kernels/SERIES for the host's
    architecture (as before architectures were a dimension), SERIES-ARCH else."""
    arch = arch or arches.host()
    return os.path.join(KERNELS, series if arches.is_host(arch) else f"{series}-{arch.name}")


def cached(series, arch=None):
    """The cached kernel of a series, or None when there is none or its files
    are gone (a cache copied from another checkout points into that one)."""
    try:
        with open(os.path.join(kernel_dir(series, arch), "kernel.json")) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if os.path.isfile(info.get("vmlinuz", "")) and os.path.isdir(info.get("moddir", "")):
        return info
    return None


def download(series, entry, arch, dest, debs, progress):
    """Downloads the newest package set of the series that the archive
    serves: a mirror's lists can name a version its pool no longer (or not
    yet) holds. Returns the image package's name."""
    tried = []
    for package in candidates(series, entry, arch)[:3]:
        packages = with_kernel_depends(package, arch)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(debs)
        progress(f"{series} {arch.name}: downloading {', '.join(packages)}")
        try:
            run(["apt-get", *apt_options(arch), "download", *packages], "apt-get download",
                 cwd=debs)
            return package
        except FetchError as e:
            tried.append(package)
            if "404" not in str(e):
                raise
            progress(f"{series} {arch.name}: the archive lists {package} but does not serve it "
                     "(404); trying the version before")
    raise FetchError(f"the archive serves none of {', '.join(tried)} (404): try again later, "
                     f"or remove {apt_dir(arch)}/updated to read its lists again")


def check_shipped(series, conf, arch):
    if series not in conf:
        raise FetchError(f"unknown kernel series '{series}' (configured: "
                         f"{', '.join(conf)}; see vm/kernels.conf)")
    if arch.name not in conf[series]["arches"]:
        raise FetchError(f"Debian ships no {arch.name} kernel for series {series} (its "
                         f"architectures: {', '.join(conf[series]['arches'])}; vm/kernels.conf)")


def fetch(series, conf, progress=print, arch=None):
    """Returns {"series", "arch", "release", "vmlinuz", "moddir", "base",
    "package"}, downloading and extracting only what the cache does not
    already hold."""
    arch = arch or arches.host()
    check_shipped(series, conf, arch)
    dest = kernel_dir(series, arch)
    info_path = os.path.join(dest, "kernel.json")
    info = cached(series, arch)
    if info:
        info.setdefault("arch", arch.name)
        return info
    update_lists([v["suite"] for v in conf.values() if arch.name in v["arches"]], arch)
    debs = os.path.join(dest, "debs")
    root = os.path.join(dest, "root")
    package = download(series, conf[series], arch, dest, debs, progress)
    release, vmlinuz, moddir = unpack(sorted(glob.glob(os.path.join(debs, "*.deb"))), root)
    for deb in glob.glob(os.path.join(debs, "*.deb")):
        os.remove(deb)  # the extracted tree is what is kept
    info = {"series": series, "arch": arch.name, "release": release, "vmlinuz": vmlinuz, "moddir": moddir,
            "base": base_of(moddir), "package": package}
    files.write_atomic(info_path, json.dumps(info, indent=1) + "\n")
    return info
