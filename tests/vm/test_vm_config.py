"""vm/: configuration, bad input, the module list and a guest's boot
settings. No download here; .ci/run boots a guest end to end
(./run_tests.sh --kernel 6.1)."""
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse import arches
from sockreuse.kernels import fetch
from sockreuse.boot import guest
from sockreuse.kernels import modules


def matrix(*args):
    return subprocess.run(["/usr/bin/python3", "-m", "sockreuse.boot.matrix", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_every_series_names_a_suite_and_a_package():
    conf = fetch.load_conf()
    assert {"5.10", "6.1", "6.12", "7.2"} <= set(conf)
    for series, entry in conf.items():
        assert entry["suite"] and entry["package"].startswith("linux-image-"), series


def test_archive_comes_from_the_host_sources_not_the_project():
    uri, keyring = fetch.host_archive()
    assert uri.startswith(("http://", "https://", "file:/"))
    assert os.path.isfile(keyring)
    for path in ("vm/kernels.conf", "sockreuse/kernels/fetch.py"):
        assert uri not in open(os.path.join(ROOT, path)).read()


def test_private_apt_configuration_stays_in_the_cache():
    opts = fetch.apt_options()
    dirs = [o.split("=", 1)[1] for o in opts if "=" in o and o.startswith("Dir::")]
    assert all(d == "/dev/null" or d.startswith(fetch.CACHE) for d in dirs), dirs


@pytest.mark.parametrize("args,message", [
    (["--kernel", "9.99"], "unknown kernel series '9.99' (configured: 5.10, 6.1, 6.12, 7.2"),
    (["--kernel", "/nonexistent/vmlinuz"], "no such file"),
    (["--kernel", "/etc/hostname"], "needs --modules DIR"),
    (["--kernel", "6.1", "--lava", "ftp://lava"], "--lava ftp://lava: give `local`"),
    (["--lava", "local"], "--lava goes with --kernel S or --matrix"),
    (["--matrix", "--expect", "x.yaml"], "--expect names one table"),
    (["--rootfs", "x.cpio.gz"], "sockreuse.boot.matrix runs the suite in guests"),
    (["--kernel", "6.1", "--lava", "local", "--record"], "--record and --expect work with local"),
    (["--kernel", "6.1", "-k", "a\nb"], "-k takes an expression on one line"),
])
def test_bad_kernel_arguments(args, message):
    if os.geteuid() != 0:
        pytest.skip("matrix.py checks for root first")
    r = matrix(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--rootfs", "x.cpio.gz", "--matrix"], "--rootfs takes one kernel's modules"),
    (["--rootfs", "x.cpio.gz", "--selftest"], "--selftest runs the project's own tests and takes no"),
    (["--rootfs", "x.cpio.gz", "--kernel", "6.1", "--lava", "local"],
     "--rootfs goes alone or with --kernel"),
    (["--lava", "local"], "--lava goes with --kernel S or --matrix"),
    (["--kernel", "6.1", "--lava"], "--lava needs 'local' or a LAVA server's URL"),
])
def test_bad_rootfs_and_lava_options(args, message):
    r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), *args], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("sockreuse: ")
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_rootfs_wants_a_file_in_an_existing_directory(tmp_path):
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.kernels.rootfs",
                        str(tmp_path / "no" / "x.cpio.gz")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "give a file name in an existing directory" in r.stderr


@pytest.mark.parametrize("arch", sorted(arches.ARCHES))
def test_module_list_resolves_in_load_order(arch):
    kernel = fetch.cached("6.1", arches.ARCHES[arch])
    if kernel is None:
        pytest.skip(f"the 6.1 {arch} kernel is not in .cache yet "
                    f"(./run_tests.sh --kernel 6.1 --arch {arch} fetches it)")
    overlay = modules.LAVA_OVERLAY_DISK[arch]
    files = modules.files(kernel, modules.SUITE + overlay)
    names = [os.path.basename(f).split(".ko")[0] for f in files]
    assert len(names) == len(set(names))
    builtin = open(os.path.join(kernel["moddir"], "modules.builtin")).read()
    for name in overlay:  # each one a module of this kernel or built into it
        assert name in names or f"/{name}.ko" in builtin, name
    for before, after in (("virtio", "virtio_pci"), ("inet_diag", "tcp_diag"),
                          ("jbd2", "ext4"), ("libata", "ata_piix")):
        if before in names and after in names:
            assert names.index(before) < names.index(after)
    assert "veth" in names


def test_module_archive_has_its_own_modules_dep():
    kernel = fetch.cached("6.1")
    if kernel is None:
        pytest.skip("the 6.1 kernel is not in .cache yet (./run_tests.sh --kernel 6.1 fetches it)")
    names = unpack(modules.archive(kernel, ["veth"]))
    base = f"usr/lib/modules/{kernel['release']}"
    assert f"{base}/kernel/drivers/net/veth.ko" in names
    assert names[f"{base}/modules.dep"].decode().startswith("kernel/drivers/net/veth.ko:")


def unpack(archive):
    """{name: content} of a newc archive, read the way the kernel reads it."""
    out, at = {}, 0
    while True:
        head = archive[at:at + 110]
        assert head[:6] == b"070701", at
        size, name_len = int(head[54:62], 16), int(head[94:102], 16)
        name = archive[at + 110:at + 110 + name_len - 1].decode()
        at += (110 + name_len + 3) // 4 * 4
        if name == "TRAILER!!!":
            return out
        out[name] = archive[at:at + size]
        at += (size + 3) // 4 * 4


def test_guest_arguments_reach_the_runner_one_a_line(tmp_path):
    table = tmp_path / "it's here.yaml"
    table.write_text("kernel: x\ncases: {}\n")
    args = ["-k", "hash2 and 'udp4'", "--expect", str(table), "--repeat", "50"]
    kernel = {"series": "6.1", "release": "6.1.0-50-amd64"}
    files = unpack(guest.boot_files(kernel, args, record=True))
    lines = files["etc/sockreuse/run.args"].decode().split("\n")[:-1]
    recorded = "/opt/sockreuse/results/runs/6.1.0-50-amd64/recorded.yaml"
    # A kernel without a configuration file: the guest's runner is told not to look.
    assert lines == ["-k", "hash2 and 'udp4'", "--expect", "/etc/sockreuse/expect.yaml",
                     "--repeat", "50", "--kernel-config", "none", "--record", "--expect", recorded]
    assert files["etc/sockreuse/expect.yaml"] == table.read_bytes()
    # The recording starts from the table 6.1 is compared with: base.yaml and 6.1's delta.
    start = yaml.safe_load(files[recorded.lstrip("/")])
    assert start["kernel"] == "6.1" and "bhash2_mapped_any_gap" in start["features"]
    assert start["cases"]["tcp46.explorer.mapped_any_then_mapped_s0"] == "ok"
    config = tmp_path / "config-6.1"
    config.write_text("CONFIG_VETH=m\n")
    files = unpack(guest.boot_files({**kernel, "config": str(config)}, args, record=False))
    assert files["etc/sockreuse/kernel.config"] == config.read_bytes()
    assert "--kernel-config\n/etc/sockreuse/kernel.config\n" in files["etc/sockreuse/run.args"].decode()
    # The init reads them back with `read -r`, one word each whatever they hold.
    script = 'set --; while IFS= read -r a; do set -- "$@" "$a"; done; printf "%s\\0" "$@"'
    out = subprocess.run(["sh", "-c", script], input="\n".join(lines) + "\n",
                         capture_output=True, text=True).stdout
    assert out.split("\0")[:-1] == lines


def test_a_failed_kvm_probe_is_remembered_and_can_be_overridden(tmp_path, monkeypatch):
    import json
    from sockreuse.boot import qemu
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


def test_the_kvm_probe_asks_qemu_for_one_vcpu_and_the_probe_boot():
    # Its arguments were once shifted by one (a list as the vCPU count): QEMU
    # refused the command line, and the refusal was remembered as "KVM does
    # not work here" on every host, KVM or not.
    from sockreuse.boot import qemu
    cmd = qemu.probe_command({"vmlinuz": "/boot/vmlinuz"}, "/tmp/initrd", "/tmp/console")
    assert cmd[cmd.index("-smp") + 1] == "1"
    assert "-enable-kvm" in cmd and "sockreuse.probe" in cmd[cmd.index("-append") + 1].split()


def test_guest_vcpus_are_a_parameter():
    from sockreuse.boot import qemu
    kernel = {"vmlinuz": "/boot/vmlinuz"}
    for cpus in (1, 2):
        cmd = qemu.command(kernel, "initrd", "tcg", "console.log", cpus=cpus)
        assert cmd[cmd.index("-smp") + 1] == str(cpus)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_guest_vcpu_count_is_one_line(value):
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.boot.matrix", "--kernel", "6.1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, SOCKREUSE_GUEST_CPUS=value))
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("sockreuse: SOCKREUSE_GUEST_CPUS wants a positive whole number of "
                               f"vCPUs per guest (default 2), not '{value}'")


@pytest.mark.parametrize("cores,cpus,at_once", [(2, 2, 1), (2, 1, 2), (8, 2, 4), (1, 2, 1),
                                                (None, 2, 1)])
def test_guests_side_by_side_fit_the_cores(monkeypatch, cores, cpus, at_once):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert guest.guests_at_once(cpus) == at_once
