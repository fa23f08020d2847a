"""A kernel's configuration against suites/config and the cases: which
options it lacks, which cases skip for each, and whether one is needed by
every case, so nothing can run (refuse).

    report = check.of_running_kernel()       # None: no configuration found
    report = check.of_file(".cache/kernels/6.1/root/boot/config-6.1.0-50-amd64")
    report.fatal       ["CONFIG_VETH"]: missing, every case needs it
    report.skipped     {"CONFIG_NET_VRF": ["tcp4.vrf.bind...", ...]}
    report.lines()     the lines to print before the cases run
    report.refusal()   the one line to stop with, or None

`cases` is the case list --list-cases prints (each with its "config"); by
default read from build/sockreuse_suite.

    python3 -m sockreuse.kconfig.check [CONFIG]   the running kernel's, or CONFIG's
"""
import os
import sys
from collections import Counter

from sockreuse.errors import EXIT_CANNOT_RUN, EXIT_USAGE, RunnerError
from sockreuse.kconfig import fragment, kernel_config
from sockreuse.paths import BUILD, shown
from sockreuse.run import suite

# How many case patterns a line names before "...".
PATTERNS_SHOWN = 4


class Report:
    """One configuration (`source`, read as `options`) against the fragment
    and `cases`. `missing`: the fragment's options it lacks, in the
    fragment's order; `fatal`: those every case needs; `skipped`: {option:
    [case ids]} for the others, the cases that name it."""

    def __init__(self, options, cases, frag, source, subject):
        self.source, self.subject, self.fragment = source, subject, frag
        self.case_ids = [c["id"] for c in cases]
        self.missing = [n for n in frag.options if not kernel_config.present(options, n)]
        self.fatal = [n for n in self.missing if n in frag.every]
        self.skipped = {n: [c["id"] for c in cases if n in c.get("config", ())]
                        for n in self.missing if n not in frag.every}

    def _lacks(self, names):
        parts = [f"{n} ({self.fragment.wanted(n)})" for n in names]
        return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]

    def refusal(self):
        """The one line a run stops with when an option every case needs is
        missing; None when there is none."""
        if not self.fatal:
            return None
        return (f"sockreuse: {self.subject} lacks {self._lacks(self.fatal)}, which every case "
                "needs: build the kernel with suites/config merged (README \"Your own kernel\")")

    def lines(self):
        """What a run says before its cases: one line per set of missing
        options whose cases are the same, with how many skip and which; or
        that every option is there."""
        if not self.missing:
            # Where the running kernel's configuration came from; a file's name is the subject.
            where = (f" ({self.source})" if self.source in
                     kernel_config.candidates(os.uname().release) else "")
            return [f"sockreuse: {self.subject} has every option of suites/config{where}"]
        groups = {}
        for name, ids in self.skipped.items():
            groups.setdefault(tuple(ids), []).append(name)
        out = []
        for ids, names in groups.items():
            if not ids:
                out.append(f"sockreuse: {self.subject} lacks {self._lacks(names)}: no selected "
                           "case needs it")
                continue
            shown_ids = patterns(ids, self.case_ids)
            more = len(shown_ids) - PATTERNS_SHOWN
            which = ", ".join(shown_ids[:PATTERNS_SHOWN]) + (f", ... ({more} more)"
                                                              if more > 0 else "")
            cases = "case skips" if len(ids) == 1 else "cases skip"
            out.append(f"sockreuse: {self.subject} lacks {self._lacks(names)}: {len(ids)} "
                       f"{cases} ({which})")
        return out

    def as_json(self):
        """What results.json records of the check."""
        return {"source": shown(self.source), "missing": self.missing, "fatal": self.fatal,
                "skipped": self.skipped, "lines": self.lines()}


def patterns(ids, all_ids):
    """`ids` as few dotted patterns as name exactly them among `all_ids`:
    "tcp4.vrf.*" when every case under tcp4.vrf is among them, else the
    patterns under it; the ones that cover most cases first."""
    wanted = set(ids)
    under = Counter()
    for i in all_ids:
        parts = i.split(".")
        for n in range(1, len(parts)):
            under[".".join(parts[:n])] += 1
    hits = Counter()
    for i in wanted:
        parts = i.split(".")
        for n in range(1, len(parts)):
            hits[".".join(parts[:n])] += 1
    out, done = [], set()
    # Shortest prefixes first, so a pattern is never inside one already given.
    for prefix in sorted(hits, key=lambda p: (p.count("."), p)):
        if under[prefix] != hits[prefix] or under[prefix] < 2:
            continue
        if any(prefix.startswith(d + ".") for d in done):
            continue
        done.add(prefix)
        out.append((hits[prefix], prefix + ".*"))
    for i in sorted(wanted):
        if not any(i.startswith(d + ".") for d in done):
            out.append((1, i))
    return [p for _, p in sorted(out, key=lambda x: (-x[0], x[1]))]


def compare(options, cases, source, subject="this kernel", frag=None):
    if frag is None:
        try:
            frag = fragment.load()
        except (OSError, fragment.FragmentError) as e:
            raise RunnerError(f"suites/config: {e}", EXIT_USAGE)
    return Report(options, cases, frag, source, subject)


def suite_cases():
    return suite.list_cases(os.path.join(BUILD, "sockreuse_suite"))


def of_file(path, cases=None, subject=None):
    """The configuration at `path` (a .config, /boot/config-*, a config.gz or a
    kernel tree) against the fragment and `cases` (None: the suite's)."""
    options = read(path)
    return compare(options, suite_cases() if cases is None else cases, path,
                   subject or os.path.basename(os.path.normpath(path)))


def of_running_kernel(cases=None):
    """The running kernel's configuration against the fragment and `cases`;
    None when none of kernel_config.candidates() exists (not_found_line()
    says so)."""
    path = kernel_config.find(os.uname().release)
    if path is None:
        return None
    return compare(read(path), suite_cases() if cases is None else cases, path)


def not_found_line(release=None):
    release = release or os.uname().release
    return (f"sockreuse: the configuration of kernel {release} could not be read (none of "
            f"{', '.join(kernel_config.candidates(release))}): not checked against "
            "suites/config")


def read(path):
    try:
        return kernel_config.read(path)
    except kernel_config.KconfigError as e:
        raise RunnerError(str(e), EXIT_USAGE)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) > 1 or (argv and argv[0].startswith("-")):
            raise RunnerError("give one kernel configuration file (or none: the running "
                              "kernel's)")
        report = of_file(argv[0]) if argv else of_running_kernel()
    except RunnerError as e:
        print(f"sockreuse: {e}", file=sys.stderr)
        return e.code
    if report is None:
        print(not_found_line())
        return 0
    if report.refusal():
        print(report.refusal())
        return EXIT_CANNOT_RUN
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
