"""newc cpio archives, as the kernel unpacks an initramfs, written from a
staging directory. Every entry is owned by root and dated 0, so the archive
depends only on the files' contents and modes, not on who built it or when."""
import gzip
import os
import stat


def _header(ino, mode, size, nlink, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def _pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def archive(stage, prefix=""):
    """The bytes of a newc archive of the tree under `stage`; `prefix` goes in
    front of every name (a path in the target's tree)."""
    out = []
    ino = 1

    def add(name, mode, data=b"", nlink=1):
        nonlocal ino
        head = _header(ino, mode, len(data), nlink, name)
        name_b = name.encode() + b"\0"
        out.append(head + name_b + _pad(len(head) + len(name_b)) + data + _pad(len(data)))
        ino += 1

    for parent in _parents(prefix):
        add(parent, stat.S_IFDIR | 0o755, nlink=2)
    # os.walk lists a link to a directory among the directories and does not
    # follow it: it goes in as the link it is.
    for root, dirs, files in os.walk(stage):
        dirs.sort()
        rel = os.path.relpath(root, stage)
        for name in dirs + sorted(files):
            path = os.path.join(root, name)
            arc = os.path.normpath(os.path.join(prefix, rel, name))
            st = os.lstat(path)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                add(arc, stat.S_IFLNK | 0o777, os.readlink(path).encode())
            elif stat.S_ISDIR(st.st_mode):
                add(arc, stat.S_IFDIR | perm, nlink=2)
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    add(arc, stat.S_IFREG | perm, f.read())
    add("TRAILER!!!", 0)
    return b"".join(out)


def _parents(prefix):
    parts = [p for p in prefix.split("/") if p]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def gz(data, level=6):
    """gzip, which every kernel with an initramfs can unpack, at a level that
    keeps building quick; no time or name in the header, so the same archive
    gives the same bytes."""
    return gzip.compress(data, compresslevel=level, mtime=0)
