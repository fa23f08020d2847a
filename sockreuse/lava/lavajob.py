"""LAVA job definitions and devices from the files in lava/: the job
templates a lab copies (lava/jobs/), the test definition (lava/sockreuse.yaml)
and the QEMU device dictionary (lava/devices/qemu.jinja2), rendered with
lava-server's own device-type templates (fetched from Debian's archive)."""
import glob
import json
import os
import string
import subprocess

import yaml

from sockreuse.kernels import fetch

LAVA = os.path.join(fetch.REPO, "lava")
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


def qemu_job(kernel, kernel_url, ramdisk_url, cpus, cases, repeat, no_kvm, wait_scale=1):
    """The job of lava/jobs/qemu.yaml; WAIT_SCALE (the definition's default is
    1) is set only where the device is slower than a host, QEMU under TCG."""
    values = {"JOB_NAME": f"sockreuse on {kernel['release']}", "KERNEL_NAME": kernel["release"], "KERNEL_URL": kernel_url,
              "RAMDISK_URL": ramdisk_url, "CPUS": cpus, "CASES": cases or "",
              "REPEAT": repeat or 1, "SOCKREUSE_REPO": "inline"}
    job = inline_definition(yaml.safe_load(fill("qemu.yaml", values)))
    if no_kvm:
        job["context"]["no_kvm"] = True
    if float(wait_scale) != 1:
        for action in job["actions"]:
            for d in action.get("test", {}).get("definitions", []):
                d["parameters"]["WAIT_SCALE"] = str(wait_scale)
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
