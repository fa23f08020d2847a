#!/usr/bin/python3
"""A real LAVA instance on this machine, timed: Debian's lava-server with
its PostgreSQL, a lava-worker and a QEMU device (lava/devices/qemu.jinja2),
then one job through it: ./run_tests.sh --kernel 6.1 --lava URL -k default.
Prints how long each step took, then stops everything it started and
removes the device and worker files it wrote (the packages and the
instance's database stay). Run as root on a Debian 12
machine where ./run_tests.sh --kernel 6.1 has run:

    /usr/bin/python3 -m bench.lava_server

Not a self-test: it installs system services and writes /etc/lava-server;
tests/lava/ drive the same code against a stand-in server instead."""
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from sockreuse.kernels import fetch

# Debian's tools, not whatever python3 comes first on PATH.
ENV = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin", DEBIAN_FRONTEND="noninteractive")
WORKER = "sockreuse-worker"
DEVICE_FILE = "/etc/lava-server/dispatcher-config/devices/qemu01.jinja2"
WORKER_DIR = f"/etc/lava-server/dispatcher.d/{WORKER}"
URL = "http://127.0.0.1:8000/"
T0 = time.monotonic()


def step(what, cmd, check=True, **kw):
    t = time.monotonic()
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True, **kw)
    print(f"[{time.monotonic() - T0:6.1f} s] {what}: {time.monotonic() - t:.1f} s"
          + ("" if r.returncode == 0 else f" (exit {r.returncode}: {(r.stderr or r.stdout).strip()[-200:]})"),
          flush=True)
    if check and r.returncode != 0:
        sys.exit(f"bench/lava_server.py: {what} failed")
    return r.stdout


def manage(*args):
    return subprocess.run(["lava-server", "manage", *args], env=ENV, capture_output=True, text=True)


def start(cmd, log):
    def die_with_us():
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)
    return subprocess.Popen(cmd, env=ENV, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, preexec_fn=die_with_us)


def main():
    if os.geteuid() != 0:
        sys.exit("bench/lava_server.py: needs root (it installs and starts lava-server)")
    kernel = fetch.cached("6.1")
    if kernel is None:
        sys.exit("bench/lava_server.py: run ./run_tests.sh --kernel 6.1 first (the job's kernel)")
    logs = os.path.join(fetch.CACHE, "lava", "server-bench")
    os.makedirs(logs, exist_ok=True)
    step("apt-get install lava-server", ["apt-get", "install", "-y", "-qq",
                                         "--no-install-recommends", "lava-server", "lavacli"])
    cluster_was_down = "down" in subprocess.run(["pg_lsclusters", "-h"], capture_output=True,
                                                text=True).stdout
    if cluster_was_down:
        step("start PostgreSQL", ["pg_ctlcluster", "15", "main", "start"])
    procs = []
    try:
        step("lava-server database (dpkg-reconfigure)",
             ["dpkg-reconfigure", "-fnoninteractive", "lava-server"])
        manage("users", "add", "--superuser", "--staff", "--passwd", os.urandom(8).hex(), "ci")
        token = manage("tokens", "add", "--user", "ci").stdout.strip().splitlines()[-1]
        manage("workers", "add", "--health", "ACTIVE", WORKER)
        worker_token = manage("shell", "-c", "from lava_scheduler_app.models import Worker; "
                              f"print(Worker.objects.get(hostname='{WORKER}').token)").stdout.strip()
        manage("device-types", "add", "qemu")
        with open(os.path.join(ROOT, "lava", "devices", "qemu.jinja2")) as f, \
                open(DEVICE_FILE, "w") as g:
            g.write(f.read())
        manage("devices", "add", "--device-type", "qemu", "--worker", WORKER, "qemu01")
        # The worker's jobs get a purged environment: libguestfs must be told
        # which kernel to boot (none in /boot here) and to use TCG.
        os.makedirs(WORKER_DIR, exist_ok=True)
        with open(os.path.join(WORKER_DIR, "env.yaml"), "w") as f:
            f.write("purge: true\noverrides:\n  LC_ALL: C.UTF-8\n  LANG: C\n"
                    "  PATH: /usr/local/bin:/usr/local/sbin:/bin:/usr/bin:/usr/sbin:/sbin\n"
                    f"  SUPERMIN_KERNEL: {kernel['vmlinuz']}\n  SUPERMIN_MODULES: {kernel['moddir']}\n"
                    "  LIBGUESTFS_BACKEND: direct\n  LIBGUESTFS_BACKEND_SETTINGS: force_tcg\n"
                    f"  LIBGUESTFS_CACHEDIR: {os.path.join(fetch.CACHE, 'lava', 'guestfs')}\n")
        t = time.monotonic()
        procs.append(start(["gunicorn3", "lava_server.wsgi", "-u", "lavaserver", "-g", "lavaserver",
                            "--worker-class", "eventlet", "--workers", "2", "--bind",
                            "127.0.0.1:8000"], os.path.join(logs, "gunicorn.log")))
        procs.append(start(["lava-server", "manage", "lava-scheduler", "--level", "INFO"],
                           os.path.join(logs, "scheduler.log")))
        procs.append(start(["lava-worker", "--url", URL, "--token", worker_token, "--name", WORKER,
                            "--level", "INFO", "--worker-dir", os.path.join(logs, "worker")],
                           os.path.join(logs, "worker.log")))
        while True:
            try:
                urllib.request.urlopen(URL + "RPC2", timeout=2)
                break
            except OSError as e:
                if getattr(e, "code", None):
                    break
                if time.monotonic() - t > 120:
                    sys.exit("bench/lava_server.py: lava-server did not answer within 120 s")
                time.sleep(1)
        print(f"[{time.monotonic() - T0:6.1f} s] server, scheduler and worker up: "
              f"{time.monotonic() - t:.1f} s", flush=True)
        job_env = dict(ENV, LAVA_USER="ci", LAVA_TOKEN=token,
                       SOCKREUSE_LAVA_FILES_URL="file://" + os.path.join(fetch.CACHE, "lava", "files"))
        t = time.monotonic()
        r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "--kernel", "6.1", "--lava",
                            URL + "RPC2", "-k", "default"], env=job_env)
        print(f"[{time.monotonic() - T0:6.1f} s] one job through lava-server: "
              f"{time.monotonic() - t:.1f} s, exit {r.returncode}", flush=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if cluster_was_down:
            subprocess.run(["pg_ctlcluster", "15", "main", "stop"], env=ENV)
        shutil.rmtree(WORKER_DIR, ignore_errors=True)
        if os.path.exists(DEVICE_FILE):
            os.remove(DEVICE_FILE)


if __name__ == "__main__":
    main()
