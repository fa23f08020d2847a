"""--arch: the architectures as a dimension of --kernel, --matrix and
--rootfs. Bad input, the per-architecture QEMU line, the kernel cache
layout, and (heavy, with downloads) that vm/kernels.conf's architectures
are those the archive has, and that a foreign rootfs holds nothing of the
host's architecture. .ci/run boots an s390x and an arm64 guest end to end."""
import os
import subprocess

import pytest

from sockreuse import arches
from sockreuse import cli
from sockreuse.boot import qemu
from sockreuse.cross import build
from sockreuse.kernels import fetch
from sockreuse.kernels import libs
from sockreuse.kernels import rootfs

ROOT = fetch.REPO


def mode_of(*args):
    return subprocess.run(["/usr/bin/python3", "-m", "sockreuse.cli", "--mode-of", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args,message", [
    (["--kernel", "6.1", "--arch", "mips"], "--arch mips: unknown architecture 'mips' (known: "
                                            "x86_64, arm64, s390x, or all)"),
    (["--kernel", "5.10", "--arch", "s390x"], "Debian ships no s390x kernel for series 5.10"),
    (["--arch", "arm64"], "--arch goes with --kernel, --matrix or --rootfs"),
    (["--rootfs", "x.cpio.gz", "--arch", "all"], "--rootfs writes one architecture's rootfs"),
    (["--kernel", "/etc/hostname", "--modules", "/tmp", "--arch", "arm64"],
     "your own kernel's is read from its image: drop --arch"),
    (["--kernel", "6.1", "--arch", "s390x", "--lava", "https://lava.example.org/RPC2"],
     "--lava URL sends x86_64 jobs only so far"),
])
def test_bad_arch_is_one_line_and_exit_2(args, message):
    r = mode_of(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and message in r.stderr, r.stderr


def test_lava_local_takes_every_arch():
    assert mode_of("--kernel", "6.1", "--arch", "all", "--lava", "local").stdout.split() == [
        "vm", "local"]


def test_arch_all_with_a_series_is_every_arch_debian_builds_it_for():
    assert mode_of("--kernel", "5.10", "--arch", "all").stdout.split() == ["vm"]
    assert [a.name for a in cli.architectures("all")] == ["x86_64", "arm64", "s390x"]


def test_every_series_names_its_architectures():
    for series, entry in fetch.load_conf().items():
        assert "{flavour}" in entry["package"], series
        assert arches.host().name in entry["arches"], series
        assert set(entry["arches"]) <= set(arches.ARCHES), series


@pytest.mark.parametrize("name,binary,machine,console", [
    ("arm64", "qemu-system-aarch64", "virt", "console=ttyAMA0"),
    ("s390x", "qemu-system-s390x", "s390-ccw-virtio", "console=ttysclp0"),
])
def test_a_foreign_guest_gets_its_emulator_machine_and_console_under_tcg(name, binary,
                                                                           machine, console):
    kernel = {"arch": name, "vmlinuz": "/k", "release": "r"}
    cmd = qemu.command(kernel, "/i", "kvm", "/c", 2)
    assert cmd[0] == binary
    assert "-enable-kvm" not in cmd and cmd[cmd.index("-accel") + 1] == "tcg"
    assert cmd[cmd.index("-M") + 1] == machine
    assert cmd[cmd.index("-append") + 1].startswith(console + " ")


def test_the_host_arch_keeps_its_cache_paths_and_others_get_their_own():
    host, arm = arches.host(), arches.ARCHES["arm64"]
    assert fetch.kernel_dir("6.1", host) == os.path.join(fetch.KERNELS, "6.1")
    assert fetch.kernel_dir("6.1", arm) == os.path.join(fetch.KERNELS, "6.1-arm64")
    assert fetch.apt_dir(host) == fetch.APT_DIR != fetch.apt_dir(arm)
    assert rootfs.artefact(host) == rootfs.ARTEFACT != rootfs.artefact(arm)
    opts = fetch.apt_options(arm)
    assert "APT::Architectures::=arm64" in opts and "APT::Architecture=arm64" in opts


def test_a_runs_machine_names_its_arch():
    assert arches.name_of_machine("aarch64") == "arm64"
    assert arches.name_of_machine("s390x") == "s390x"
    assert arches.name_of_machine(None) == "?"


@pytest.mark.heavy
def test_kernels_conf_arches_are_what_the_archive_ships():
    """Each listed (series, arch) has a package, and each series lacks the
    architectures it does not list (downloads each architecture's lists)."""
    conf = fetch.load_conf()
    for arch in arches.ARCHES.values():
        fetch.update_lists([v["suite"] for v in conf.values()], arch)
        for series, entry in conf.items():
            try:
                fetch.newest(series, entry, arch)
                shipped = True
            except fetch.FetchError:
                shipped = False
            assert shipped == (arch.name in entry["arches"]), (series, arch.name)


@pytest.mark.heavy
@pytest.mark.parametrize("name", ["arm64", "s390x"])
def test_a_foreign_rootfs_holds_only_its_own_architecture(name):
    arch = arches.ARCHES[name]
    entries = rootfs.plan(arch, lambda msg: None)
    elves = {t: v for t, (kind, v) in entries.items() if kind == "file" and libs.is_elf(v)}
    assert "opt/sockreuse/build/sockreuse_suite" in elves
    assert "usr/bin/busybox" in elves and "usr/bin/kmod" in elves
    assert "usr/lib/" + os.path.basename(arch.interpreter) in elves
    for target, path in elves.items():
        machine, big = build.elf_facts(path)
        assert (machine, big) == (build.E_MACHINE[name], arch.big_endian), target
    assert any(t.startswith("usr/lib/python3") and "lib-dynload" in t for t in elves)


@pytest.mark.parametrize("have,cpu", [((7, 2), "max,vx=off"), ((10, 0), "max")])
def test_s390x_vector_facility_is_off_under_a_qemu_that_miscomputes_it(monkeypatch, have, cpu):
    """docs/findings.md#qemu-7-2-s390x-vector-checksum: bookworm's QEMU 7.2
    gets the kernel's vector checksums wrong; 10.0.2 was seen to get them right."""
    monkeypatch.setattr(qemu, "version", lambda binary: have)
    cmd = qemu.command({"arch": "s390x", "vmlinuz": "/k"}, "/i", "tcg", "/c", 2)
    assert cmd[cmd.index("-cpu") + 1] == cpu
