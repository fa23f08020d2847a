"""LAVA job definitions and devices from the files in lava/: the job
templates a lab copies (lava/jobs/), the test definition (lava/sockreuse.yaml)
and the QEMU device dictionary (lava/devices/qemu.jinja2), rendered with
lava-server's own device-type templates (fetched from Debian's archive)."""
import glob
import json
import os
import re
import string
import subprocess

import yaml

from sockreuse import arches
from sockreuse.boot import qemu
from sockreuse.kernels import fetch

LAVA = os.path.join(fetch.REPO, "lava")
# lava/jobs/qemu.yaml is a job of this architecture as a lab copies it; the
# others are made from it (for_arch()).
TEMPLATE_ARCH = "x86_64"
# LAVA's test overlay disk goes on IDE unless the context says otherwise;
# arm64's virt and s390x's s390-ccw-virtio have none (the rootfs loads the
# drivers for each: LAVA_OVERLAY_DISK in sockreuse/kernels/modules.py).
OVERLAY_INTERFACE = {"arm64": "virtio", "s390x": "virtio"}
# The QEMU options lava-server's qemu.jinja2 writes itself for an
# architecture, each from a context name (arm64: `-cpu cortex-a57 -machine
# virt` unless the context says otherwise); the others go to extra_options.
TEMPLATE_OPTIONS = {"arm64": {"-cpu": "cpu", "-M": "machine"}}
SERVER_DIR = os.path.join(fetch.CACHE, "lava", "server")
DEVICE_TYPES = os.path.join(SERVER_DIR, "usr", "share", "lava-server", "device-types")


class LavaJobError(Exception):
    pass


def fill(template, values):
    """A job template with its ${NAME}s replaced; each value is written as a
    YAML string, so a -k expression with quotes or colons stays one value."""
    with open(os.path.join(LAVA, "jobs", template)) as f:
        text = f.read()
    try:
        return string.Template(text).substitute({k: json.dumps(str(v)) for k, v in values.items()})
    except KeyError as e:
        raise LavaJobError(f"lava/jobs/{template} needs a value for {e}")


def inline_definition(job):
    """The job with its test definition inline instead of from git: the
    definition travels with the job, whatever the lab can reach. Its params
    stay the job's `parameters`: lava-server 2023.01 refuses `params` in an
    inline definition."""
    for action in job["actions"]:
        for d in action.get("test", {}).get("definitions", []):
            if d.get("path") == "lava/sockreuse.yaml":
                with open(os.path.join(LAVA, "sockreuse.yaml")) as f:
                    definition = yaml.safe_load(f)
                del definition["params"]
                d["from"] = "inline"
                d["repository"] = definition
    return job


def qemu_job(kernel, kernel_url, ramdisk_url, cpus, cases, repeat, accel, wait_scale=1):
    """The job of lava/jobs/qemu.yaml for the kernel's architecture under
    `accel`; WAIT_SCALE (the definition's default is 1) is set only where the
    device is slower than a host, QEMU under TCG."""
    values = {"JOB_NAME": f"sockreuse on {kernel['release']}", "KERNEL_NAME": kernel["release"], "KERNEL_URL": kernel_url,
              "RAMDISK_URL": ramdisk_url, "CPUS": cpus, "CASES": cases or "",
              "REPEAT": repeat or 1, "SOCKREUSE_REPO": "inline"}
    job = inline_definition(yaml.safe_load(fill("qemu.yaml", values)))
    arch = arches.of_kernel(kernel)
    if arch.name != TEMPLATE_ARCH:
        for_arch(job, arch, accel)
    elif accel != "kvm":
        job["context"]["no_kvm"] = True
    if float(wait_scale) != 1:
        for action in job["actions"]:
            for d in action.get("test", {}).get("definitions", []):
                d["parameters"]["WAIT_SCALE"] = str(wait_scale)
    return job


def for_arch(job, arch, accel):
    """Makes the job of qemu.yaml (TEMPLATE_ARCH's) boot a guest of `arch`
    as its local guests boot (sockreuse/boot/qemu.py): the machine, CPU and
    accelerator through the context, which lava-server's qemu.jinja2 turns
    into QEMU's options, and the architecture's console."""
    context = job["context"]
    context["arch"] = arch.debian
    context["guestfs_interface"] = OVERLAY_INTERFACE[arch.name]
    args = qemu.accel_args(arch, accel)
    context["no_kvm"] = "-enable-kvm" not in args
    own = TEMPLATE_OPTIONS.get(arch.debian, {})
    at = 0
    while at < len(args):
        if args[at] in own:
            context[own[args[at]]] = args[at + 1]
            at += 2
        else:
            context["extra_options"].append(args[at])
            at += 1
    kernel = job["actions"][0]["deploy"]["images"]["kernel"]
    kernel["image_arg"] = re.sub(r"console=\S+", f"console={arch.console}", kernel["image_arg"])
    return job


def server_templates():
    """lava-server's device-type templates, unpacked once into .cache/lava/."""
    if os.path.isfile(os.path.join(DEVICE_TYPES, "qemu.jinja2")):
        return DEVICE_TYPES
    os.makedirs(SERVER_DIR, exist_ok=True)
    r = subprocess.run(["apt-get", "download", "lava-server"], cwd=SERVER_DIR,
                       capture_output=True, text=True)
    debs = glob.glob(os.path.join(SERVER_DIR, "lava-server_*.deb"))
    if r.returncode != 0 or not debs:
        raise LavaJobError("cannot download lava-server for its device-type templates: "
                           f"{(r.stderr or r.stdout).strip()[-300:]}")
    subprocess.run(["dpkg-deb", "-x", debs[0], SERVER_DIR], check=True)
    for deb in debs:
        os.remove(deb)
    return DEVICE_TYPES


def device(job):
    """The rendered device dictionary lava-run takes for our QEMU device,
    with the job's context applied as lava-server applies it."""
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([server_templates()]),
                             trim_blocks=True, autoescape=False)
    with open(os.path.join(LAVA, "devices", "qemu.jinja2")) as f:
        template = env.from_string(f.read())
    return template.render(**job.get("context", {}))
