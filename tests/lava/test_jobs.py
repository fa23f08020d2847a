"""lava/: the job templates a lab copies, the test definition, and the job
--lava builds from the QEMU template for each architecture; validated with
LAVA's own schema, the device rendered with lava-server's templates and the
pair checked by lava-run --validate (no guest boots)."""
import os
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse import arches
from sockreuse.boot import qemu
from sockreuse.kernels import modules
from sockreuse.lava import lavajob

try:
    from lava_common.schemas import validate
except ImportError:  # lava-dispatcher comes with --lava local only
    validate = None

needs_lava = pytest.mark.skipif(validate is None, reason="lava-dispatcher is not installed")
VALUES = {"JOB_NAME": "sockreuse on 6.1.0-50-amd64", "KERNEL_NAME": "6.1.0-50-amd64",
          "KERNEL_URL": "https://files.example.org/vmlinuz", "CPUS": "1", "CASES": "",
          "REPEAT": "1", "RAMDISK_URL": "https://files.example.org/initrd.cpio.gz",
          "ROOTFS_URL": "https://files.example.org/sockreuse-rootfs.cpio.gz",
          "MODULES_URL": "https://files.example.org/modules.tar.xz", "DEVICE_TYPE": "x86",
          "BOOT_METHOD": "ipxe", "SOCKREUSE_REPO": "https://git.example.org/sockreuse.git"}


@pytest.mark.parametrize("template", ["qemu.yaml", "tftp-board.yaml"])
def test_every_placeholder_is_explained_in_the_header(template):
    text = open(os.path.join(ROOT, "lava", "jobs", template)).read()
    header = "".join(l for l in text.splitlines(True) if l.startswith("#"))
    used = set(re.findall(r"\$\{(\w+)\}", text))
    explained = set(re.findall(r"^#\s+([A-Z_]+)\b", header, re.M)) | set(
        re.findall(r"([A-Z_]{4,})", header))
    assert used and used <= explained, used - explained


@needs_lava
@pytest.mark.parametrize("template", ["qemu.yaml", "tftp-board.yaml"])
def test_templates_filled_in_are_valid_lava_jobs(template):
    job = yaml.safe_load(lavajob.fill(template, {k: v for k, v in VALUES.items()
                                                 if "${" + k + "}" in open(os.path.join(
                                                     ROOT, "lava", "jobs", template)).read()}))
    validate(job, strict=True)
    assert job["actions"][-1]["test"]["definitions"][0]["path"] == "lava/sockreuse.yaml"


@needs_lava
def test_the_job_of_lava_mode_is_valid_and_carries_the_definition_inline():
    kernel = {"release": "6.1.0-50-amd64"}
    job = lavajob.qemu_job(kernel, "file:///k", "file:///r", 2, "R1 and 'tcp'", 3, "tcg")
    # Not strict: LAVA's strict schema wants `params` in an inline
    # definition, which lava-server 2023.01 refuses (tried here).
    validate(job, strict=False)
    assert "params" not in job["actions"][2]["test"]["definitions"][0]["repository"]
    assert job["context"]["no_kvm"] is True and job["context"]["extra_options"] == ["-smp", "2"]
    definition = job["actions"][2]["test"]["definitions"][0]
    assert definition["from"] == "inline"
    assert definition["parameters"] == {"CASES": "R1 and 'tcp'", "REPEAT": "3"}
    slow = lavajob.qemu_job(kernel, "file:///k", "file:///r", 1, "", 1, "tcg", wait_scale=4.0)
    assert slow["actions"][2]["test"]["definitions"][0]["parameters"]["WAIT_SCALE"] == "4.0"
    own = yaml.safe_load(open(os.path.join(ROOT, "lava", "sockreuse.yaml")))
    assert definition["repository"]["run"] == own["run"]
    assert "sockreuse.shell" in job["actions"][0]["deploy"]["images"]["kernel"]["image_arg"]


def test_the_definition_reports_through_the_rootfs_script():
    own = yaml.safe_load(open(os.path.join(ROOT, "lava", "sockreuse.yaml")))
    assert own["metadata"]["format"] == "Lava-Test Test Definition 1.0"
    assert set(own["params"]) == {"CASES", "REPEAT", "WAIT_SCALE"}
    assert own["run"]["steps"] == [
        '/opt/sockreuse/lava/lava-report "$CASES" "$REPEAT" "$WAIT_SCALE"']
    assert os.access(os.path.join(ROOT, "lava", "lava-report"), os.X_OK)


FOREIGN = [name for name in arches.ARCHES if name != lavajob.TEMPLATE_ARCH]


def job_of(arch, accel="tcg"):
    kernel = {"release": f"6.1.0-50-{arches.ARCHES[arch].debian}", "arch": arch}
    return lavajob.qemu_job(kernel, "file:///k", "file:///r", 2, "", 1, accel, wait_scale=4.0)


@pytest.fixture(scope="module")
def templates():
    """lava-server's device-type templates (one apt-get download, kept in .cache/lava/)."""
    pytest.importorskip("jinja2")
    try:
        return lavajob.server_templates()
    except lavajob.LavaJobError as e:
        pytest.skip(str(e))


def device_of(job):
    return yaml.safe_load(lavajob.device(job))


def boot_command(device):
    """QEMU's command line before the job's images, as lava-dispatcher's
    CallQemuAction puts it together from the device."""
    p = device["actions"]["boot"]["methods"]["qemu"]["parameters"]
    return shlex.split(" ".join([p["command"].strip(), *p["options"], *map(str, p.get("extra", []))]))


def values(cmd, *names):
    return [cmd[i + 1] for i, word in enumerate(cmd) if word in names]


def kernel_words(job):
    arg = shlex.split(job["actions"][0]["deploy"]["images"]["kernel"]["image_arg"])
    return arg[arg.index("-append") + 1].split()


@pytest.mark.parametrize("name", FOREIGN)
def test_a_foreign_job_boots_qemu_as_the_local_guest_does(templates, name):
    arch = arches.ARCHES[name]
    job = job_of(name)
    if validate:
        validate(job, strict=False)
    cmd = boot_command(device_of(job))
    local = qemu.command({"arch": name, "vmlinuz": "/k"}, "/i", "tcg", "/c")
    assert os.path.basename(cmd[0]) == arch.qemu
    assert "-enable-kvm" not in cmd and job["context"]["no_kvm"] is True
    # Each once: the template's own default CPU (cortex-a57 for arm64) is not also there.
    for names in (("-cpu",), ("-M", "-machine"), ("-accel",)):
        assert values(cmd, *names) == values(local, *names), names
    assert values(cmd, "-smp") == ["2"]
    consoles = [w for w in kernel_words(job) if w.startswith("console=")]
    assert consoles == [w for w in qemu.cmdline(arch).split() if w.startswith("console=")]
    assert "sockreuse.shell" in kernel_words(job)


@pytest.mark.parametrize("name", sorted(arches.ARCHES))
def test_the_overlay_disk_is_on_a_bus_the_rootfs_has_drivers_for(templates, name):
    device = device_of(job_of(name))
    bus = device["actions"]["deploy"]["methods"]["image"]["parameters"]["guest"]["interface"]
    driver = {"ide": "ata_piix", "virtio": "virtio_blk"}[bus]
    assert driver in modules.LAVA_OVERLAY_DISK[name]
    if name != lavajob.TEMPLATE_ARCH:  # virt and s390-ccw-virtio have no IDE
        assert bus == "virtio"


@pytest.mark.parametrize("have,slow", [((7, 2), True), ((10, 1), False)])
def test_s390x_jobs_turn_the_vector_facility_off_where_the_local_guest_does(
        templates, monkeypatch, have, slow):
    monkeypatch.setattr(qemu, "version", lambda binary: have)
    cpu = values(boot_command(device_of(job_of("s390x"))), "-cpu")
    assert cpu == [qemu.tcg_cpu(arches.ARCHES["s390x"])[0]]
    assert (cpu == [qemu.TCG_CPU_BEFORE["s390x"][1]]) is slow


@pytest.mark.parametrize("accel", ["tcg", "kvm"])
def test_the_x86_64_job_is_the_template_as_it_always_was(accel):
    """A lab copies lava/jobs/qemu.yaml for x86_64: --lava adds no_kvm where
    KVM does not work, and nothing else (the arm64 and s390x context stays out)."""
    kernel = {"release": "6.1.0-50-amd64", "arch": "x86_64"}
    job = lavajob.qemu_job(kernel, "file:///k", "file:///r", 2, "", 1, accel)
    own = yaml.safe_load(lavajob.fill("qemu.yaml", {**VALUES, "CPUS": 2}))
    assert job["context"] == {**own["context"], **({"no_kvm": True} if accel == "tcg" else {})}
    image_arg = [j["actions"][0]["deploy"]["images"]["kernel"]["image_arg"] for j in (job, own)]
    assert image_arg[0] == image_arg[1]


@needs_lava
@pytest.mark.parametrize("name", FOREIGN)
def test_lava_run_accepts_the_foreign_job_and_device(templates, tmp_path, name):
    arch = arches.ARCHES[name]
    if not shutil.which(arch.qemu) or not shutil.which("lava-run"):
        pytest.skip(f"{arch.qemu} or lava-run is not installed (./run_tests.sh --kernel 6.1 "
                    f"--arch {name} --lava local installs them)")
    for f in ("vmlinuz", "initrd"):
        (tmp_path / f).write_bytes(b"")
    kernel = {"release": f"6.1.0-50-{arch.debian}", "arch": name}
    job = lavajob.qemu_job(kernel, f"file://{tmp_path}/vmlinuz", f"file://{tmp_path}/initrd",
                           1, "", 1, "tcg")
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    (tmp_path / "device.yaml").write_text(lavajob.device(job))
    r = subprocess.run(["lava-run", "--validate", "--job-id", "1", "--output-dir",
                        str(tmp_path / "out"), "--device", str(tmp_path / "device.yaml"),
                        str(tmp_path / "job.yaml")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Job finished correctly" in r.stderr, r.stderr[-2000:]
