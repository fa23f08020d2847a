"""Where a guest's results land: results/runs/<release>/ with results.json,
junit.xml, results.ktap and summary.md as the device's runner wrote them
(carried over its console, sockreuse/boot/bundle.py), vm.json and console.log beside
them. The same for a local guest and a LAVA job, so the compatibility
report reads both alike."""
import json
import os

from sockreuse.boot import bundle
from sockreuse.expect.record import land_guest
from sockreuse.kernels import choose, fetch
from sockreuse.kernels import rootfs
from sockreuse.progress import say
from sockreuse import arches, files
from sockreuse.paths import EXPECTED
from sockreuse.errors import EXIT_FAILED

RUNS = os.path.join(fetch.REPO, "results", "runs")
# A guest whose kernel crashed before its init reported in boots once more
# (sockreuse/boot/crash.py); the first boot's console is kept under this name.
FIRST_CONSOLE = "console.first-boot.log"
GUEST_PREFIX = "/" + rootfs.PREFIX  # the repository's place in the rootfs
STALE = ("results.json", "junit.xml", "results.ktap", "summary.md", "vm.json", "console.log",
         "recorded.yaml", "explore.json", "explore-outcomes.txt.gz", FIRST_CONSOLE)
# What the explorer sends back from a guest; the host compares and explains it.
OUTCOMES = "explore-outcomes.txt.gz"


def run_dir(kernel):
    return os.path.join(RUNS, kernel["release"])


def lock(kernel):
    """The run's directory, locked here on the host for the whole boot (a
    lock inside the device would not be seen here): two runs of one kernel
    take turns."""
    out = run_dir(kernel)
    return files.FolderLock(out, f"the results of {kernel['release']}", say)


def start(kernel):
    """The run's directory, emptied of an earlier run's files."""
    out = run_dir(kernel)
    os.makedirs(out, exist_ok=True)
    for name in STALE:
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    return out


def recording_args(kernel):
    """Runner arguments that record a complete table into the run's
    directory on the device, where the report files travel back from; the
    table the kernel is compared with, if any, is the starting point
    (boot_files puts it there, record.write_start_table)."""
    return ["--record", "--expect", f"{GUEST_PREFIX}/results/runs/{kernel['release']}/recorded.yaml"]


def summary_line(kernel, accel, boot_s, total_s, doc):
    s = doc["summary"]
    table = doc.get("kernel", {}).get("table")
    table = table if isinstance(table, dict) else {}  # older runs name it in one string
    # A kernel without a table of its own names the one it was compared with.
    against = (f" (against {table['delta'] or table['base']}, the nearest older table)"
               if table.get("warning") else "")
    return (f"{kernel['release']:24s} {accel}  boot {boot_s:5.1f} s  total {total_s:5.1f} s  "
            f"{s['total']} cases: {s['pass']} pass {s['fail']} fail {s['new']} new "
            f"{s['error']} error {s['skip']} skip{against}")


def land(kernel, console_lines, vm, problem=None, record=False):
    """Writes the results found in `console_lines`, the console log and
    vm.json (`vm`: accelerator, boot_s, total_s and anything else worth
    keeping); says how it went. Returns the runner's exit status (errors.EXIT_*),
    EXIT_FAILED when the device gave none, and results.json's document (None
    when the device sent none). `problem`: why
    the device may not have finished (hung, ...), reported if no results."""
    out = run_dir(kernel)
    console = os.path.join(out, "console.log")
    files.write_atomic(console, "".join(line + "\n" for line in console_lines))
    code, doc = None, None
    try:
        found = bundle.find(console_lines)
    except bundle.BundleError as e:
        found, problem = None, problem or str(e)
    if found:
        _, code, landed = found
        for name, data in landed.items():
            files.write_atomic(os.path.join(out, name), data)
        if "results.json" in landed:
            doc = json.loads(landed["results.json"])
        problem = None
    elif problem is None:
        tail = " | ".join(l.strip() for l in console_lines[-3:] if l.strip())
        problem = f"the device ended without results (panic or crash?): {tail[-300:]}"
    if record and code == 0 and doc and os.path.isfile(os.path.join(out, "recorded.yaml")):
        # The guest wrote a complete table; here it becomes the kernel's delta,
        # as a --record run on the host writes it.
        with files.FolderLock(EXPECTED, "the expected tables", say):
            lines = land_guest(EXPECTED, kernel["release"], os.path.join(out, "recorded.yaml"),
                               doc)
        for line in lines:
            say(f"{choose.label(kernel)}: {line}")
    vm = {"series": kernel["series"], "arch": arches.of_kernel(kernel).name,
          "release": kernel["release"], **vm,
          "boot_s": round(vm["boot_s"], 1), "total_s": round(vm["total_s"], 1),
          "exit": code if code is not None else -1, "console_log": console, "error": problem}
    files.write_atomic(os.path.join(out, "vm.json"), json.dumps(vm, indent=1) + "\n")
    if problem:
        say(f"{choose.label(kernel)}: ERROR {problem}")
    elif doc is None and found and OUTCOMES in found[2]:
        say(f"{choose.label(kernel)}: explorer outcomes back (exit {code}, boot {vm['boot_s']:.1f} s, "
            f"total {vm['total_s']:.1f} s)")
    elif doc is None:
        say(f"{choose.label(kernel)}: the runner wrote no results (exit {code}); see {console}")
    else:
        say(f"{choose.label(kernel)}: " + summary_line(kernel, vm["accelerator"], vm["boot_s"],
                                                    vm["total_s"], doc)
            + (" (second boot: the first crashed)" if vm.get("first_boot_crash") else ""))
    return (EXIT_FAILED if problem else code), doc


def relay(series, line):
    """Passes the device's own progress and problems on to the run's log."""
    if line.startswith("sockreuse: ") and (" case runs, " in line or "running " in line
                                           or " sequences, " in line):
        say(f"{series}: {line[len('sockreuse: '):]}")
    elif line.startswith("sockreuse-guest: ") and line != "sockreuse-guest: done":
        say(f"{series}: guest {line[len('sockreuse-guest: '):]}")
