"""vm/: configuration, bad input and the initramfs module list. No download
here; .ci/run boots a guest end to end (./run_tests.sh --kernel 6.1)."""
import os
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "vm"))

import fetch  # noqa: E402
import initramfs  # noqa: E402


def matrix(*args):
    return subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "vm", "matrix.py"), *args],
                          capture_output=True, text=True, timeout=120)


def test_every_series_names_a_suite_and_a_package():
    conf = fetch.load_conf()
    assert {"5.10", "6.1", "6.12", "7.2"} <= set(conf)
    for series, entry in conf.items():
        assert entry["suite"] and entry["package"].startswith("linux-image-"), series


def test_archive_comes_from_the_host_sources_not_the_project():
    uri, keyring = fetch.host_archive()
    assert uri.startswith(("http://", "https://", "file:/"))
    assert os.path.isfile(keyring)
    for path in ("vm/kernels.conf", "vm/fetch.py"):
        assert uri not in open(os.path.join(ROOT, path)).read()


def test_private_apt_configuration_stays_in_the_cache():
    opts = fetch.apt_options()
    dirs = [o.split("=", 1)[1] for o in opts if "=" in o and o.startswith("Dir::")]
    assert all(d == "/dev/null" or d.startswith(fetch.CACHE) for d in dirs), dirs


@pytest.mark.parametrize("args,message", [
    (["--kernel", "9.99"], "unknown kernel series '9.99' (configured: 5.10, 6.1, 6.12, 7.2"),
    (["--kernel", "/nonexistent/vmlinuz"], "no such file"),
    (["--kernel", "/etc/hostname"], "needs --modules DIR"),
])
def test_bad_kernel_arguments(args, message):
    if os.geteuid() != 0:
        pytest.skip("matrix.py checks for root first")
    r = matrix(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr


def test_module_list_resolves_in_load_order():
    kernel = fetch.cached("6.1")
    if kernel is None:
        pytest.skip("the 6.1 kernel is not in .cache yet (./run_tests.sh --kernel 6.1 fetches it)")
    files = initramfs.module_files(kernel)
    names = [os.path.basename(f).split(".ko")[0] for f in files]
    assert len(names) == len(set(names))
    for before, after in (("virtio", "virtio_pci"), ("9pnet", "9pnet_virtio"),
                          ("inet_diag", "tcp_diag"), ("9pnet", "9p")):
        if before in names and after in names:
            assert names.index(before) < names.index(after)
    assert "veth" in names


def test_guest_command_keeps_every_runner_argument_one_word():
    args = ["-k", "hash2 and udp4", "--expect", "/x/it's here.yaml", "--repeat", "50"]
    init = initramfs.init_script("/work/a repo", "/work/a repo/results/runs", args)
    line = next(l for l in init.splitlines() if l.startswith("chroot /host"))
    outer = shlex.split(line)
    assert outer[:4] == ["chroot", "/host", "/bin/sh", "-c"] and len(outer) == 5
    inner = shlex.split(outer[4])
    assert inner[:2] == ["cd", "/work/a repo"]
    at = inner.index("-k")
    assert inner[at:at + 6] == args
    assert inner[-2:] == ["--results-dir", "/work/a repo/results/runs/$(uname -r)"]


def test_a_failed_kvm_probe_is_remembered_and_can_be_overridden(tmp_path, monkeypatch):
    import json
    import qemu
    monkeypatch.delenv("SOCKREUSE_ACCEL", raising=False)
    no_kernel = {}  # booting it would fail: the answer must come without a boot

    def no_initrd():
        pytest.fail("the probe's initramfs was built although no boot was needed")

    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        (tmp_path / "kvm-probe.json").write_text(
            json.dumps({"key": qemu._probe_key(), "why": "KVM probe failed (hung)"}))
        accel, why = qemu.probe_kvm(no_kernel, no_initrd, str(tmp_path))
        assert accel == "tcg" and "earlier run" in why
    monkeypatch.setenv("SOCKREUSE_ACCEL", "kvm")
    assert qemu.probe_kvm(no_kernel, no_initrd, str(tmp_path))[0] == "kvm"


def test_guest_vcpus_are_a_parameter():
    import qemu
    kernel = {"vmlinuz": "/boot/vmlinuz"}
    for cpus in (1, 2):
        cmd = qemu.command(kernel, "initrd", "tcg", "console.log", [], cpus=cpus)
        assert cmd[cmd.index("-smp") + 1] == str(cpus)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_guest_vcpu_count_is_one_line(value):
    r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "vm", "matrix.py"), "--kernel", "6.1"],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, SOCKREUSE_GUEST_CPUS=value))
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith(f"sockreuse: SOCKREUSE_GUEST_CPUS='{value}' is not a positive")
