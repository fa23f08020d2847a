"""A run's report files carried over a serial console, the one channel every
device has: a local guest, LAVA's QEMU device and a lab board alike.

The device prints the results directory as a gzipped tar, base64 in lines
that all start with the same tag, between a `begin` line (name, the runner's
exit status, size and SHA-256) and an `end` line. The reader keeps only
tagged lines, so kernel messages printed in between do no harm, and the
checksum catches a line that one cut in half. Both ends are this file: it is
copied into the rootfs.

    bundle.py emit DIR EXIT     (on the device)
"""
import base64
import hashlib
import io
import os
import sys
import tarfile

TAG = "sockreuse-results: "
WIDTH = 76


class BundleError(Exception):
    pass


def pack(directory):
    buf = io.BytesIO()
    # Level 6: a tenth of level 9's time for 6% more bytes; under TCG the
    # compression cost more than those bytes take to cross the console.
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                tar.add(path, arcname=name)
    return buf.getvalue()


def lines(name, exit_code, payload):
    text = base64.b64encode(payload).decode()
    yield f"{TAG}begin {name} {exit_code} {len(payload)} {hashlib.sha256(payload).hexdigest()}"
    for i in range(0, len(text), WIDTH):
        yield TAG + text[i:i + WIDTH]
    yield f"{TAG}end {name}"


def find(console_lines):
    """(name, exit status, {file name: bytes}) of the last complete bundle in
    the console lines; None when there is none; BundleError when one is
    there but damaged."""
    found = None
    current = None
    for raw in console_lines:
        at = raw.find(TAG)
        if at < 0:
            continue
        body = raw[at + len(TAG):].strip()
        if body.startswith("begin "):
            current = (body.split(), [])
        elif body.startswith("end ") and current:
            found = current
            current = None
        elif current:
            current[1].append(body)
    if found is None:
        if current:
            raise BundleError("the results on the console stop before their end line "
                              "(the device stopped or the log was cut)")
        return None
    head, chunks = found
    try:
        _, name, exit_code, size, digest = head
        payload = base64.b64decode("".join(chunks), validate=True)
    except (ValueError, base64.binascii.Error):
        raise BundleError("the results on the console are garbled")
    if len(payload) != int(size) or hashlib.sha256(payload).hexdigest() != digest:
        raise BundleError("the results on the console fail their checksum "
                          "(a line was damaged on the way)")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and "/" not in member.name and not member.name.startswith("."):
                files[member.name] = tar.extractfile(member).read()
    return name, int(exit_code), files


def write(files, directory):
    """The files of a bundle into `directory`, replacing what was there."""
    os.makedirs(directory, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def main(argv):
    if len(argv) != 4 or argv[1] != "emit":
        sys.exit("usage: bundle.py emit DIR EXIT")
    directory, exit_code = argv[2], int(argv[3])
    payload = pack(directory)
    out = sys.stdout
    for line in lines(os.path.basename(os.path.normpath(directory)), exit_code, payload):
        out.write(line + "\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv)
