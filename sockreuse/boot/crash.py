"""A guest kernel that crashed before its init reported in, read off its
console. Under TCG a kernel that boots can still meet an emulator race: a
7.2 guest here died in 2 of about 40 boots with "Oops: int3" while another
vCPU was patching kernel text (docs/findings.md#tcg-boot-int3-crash). So
such a guest is booted once more (sockreuse/boot/guest.py), and says so; a
kernel that crashes on both boots did not boot."""
import re

CRASH = re.compile(r"Kernel panic - not syncing|Oops:|BUG:|general protection fault")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s*")


def crash_line(lines):
    """The first line saying the kernel crashed, without its timestamp, with
    the instruction it crashed at when the console gives one; None if none."""
    for i, line in enumerate(lines):
        if CRASH.search(line):
            what = STAMP.sub("", line.strip())
            rip = next((STAMP.sub("", l.strip()) for l in lines[i + 1:i + 20] if "RIP:" in l), None)
            return f"{what} ({rip})" if rip else what
    return None
