"""Writing the project's files so that a kill at any moment leaves the old
file or the new one, never a truncated one; reading a YAML file with one
error for every way it can fail; and a lock so that two runs on one folder
take turns instead of mixing their files."""
import errno
import fcntl
import os
import sys
import tempfile
import time

import yaml

# libyaml's loader where python3-yaml has it: the same safe loader, four to
# ten times faster; in a TCG guest the runner's tables took about a second
# to parse in pure Python.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_doc(stream):
    """yaml.safe_load, through YAML_LOADER."""
    return yaml.load(stream, Loader=YAML_LOADER)


def write_atomic(path, data):
    """Writes data (str or bytes) to a temporary file beside path, flushes it
    to disk and renames it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_yaml(path, error, what):
    """The document of a YAML file; error("PATH: cannot read WHAT: why") when
    it is missing or no YAML."""
    try:
        with open(path, encoding="utf-8") as f:
            return yaml_doc(f)
    except (OSError, yaml.YAMLError) as e:
        raise error(f"{path}: cannot read {what}: {e}")


def copy_atomic(src, dst):
    with open(src, "rb") as f:
        write_atomic(dst, f.read())


class FolderLock:
    """An exclusive lock on a folder (a `.lock` file in it, held with flock, so
    it is released when the holder dies however it dies). A second holder
    waits, saying once whom it waits for. On a file system without locks
    (a guest's 9p share) there is nothing to take and nothing is waited for."""

    def __init__(self, folder, what, say=None):
        self.folder = folder
        self.what = what
        self.say = say or (lambda line: (sys.stderr.write(line + "\n"), sys.stderr.flush()))
        self.fd = None

    def __enter__(self):
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, ".lock")
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                return self
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(self.fd, 200, 0).decode(errors="replace").strip() or "another run"
            self.say(f"sockreuse: waiting for {holder} to finish with {self.what} ({self.folder})")
            t0 = time.monotonic()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            self.say(f"sockreuse: {self.what} is free after {time.monotonic() - t0:.0f} s")
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"run {os.getpid()} (started {time.strftime('%H:%M:%S')})".encode(), 0)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
        return False
