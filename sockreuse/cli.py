"""./run_tests.sh's command line, read in this one place: every option's
value and every conflict between options is checked here, once, and the mode
the options ask for decided (the suite, --selftest, --explore, a guest run
with --kernel or --matrix, --rootfs, --show-table); then the command for that
mode runs with the checked values. Bad input is one line, `sockreuse: ...`,
and exit status 2 (sockreuse/errors.py).

The entry points it runs (the pytest plugin, sockreuse.boot.matrix,
sockreuse.explore.driver, sockreuse.kernels.rootfs) are also run directly,
by guests, tests and the matrix: they check their values with the
validators here (positive_int, wait_scale, expect_table, ...), never with
their own.

    python3 -m sockreuse.cli ARGS...            what ./run_tests.sh ARGS... runs
    python3 -m sockreuse.cli --mode-of ARGS...  the mode, checked: "MODE [local|server]"
                                                (the second word: --lava's kind)

run_tests.sh asks for the mode before it installs anything, so at module
level this imports only the standard library, sockreuse.errors (which
imports nothing) and sockreuse.paths (the standard library's os only)."""
import argparse
import math
import os
import re
import subprocess
import sys

from sockreuse.paths import EXPECTED
from sockreuse.errors import (BISECT_ABORT, BISECT_TABLE, EXIT_FAILED, EXIT_TABLE, EXIT_USAGE,
                              RunnerError)

PY = "/usr/bin/python3"  # Debian's interpreter: it sees python3-pytest and friends

USAGE = """\
sockreuse: the one entry point. Installs what is missing (Debian packages),
builds into build/, runs the suite on the running kernel and compares with
the expected table; or, with --selftest, runs the project's own tests.

  ./run_tests.sh                  the suite; report under results/runs/<uname -r>/
  ./run_tests.sh --selftest       the project's own tests (takes no other option)
  ./run_tests.sh -k timewait      only matching cases (pytest -k; -k R4: the cases of rule R4)
  ./run_tests.sh -j 1             cases one at a time (default: one suite process per core)
  ./run_tests.sh --repeat N       run every case N times; a case whose outcome varies fails
  ./run_tests.sh --record         write this kernel's delta: the observed outcomes that differ
                                  from results/expected/base.yaml (a kernel without one gets a
                                  new delta); with --expect FILE, write FILE, a complete table
  ./run_tests.sh --expect FILE    compare with FILE (a complete table) instead of base + delta;
                                  --expect SERIES: with series S's table (base + its delta)
  ./run_tests.sh --allow-new      cases without a table row do not fail the run
  ./run_tests.sh --wait-scale X   multiply every harness wait bound (10 s) by X
  ./run_tests.sh --kernel SERIES  the suite inside a VM booting another kernel (vm/kernels.conf)
  ./run_tests.sh --kernel PATH --modules DIR   ... booting your own vmlinuz and its modules
  ./run_tests.sh --kernel FILE.deb              ... your kernel's Debian package (a split
                                  kernel's linux-image: its linux-binary, -modules, -base beside it)
  ./run_tests.sh --kernel TREE    ... a built kernel tree (image, .config, make modules_install)
  ./run_tests.sh --bisect --kernel TREE -k EXPR   one step of `git bisect run`: exit 0 good,
                                  1 bad, 125 skip (cannot test), 128 stop (statuses below)
  ./run_tests.sh --matrix         host + every configured kernel; report in results/compat/
  ./run_tests.sh --kernel S --arch A   ... on another architecture (arm64, s390x; all: every
                                  one Debian builds S for), cross-built, under TCG; also
                                  with --matrix (all: every series and architecture), --rootfs
                                  (with --kernel or --matrix, -j N is guests side by side;
                                  default: cores / vCPUs a guest (2), at least 1; a lab: all)
  ./run_tests.sh --rootfs OUT     the rootfs the guests boot, for a LAVA lab (cpio.gz);
                                  with --kernel, that kernel's modules appended
  ./run_tests.sh --kernel S --lava local   the guest as a LAVA job, run here by lava-run
  ./run_tests.sh --kernel S --lava URL     ... submitted to a LAVA server (LAVA_USER,
                                  LAVA_TOKEN, SOCKREUSE_LAVA_FILES_URL; see docs/lava.md)
  ./run_tests.sh --explore        every two- and three-socket bind sequence
                                  (explore/space.yaml) instead of the cases, against
                                  results/explore/; -k dim:value selects
                                  (with --kernel or --matrix: in the guests)
  ./run_tests.sh --show-table SERIES   print series S's effective table (base.yaml + its
                                  delta); takes no other option
  ./run_tests.sh --repro ID       one case (or a quoted explorer key) as a standalone C
                                  program on stdout (docs/reproducers.md); takes no other option
  ./run_tests.sh --help           this text"""

# Every option: what its value is (for "OPTION needs ..."), or None for a flag.
OPTIONS = {
    "--selftest": None,
    "-j": "a number of workers",
    "--repeat": "a number of runs",
    "--wait-scale": "a number",
    "--expect": "a table file or a series",
    "-k": "a value",
    "--kernel-release": "a value",
    "--results-dir": "a value",
    "--expected-dir": "a value",
    "--record": None,
    "--allow-new": None,
    "--kernel": "a series (vm/kernels.conf), a vmlinuz, a kernel .deb or a kernel tree",
    "--modules": "the lib/modules/<release> folder (or linux-modules .deb) of your kernel",
    "--arch": "an architecture (x86_64, arm64, s390x) or all",
    "--matrix": None,
    "--bisect": None,
    "--lava": "'local' or a LAVA server's URL",
    "--rootfs": "a file to write",
    "--explore": None,
    "--show-table": "a kernel series",
    "--repro": "a case id or an explorer key",
    "-h": None,
    "--help": None,
}

# What each mode hands on, in this order (the conflict checks keep the rest out).
SUITE_OPTIONS = ["-k", "--repeat", "--wait-scale", "--expect", "--record", "--allow-new",
                 "--kernel-release", "--results-dir", "--expected-dir"]
EXPLORE_OPTIONS = ["-k", "--wait-scale", "--expect", "--record", "--kernel-release",
                   "--results-dir"]
GUEST_OPTIONS = ["--kernel", "--modules", "--arch", "--matrix", "--lava", "--explore", "-j", "-k",
                 "--repeat", "--wait-scale", "--expect", "--record", "--allow-new", "--bisect"]
ROOTFS_OPTIONS = ["--kernel", "--modules", "--arch"]
HOST_ONLY = ["--kernel-release", "--results-dir", "--expected-dir"]
SUITE_ONLY = ["--allow-new", "--repeat", "--expected-dir"]


# The validators: each raises RunnerError with its one line.

def positive_int(name, text, what=""):
    """`text` as a whole number of at least 1."""
    if not re.fullmatch(r"[1-9][0-9]*", str(text)):
        raise RunnerError(f"{name} wants a positive whole number{what}, not '{text}'")
    return int(text)


def wait_scale(text, name="--wait-scale"):
    """The factor on every harness wait bound: a positive number, as the
    binaries read it (netns/wait.cc: strtod, finite, above 0)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise RunnerError(f"{name} wants a positive number (1: 10 s per wait), not '{text}'")
    return value


def wait_scale_setting(option):
    """The wait scale a run uses: the option, else $SOCKREUSE_WAIT_SCALE, else
    1; checked, and left in SOCKREUSE_WAIT_SCALE, where the suite and
    explorer binaries read it."""
    if option is not None:
        text, name = option, "--wait-scale"
    else:
        text, name = os.environ.get("SOCKREUSE_WAIT_SCALE") or "1", "SOCKREUSE_WAIT_SCALE"
    value = wait_scale(text, name)
    os.environ["SOCKREUSE_WAIT_SCALE"] = str(text)
    return value


def one_line(expression):
    """-k: a guest reads its arguments one a line."""
    if "\n" in expression:
        raise RunnerError("-k takes an expression on one line")
    return expression


def expect_series(text):
    """--expect SERIES: the series whose effective table (base + its delta)
    a run compares with, whatever kernel it runs on (a bisection's "good");
    None when `text` names a file or no series."""
    if os.path.exists(text) or not re.fullmatch(r"\d+\.\d+|base", text):
        return None
    if not os.path.isfile(os.path.join(EXPECTED, text + ".yaml")):
        known = sorted(n[:-5] for n in os.listdir(EXPECTED) if n.endswith(".yaml"))
        raise RunnerError(f"--expect {text}: no table for series {text} in results/expected "
                          f"(known: {', '.join(known)}; or give a table file)")
    return text


def expect_table(path, may_create):
    """--expect FILE: a table that exists, unless this run writes it; or a
    series (expect_series)."""
    if expect_series(path):
        if may_create:
            raise RunnerError(f"--expect {path} names a series' table to compare with; --record "
                              "writes a table: give --expect FILE")
        return path
    if not may_create and not os.path.isfile(path):
        raise RunnerError(f"--expect {path}: no such table file (record one with --record "
                          "--expect FILE)")
    return path


def lava_target(text):
    """--lava: `local` (lava-run here) or `server` (an http(s) URL)."""
    if text == "local":
        return "local"
    if re.match(r"^https?://[^/\s]+", text):
        return "server"
    raise RunnerError(f"--lava {text}: give `local` (lava-run on this machine) or a LAVA "
                      "server's XML-RPC address, like https://lava.example.org/RPC2")


def output_file(name, path):
    """A file to write: not a folder, in a folder that exists."""
    out = os.path.abspath(path)
    if os.path.isdir(out) or not os.path.isdir(os.path.dirname(out)):
        raise RunnerError(f"{name} {path}: give a file name in an existing directory")
    return out


def kernel_kind(kernel, modules, configured):
    """--kernel [--modules]: "series" (one of `configured`) or "own" (a
    vmlinuz with --modules DIR, a linux-image .deb or linux-binary .deb with
    --modules linux-modules .deb, or a built kernel tree:
    sockreuse/kernels/own.py)."""
    if kernel in configured:
        return "series"
    if os.sep not in kernel and not os.path.exists(kernel):
        raise RunnerError(f"unknown kernel series '{kernel}' (configured: "
                          f"{', '.join(configured)}; or give a path: a vmlinuz with --modules "
                          "DIR, a kernel .deb, or a built kernel tree)")
    if not os.path.exists(kernel):
        raise RunnerError(f"--kernel {kernel}: no such file or folder (give a vmlinuz, a "
                          "kernel .deb, a built kernel tree, or a series from vm/kernels.conf)")
    if os.path.isdir(kernel):
        if modules:
            raise RunnerError(f"--kernel {kernel} is a kernel tree: its modules come from its "
                              "own make modules_install; drop --modules")
        return "own"
    if modules and not os.path.exists(modules):
        raise RunnerError(f"--modules {modules}: no such folder or package")
    if not kernel.endswith(".deb") and not (modules and os.path.isdir(modules)):
        raise RunnerError(f"--kernel {kernel} needs --modules DIR, the lib/modules/<release> "
                          "folder of that kernel (or give its .deb, or its build tree)")
    return "own"


class OneLineParser(argparse.ArgumentParser):
    """argparse's own complaint is a usage block; this project's is one line."""

    def error(self, message):
        print(f"sockreuse: {message} (see ./run_tests.sh --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


class Options:
    """A checked command line: `mode`, `given` ({option: value, True for a
    flag}, the last of each), `order` (the options as given) and each option
    as an attribute (--wait-scale: wait_scale; None or False when absent)."""

    def __init__(self, given, order):
        self.given, self.order = given, order
        for name, value in OPTIONS.items():
            setattr(self, name.lstrip("-").replace("-", "_"),
                    given.get(name, None if value else False))
        self.jobs = None  # -j, checked
        self.lava_kind = None
        self.arches = None  # --arch, checked
        self.mode = None

    def has(self, *names):
        return any(n in self.given for n in names)

    def passed(self, names):
        """The given options among `names` as words for another command."""
        words = []
        for name in names:
            value = self.given.get(name)
            if value is True:
                words.append(name)
            elif value is not None:
                words += [name, value]
        return words


def parse(argv):
    """The checked Options of a command line; RunnerError on bad input."""
    given, order, rest = {}, [], list(argv)
    while rest:
        word = rest.pop(0)
        name, value = ("-j", word[2:]) if word.startswith("-j") and len(word) > 2 else (word, None)
        if name not in OPTIONS:
            raise RunnerError(f"unknown option '{word}' (see ./run_tests.sh --help)")
        if OPTIONS[name] and value is None:
            if not rest:
                raise RunnerError(f"{name} needs {OPTIONS[name]}")
            value = rest.pop(0)
        given[name] = value if OPTIONS[name] else True
        order.append(name)
    o = Options(given, order)
    if o.has("-h", "--help"):
        o.mode = "help"
        return o
    check_values(o)
    check_conflicts(o)
    o.mode = ("selftest" if o.selftest else "show-table" if o.has("--show-table") else
              "repro" if o.has("--repro") else
              "rootfs" if o.has("--rootfs") else "vm" if o.has("--kernel", "--matrix") else
              "explore" if o.explore else "suite")
    return o


def check_values(o):
    if o.j is not None:
        o.jobs = positive_int("-j", o.j)
    if o.repeat is not None:
        positive_int("--repeat", o.repeat)
    if o.wait_scale is not None:
        wait_scale(o.wait_scale)
    if o.k is not None:
        one_line(o.k)
    if o.lava is not None:
        o.lava_kind = lava_target(o.lava)
    if o.rootfs is not None:
        output_file("--rootfs", o.rootfs)
    if o.arch is not None:
        o.arches = architectures(o.arch)


def architectures(text):
    """--arch: a list of sockreuse.arches.Arch."""
    from sockreuse import arches
    try:
        return arches.parse(text)
    except arches.ArchError as e:
        raise RunnerError(f"--arch {text}: {e}")


def alone(o, name, what):
    others = [n for n in o.order if n != name]
    if o.has(name) and others:
        raise RunnerError(f"{name} {what} and takes no other option (got '{others[0]}')")


def check_conflicts(o):
    alone(o, "--selftest", "runs the project's own tests")
    alone(o, "--show-table", "prints one kernel series' expected table")
    alone(o, "--repro", "writes one case's standalone C reproducer")
    vm = o.has("--kernel", "--matrix")
    if o.explore:
        for name in SUITE_ONLY:
            if o.has(name):
                raise RunnerError(f"{name} is for the suite's cases; --explore runs the "
                                  "explorer (see --help)")
    if o.has("--matrix") and o.has("--kernel"):
        raise RunnerError("--matrix runs every configured kernel and --kernel one: give one "
                          "of them")
    if o.has("--modules") and not (o.kernel and os.path.isfile(o.kernel)):
        raise RunnerError("--modules goes with --kernel PATH (your own vmlinuz or kernel "
                          ".deb), not with a series, a tree or alone")
    if o.has("--expect") and o.matrix:
        raise RunnerError("--expect names one table, but --matrix compares each kernel with "
                          "its own: drop one")
    for name in HOST_ONLY:
        if vm and o.has(name):
            raise RunnerError(f"{name} is for a run on this machine; --kernel and --matrix "
                              "choose it per guest")
    if o.expect is not None:
        # A guest compares with the table it is given; only a run here writes a new one.
        expect_table(o.expect, may_create=o.record and not vm)
    if o.has("--lava"):
        if not vm:
            raise RunnerError("--lava goes with --kernel S or --matrix")
        if o.explore:
            raise RunnerError("--explore runs in local guests only: drop --lava")
        if o.has("--record", "--expect"):
            raise RunnerError("--record and --expect work with local guests only: drop --lava "
                              "to record (the tables come with the rootfs a LAVA job boots)")
        if o.lava_kind == "server" and o.arches and any(a.name != "x86_64" for a in o.arches):
            raise RunnerError("--lava URL sends x86_64 jobs only so far (arm64 and s390x jobs "
                              "have run with --lava local, not in a lab): drop --arch, or use "
                              "--lava local")
    if o.bisect:
        if not o.has("--kernel"):
            raise RunnerError("--bisect tests one kernel: give --kernel (a tree, a package, a "
                              "vmlinuz with --modules, or a series)")
        for name in ("--lava", "--explore", "--record", "--arch"):
            if o.has(name):
                raise RunnerError(f"--bisect runs the selected cases in one local guest: drop "
                                  f"{name}")
    if o.has("--arch") and not o.has("--kernel", "--matrix", "--rootfs"):
        raise RunnerError("--arch goes with --kernel, --matrix or --rootfs (the host runs "
                          "its own architecture)")
    if o.has("--arch") and o.kernel and os.path.exists(o.kernel):
        raise RunnerError("--arch chooses a Debian kernel's architecture; your own kernel's "
                          "is read from its image: drop --arch")
    if o.has("--rootfs"):
        if o.arches and len(o.arches) > 1:
            raise RunnerError("--rootfs writes one architecture's rootfs: give --arch x86_64, "
                              "arm64 or s390x, not all")
        if o.matrix:
            raise RunnerError("--rootfs takes one kernel's modules: use --kernel, not --matrix")
        if any(n not in ROOTFS_OPTIONS + ["--rootfs"] for n in o.order):
            raise RunnerError("--rootfs goes alone or with --kernel (and --modules)")


def check_kernel(o, mode_only):
    """--kernel against vm/kernels.conf, which PyYAML reads: for --mode-of,
    only when PyYAML is there (run_tests.sh may not have installed it yet;
    the run after the installation checks it then)."""
    if o.kernel is None:
        return
    try:
        from sockreuse.kernels import fetch
    except ImportError:
        if mode_only:
            return
        raise
    conf = fetch.load_conf()
    if kernel_kind(o.kernel, o.modules, list(conf)) == "series" and o.arches:
        shipped = conf[o.kernel]["arches"]
        if not any(a.name in shipped for a in o.arches):
            raise RunnerError(f"Debian ships no {o.arch} kernel for series {o.kernel} (its "
                              f"architectures: {', '.join(shipped)}; vm/kernels.conf)")


def cores():
    return len(os.sched_getaffinity(0))


class Step:
    """One command of a mode: what it says first, its argv and folder, and
    the error when it fails (None: the last step, its status is the run's)."""

    def __init__(self, argv, cwd=".", say=None, failed=None):
        self.argv, self.cwd, self.say, self.failed = argv, cwd, say, failed


SELFTEST_PYTEST = [PY, "-m", "pytest", "tests/", "-p", "no:cacheprovider", "-q"]


def suite_command(words):
    return [PY, "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q", *words]


def explore_command(words):
    return [PY, "-m", "sockreuse.explore.driver", *words]


def steps(o, ncores):
    """The commands a checked command line runs, in order."""
    jobs = str(o.jobs or ncores)
    if o.mode == "selftest":
        return [Step(["ctest", "--output-on-failure", "-j", str(ncores)], cwd="build",
                     say="netns/ unit tests (ctest)", failed="netns/ unit tests failed"),
                # loadgroup: the tests that share one run (xdist_group) go to one worker.
                Step([*SELFTEST_PYTEST, "-n", str(ncores), "--dist", "loadgroup", "-m", "not solo"],
                     say=f"runner and system tests, {ncores} side by side (pytest-xdist)",
                     failed="runner and system tests failed"),
                Step([*SELFTEST_PYTEST, "-m", "solo"],
                     say="the tests that watch the whole host, alone (pytest)")]
    if o.mode == "show-table":
        return [Step([PY, "-m", "sockreuse.expect.show_table", o.show_table])]
    if o.mode == "repro":
        return [Step([PY, "-m", "sockreuse.repro.reproduce", o.repro])]
    if o.mode == "rootfs":
        return [Step([PY, "-m", "sockreuse.kernels.rootfs", o.rootfs,
                      *o.passed(ROOTFS_OPTIONS)])]
    if o.mode == "vm":
        # Without -j, the matrix fits the guests' vCPUs to the cores.
        return [Step([PY, "-m", "sockreuse.boot.matrix", *o.passed(GUEST_OPTIONS)])]
    if o.mode == "explore":
        return [Step(explore_command(["-j", jobs, *o.passed(EXPLORE_OPTIONS)]))]
    return [Step(suite_command(["--jobs", jobs, *o.passed(SUITE_OPTIONS)]))]


def usage():
    return (USAGE + "\n\nExit status:\n" + "".join(f"  {c}  {m}\n" for c, m in EXIT_TABLE)
            + "\nWith --bisect (git bisect run's contract):\n"
            + "".join(f"  {c:<3}  {m}\n" for c, m in BISECT_TABLE))


def say(line):
    print(f"sockreuse: {line}", flush=True)


def run(plan):
    """Runs every step but the last, then becomes the last."""
    for step in plan[:-1]:
        if step.say:
            say(step.say)
        if subprocess.run(step.argv, cwd=step.cwd).returncode != 0:
            print(f"sockreuse: {step.failed}", file=sys.stderr)
            return EXIT_FAILED
    last = plan[-1]
    if last.say:
        say(last.say)
    os.chdir(last.cwd)
    os.execvp(last.argv[0], last.argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    mode_only = argv[:1] == ["--mode-of"]
    try:
        o = parse(argv[1:] if mode_only else argv)
        if o.mode != "help":
            check_kernel(o, mode_only)
        if mode_only:
            print(" ".join(filter(None, [o.mode, o.lava_kind])))
            return 0
        if o.mode == "help":
            print(usage(), end="")
            return 0
    except RunnerError as e:
        print(f"sockreuse: {e}", file=sys.stderr)
        # A wrong command is wrong at every commit: git bisect run must stop,
        # not count the commit as bad (2) or skip it.
        return BISECT_ABORT if "--bisect" in argv else e.code
    return run(steps(o, cores()))


if __name__ == "__main__":
    sys.exit(main())
