"""--kernel with your own kernel (sockreuse/kernels/own.py): a vmlinuz whose
modules folder has no modules.dep, Debian packages (split as sid ships
them), a build tree; the architecture read from the image. Made from
Debian's 6.1 kernel (fetched into the cache if need be); no guest boots
here (tests/vm/test_bisect.py boots trees)."""
import glob
import json
import os
import shutil
import subprocess
import time

import pytest

from sockreuse.kernels import choose, fetch, image, own
from tests.vm import kernel_trees

ROOT = fetch.REPO


@pytest.fixture(scope="module")
def debian():
    return fetch.fetch("6.1", fetch.load_conf(), lambda line: None)


def header(at, magic, size=0x400, start=b""):
    data = bytearray(size)
    data[:len(start)] = start
    data[at:at + len(magic)] = magic
    return bytes(data)


@pytest.mark.parametrize("data,arch", [
    (header(0x202, b"HdrS", start=b"MZ"), "x86_64"),
    (header(0x38, b"ARM\x64", start=b"MZ"), "arm64"),
    (header(8, b"\x02\x00\x00\x18", start=b"\x00\x08\x00\x00\x80\x00\x02\x00"), "s390x"),
])
def test_the_architecture_comes_from_the_image_header(tmp_path, data, arch):
    path = tmp_path / "vmlinuz"
    path.write_bytes(data)
    assert image.arch_of(str(path)).name == arch


def test_every_cached_debian_image_reads_as_its_own_architecture():
    for path in glob.glob(os.path.join(fetch.KERNELS, "*", "kernel.json")):
        with open(path) as f:
            info = json.load(f)
        if os.path.isfile(info["vmlinuz"]):
            assert image.arch_of(info["vmlinuz"]).name == info.get("arch", "x86_64"), info


def test_a_file_that_is_no_kernel_is_one_clear_error(tmp_path):
    path = tmp_path / "vmlinuz"
    path.write_text("not a kernel")
    with pytest.raises(image.ImageError, match="is not a kernel image this suite can boot"):
        image.arch_of(str(path))


def small_modules(debian, dest):
    """A copy of two of the kernel's modules, as a folder without modules.dep."""
    moddir = os.path.join(dest, debian["release"])
    for name in ("veth", "vrf"):
        src = subprocess.run(["modinfo", "-b", debian["base"], "-k", debian["release"], "-n",
                              name], capture_output=True, text=True, check=True).stdout.strip()
        rel = os.path.relpath(src, debian["moddir"])
        os.makedirs(os.path.join(moddir, os.path.dirname(rel)), exist_ok=True)
        shutil.copy(src, os.path.join(moddir, rel))
    return moddir


def test_a_modules_folder_without_modules_dep_gets_one_in_the_cache(debian, tmp_path):
    moddir = small_modules(debian, str(tmp_path))
    kernel = own.prepare(debian["vmlinuz"], moddir)
    assert not os.path.exists(os.path.join(moddir, "modules.dep")), "your folder is left alone"
    assert kernel["moddir"].startswith(own.OWN)
    assert "veth.ko" in open(os.path.join(kernel["moddir"], "modules.dep")).read()
    assert (kernel["release"], kernel["arch"]) == (debian["release"], "x86_64")


def deb(root, name, depends=None):
    """A Debian package of the files in `root`."""
    os.makedirs(os.path.join(root, "DEBIAN"), exist_ok=True)
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {name}\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@example.org>\n"
                f"Description: test\n" + (f"Depends: {depends}\n" if depends else ""))
    out = os.path.join(os.path.dirname(root), f"{name}_1_amd64.deb")
    subprocess.run(["dpkg-deb", "-Zgzip", "-z1", "--build", "--root-owner-group", root, out],
                   check=True, capture_output=True)
    return out


def test_a_split_kernel_is_found_from_its_linux_image_package(debian, tmp_path):
    """sid's layout: linux-image is a metapackage; the image is in
    linux-binary, the modules in linux-modules, config in linux-base."""
    rel = debian["release"]
    where = f"usr/lib/modules/{rel}"
    binary, modules, base = (str(tmp_path / n) for n in ("binary", "modules", "base"))
    os.makedirs(os.path.join(binary, where))
    shutil.copy(debian["vmlinuz"], os.path.join(binary, where, "vmlinuz"))
    small_modules(debian, os.path.join(modules, "usr/lib/modules"))
    os.makedirs(os.path.join(base, where))
    shutil.copy(choose.config_file(debian), os.path.join(base, where, "config"))
    debs = [deb(binary, f"linux-binary-{rel}", f"linux-base-{rel} (= 1)"),
            deb(modules, f"linux-modules-{rel}", f"kmod, linux-base-{rel} (= 1)"),
            deb(base, f"linux-base-{rel}")]
    image_deb = deb(str(tmp_path / "image"), f"linux-image-{rel}",
                    f"initramfs-tools | linux-initramfs-tool, linux-base-{rel} (= 1), "
                    f"linux-binary-{rel} (= 1), linux-modules-{rel} (= 1)")
    kernel = own.prepare(image_deb)
    assert kernel["release"] == rel and kernel["arch"] == "x86_64"
    config = choose.config_file(kernel)  # linux-base's, found as a Debian series' is
    assert config and open(config).read().startswith("#")
    assert "vrf.ko" in open(os.path.join(kernel["moddir"], "modules.dep")).read()
    # The image package alone, its siblings missing: what to download.
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(image_deb, lonely)
    with pytest.raises(own.OwnKernelError, match=f"download linux-binary-{rel}, "
                                                 f"linux-modules-{rel} into the same folder"):
        own.prepare(str(lonely / os.path.basename(image_deb)))
    # The two packages given directly.
    assert own.prepare(debs[0], debs[1])["release"] == rel


def test_a_build_tree_installs_its_modules_with_its_own_make(debian, tmp_path):
    tree = kernel_trees.make_tree(str(tmp_path / "linux"), debian)
    kernel = own.prepare(tree)
    assert kernel["release"] == debian["release"] and kernel["config"] == f"{tree}/.config"
    assert kernel["moddir"].startswith(own.OWN)
    assert os.path.isfile(os.path.join(kernel["moddir"], "kernel", "drivers", "net", "veth.ko"))
    assert not os.path.exists(os.path.join(tree, "lib")), "nothing is installed into the tree"


def test_a_tree_without_an_image_or_release_says_to_build_it(tmp_path):
    with pytest.raises(own.OwnKernelError, match="no kernel image under arch/"):
        own.prepare(str(tmp_path))
    boot = tmp_path / "arch" / "x86" / "boot"
    boot.mkdir(parents=True)
    (boot / "bzImage").write_text("")
    with pytest.raises(own.OwnKernelError, match="no include/config/kernel.release"):
        own.prepare(str(tmp_path))


def test_a_tree_without_veth_is_refused_before_booting(debian, tmp_path):
    """Exit 4 naming the option; 125 in a bisection (the commit cannot be
    tested, it is not bad)."""
    config = "".join(line for line in open(choose.config_file(debian))
                     if not line.startswith("CONFIG_VETH="))
    tree = kernel_trees.make_tree(str(tmp_path / "linux"), debian, config=config)
    for extra, status in (([], 4), (["--bisect"], 125)):
        r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "--kernel", tree, "-k", "R1",
                            *extra], capture_output=True, text=True, timeout=600)
        assert r.returncode == status, r.stdout[-2000:] + r.stderr[-2000:]
        assert "lacks CONFIG_VETH (=y or =m), which every case needs" in r.stderr
        assert "booting" not in r.stdout


def test_pruning_keeps_the_recent_and_what_another_run_may_be_booting(tmp_path, monkeypatch):
    """Beyond the KEEP most recently used, an entry goes only when no run
    has used it within IN_USE_S."""
    monkeypatch.setattr(own, "OWN", str(tmp_path))
    now = time.time()
    ages = {f"recent-{i:02d}": 60 + i for i in range(own.KEEP + 2)}
    ages.update({"old-a": own.IN_USE_S + 60, "old-b": own.IN_USE_S + 120})
    for name, age in ages.items():
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (now - age, now - age))
    own._prune(keep="being-made")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {n for n in ages if n.startswith("recent-")}
