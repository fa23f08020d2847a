"""A kernel image's architecture, read from its boot header: a kernel you
bring is booted with the QEMU of the architecture it was built for, never
the one assumed from the host."""
import gzip

from sockreuse import arches


class ImageError(Exception):
    pass


def _header(path, size=0x400):
    with open(path, "rb") as f:
        head = f.read(size)
    if head[:2] == b"\x1f\x8b":  # Image.gz (arm64 trees): the header is inside
        with gzip.open(path, "rb") as f:
            head = f.read(size)
    return head


def arch_of(path):
    """The sockreuse.arches.Arch of the kernel image at `path`.

    x86's boot protocol puts "HdrS" at 0x202 (bzImage, also inside an EFI
    stub); arm64's Image header has the magic "ARM\\x64" at 0x38; an s390
    image starts with its IPL PSW (0x00080000 0x80000000) and the IPL CCWs
    after it (0x02000018 ...)."""
    try:
        head = _header(path)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ImageError(f"cannot read the kernel image {path}: {e}")
    if head[0x202:0x206] == b"HdrS":
        name = "x86_64"
    elif head[0x38:0x3C] == b"ARM\x64":
        name = "arm64"
    elif head[0:4] == b"\x00\x08\x00\x00" and head[8:12] == b"\x02\x00\x00\x18":
        name = "s390x"
    else:
        raise ImageError(f"{path} is not a kernel image this suite can boot (an x86 bzImage, "
                         "an arm64 Image or an s390 image)")
    return arches.parse(name)[0]
