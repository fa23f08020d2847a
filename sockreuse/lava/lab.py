"""--lava URL: one job per kernel on a LAVA server, through lavacli:
submitted, followed with progress, its log and results fetched, and
cancelled if this run is stopped.

The token comes from the environment (LAVA_USER, LAVA_TOKEN) and reaches
lavacli through a pipe that its configuration file name points at: never on
a command line, never in a file. The lab downloads the kernel and the
ramdisk from SOCKREUSE_LAVA_FILES_URL, where the person running this
publishes .cache/lava/files/ (a web server, or a directory the lab's
workers see)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from sockreuse.kernels import fetch
from sockreuse.lava import lavalog
from sockreuse.progress import fail, say

FILES = os.path.join(fetch.CACHE, "lava", "files")
# lavacli's configuration directories (a link to a pipe each, no token in
# them): in the project's cache, so even a killed run leaves nothing elsewhere.
HOMES = os.path.join(fetch.CACHE, "lava", "tmp")
POLL_S = float(os.environ.get("SOCKREUSE_LAVA_POLL", "5"))
# A lab may queue a job for a while before a device is free.
TIMEOUT_S = int(os.environ.get("SOCKREUSE_LAVA_TIMEOUT", "3600"))


class LabError(Exception):
    pass


def remove_stale_homes():
    """Removes the configuration directories of processes that are gone (a
    SIGKILLed run cannot tidy its own)."""
    if not os.path.isdir(HOMES):
        return
    for name in os.listdir(HOMES):
        pid = name.split("-")[1] if name.count("-") >= 2 else ""
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(HOMES, name), ignore_errors=True)


def make_home():
    """A configuration directory named for this process."""
    os.makedirs(HOMES, exist_ok=True)
    return tempfile.mkdtemp(prefix=f"lavacli-{os.getpid()}-", dir=HOMES)


class Lavacli:
    """lavacli with an identity made from the environment."""

    def __init__(self, url, user, token):
        self.url, self.user, self.token = url, user, token
        self.homes = set()
        remove_stale_homes()

    def __call__(self, *args, stdin=None, timeout=120):
        config = yaml.safe_dump({"default": {"uri": self.url, "username": self.user,
                                             "token": self.token, "timeout": 30}})
        read, write = os.pipe()
        home = make_home()
        self.homes.add(home)
        try:
            # lavacli reads $XDG_CONFIG_HOME/lavacli.yaml: a link to the pipe's read end.
            os.symlink(f"/dev/fd/{read}", os.path.join(home, "lavacli.yaml"))
            os.write(write, config.encode())
            os.close(write)
            write = None
            r = subprocess.run(["lavacli", *args], input=stdin, capture_output=True, text=True,
                               pass_fds=(read,), timeout=timeout,
                               env=dict(os.environ, XDG_CONFIG_HOME=home))
        except subprocess.TimeoutExpired:
            raise LabError(f"lavacli {args[0]} {args[1] if len(args) > 1 else ''} got no answer "
                           f"within {timeout} s from {self.where()}")
        finally:
            os.close(read)
            if write is not None:
                os.close(write)
            self.tidy(home)
        out = self.hide(r.stdout)
        if r.returncode != 0 or out.startswith(("Unable to", "Unknown identity")):
            self.explain(self.hide(out + r.stderr).strip())
        return out

    def tidy(self, *homes):
        for home in homes or list(self.homes):
            shutil.rmtree(home, ignore_errors=True)
            self.homes.discard(home)

    def hide(self, text):
        return text.replace(self.token, "***") if self.token else text

    def where(self):
        return urllib.parse.urlsplit(self.url).netloc.rpartition("@")[2]

    def explain(self, message):
        last = message.splitlines()[-1] if message else "no output"
        # 401 only as a word: a connection error names the port and object
        # addresses, and port 33401 once read as a refused token. lavacli
        # says "Unable to connect" of both.
        if re.search(r"\b401\b", message) or "Unauthorized" in message or "Invalid token" in message:
            raise LabError(f"LAVA server {self.where()} refused the token of user "
                           f"'{self.user}' (LAVA_USER, LAVA_TOKEN): {last[:200]}")
        if message.startswith("Unable to connect"):
            raise LabError(f"LAVA server {self.url} is unreachable: {last[:200]}")
        raise LabError(f"lavacli failed: {last[:300]}")


class Remote:
    packages = ["lavacli"]

    def __init__(self, url):
        user, token = os.environ.get("LAVA_USER"), os.environ.get("LAVA_TOKEN")
        if not user or not token:
            fail("--lava URL needs LAVA_USER and LAVA_TOKEN in the environment "
                 "(a token of that user on the server; it is never taken from the command line)")
        self.files_url = os.environ.get("SOCKREUSE_LAVA_FILES_URL", "").rstrip("/")
        if not self.files_url:
            fail("--lava URL needs SOCKREUSE_LAVA_FILES_URL: the address the lab downloads "
                 f"{FILES} from (publish that directory there)")
        self.cli = Lavacli(url, user, token)
        self.where = self.cli.where()
        self.active = set()

    def accelerator(self, accel):
        return f"LAVA {self.where}"

    def check(self):
        """The server answers and takes the token; a stopped run cancels
        the jobs it submitted."""
        try:
            self.cli("system", "whoami")
        except LabError as e:
            fail(str(e))
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self.stop)

    def stop(self, signum, _frame):
        for job_id in sorted(self.active):
            try:
                self.cli("jobs", "cancel", job_id, timeout=30)
                print(f"sockreuse: stopped: cancelled LAVA job {job_id} on {self.where}",
                      file=sys.stderr, flush=True)
            except LabError as e:
                print(f"sockreuse: stopped: could not cancel LAVA job {job_id}: {e}",
                      file=sys.stderr, flush=True)
        self.cli.tidy()  # what calls in flight in other threads left
        os._exit(128 + signum)

    def urls(self, kernel, initrd):
        """The kernel and ramdisk in .cache/lava/files/<release>/, and where
        the lab fetches them; each must answer here before a job goes out."""
        dest = os.path.join(FILES, kernel["release"])
        os.makedirs(dest, exist_ok=True)
        urls = []
        for src, name in ((kernel["vmlinuz"], "vmlinuz"), (initrd, "initrd.cpio.gz")):
            shutil.copy(src, os.path.join(dest, name))
            url = f"{self.files_url}/{urllib.parse.quote(kernel['release'])}/{name}"
            reachable(url, os.path.getsize(src))
            urls.append(url)
        return urls

    def execute(self, kernel, job, accel, relay):
        series = kernel["series"]
        try:
            out = self.cli("jobs", "submit", "-", stdin=yaml.safe_dump(job))
        except LabError as e:
            return [], [], None, str(e), {}
        job_id = out.strip().split()[-1] if out.strip() else ""
        if not job_id.isdigit():
            return [], [], None, f"LAVA did not take the job: {out.strip()[-300:]}", {}
        self.active.add(job_id)
        say(f"{series}: LAVA job {job_id} submitted to {self.where}")
        log, state, problem = [], "Submitted", None
        t0 = time.monotonic()
        try:
            while True:
                show = yaml.safe_load(self.cli("jobs", "show", job_id, "--yaml"))
                if show["state"] != state:
                    state = show["state"]
                    say(f"{series}: LAVA job {job_id}: {state.lower()}")
                new = lavalog.entries(self.cli("jobs", "logs", job_id, "--raw", "--no-follow",
                                               "--start", str(len(log))))
                for entry in new:
                    relay(entry)
                log += new
                if state == "Finished":
                    break
                if time.monotonic() - t0 > TIMEOUT_S:
                    self.cli("jobs", "cancel", job_id)
                    problem = (f"LAVA job {job_id} did not finish within {TIMEOUT_S} s "
                               "(SOCKREUSE_LAVA_TIMEOUT): cancelled it")
                    break
                time.sleep(POLL_S)
            results = lavalog.results_from_server(
                yaml.safe_load(self.cli("results", job_id, "--yaml")) or [])
        except LabError as e:
            return log, [], job_id, f"LAVA job {job_id}: {e}", {}
        if problem is None and show.get("health") not in ("Complete", None):
            comment = show.get("failure_comment") or lavalog.job_failure(results) or "no reason given"
            problem = (f"LAVA job {job_id} ended {show['health'].lower()} ({comment}); the "
                       f"device's last lines: {lavalog.last_lines(lavalog.console(log))}")
        if state == "Finished":
            self.active.discard(job_id)
        return log, results, job_id, problem, {"url": job_url(self.cli.url, job_id)}


def job_url(rpc_url, job_id):
    parts = urllib.parse.urlsplit(rpc_url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/scheduler/job/{job_id}"


def reachable(url, size):
    """The file at `url` is there, `size` bytes, seen from here."""
    problem = None
    if url.startswith("file://"):
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        if not os.path.isfile(path) or os.path.getsize(path) != size:
            problem = "no such file, or another size"
    else:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=20) as r:
                length = r.headers.get("Content-Length")
                if length is not None and int(length) != size:
                    problem = f"{length} bytes there, {size} here"
        except (urllib.error.URLError, OSError, ValueError) as e:
            problem = str(getattr(e, "reason", e))
    if problem:
        fail(f"the lab could not download {url} ({problem}): publish {FILES} at "
             "SOCKREUSE_LAVA_FILES_URL first")
