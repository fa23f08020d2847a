"""Exit statuses of ./run_tests.sh and the runner, one table for all (also in
--help and the README), and the error that carries one."""

EXIT_PASS = 0        # every case passed (some may be skipped, each with its reason)
EXIT_FAILED = 1      # a case failed or errored (or, with --explore, a sequence differed)
EXIT_USAGE = 2       # bad usage or input: option, value, file, table, kernel series, -k
EXIT_NEW = 3         # cases without a table row, nothing failed; --allow-new accepts them
EXIT_CANNOT_RUN = 4  # nothing could run here: every case skipped, or the environment lacks
                     # what the suite needs (privilege, a package, the build)

EXIT_TABLE = [
    (EXIT_PASS, "every case passed (some may be skipped, each with its reason)"),
    (EXIT_FAILED, "a case failed or errored (with --explore: a sequence differed)"),
    (EXIT_USAGE, "bad usage or input: an unknown option or value, conflicting options, a "
                 "missing or malformed file or table, an unknown kernel series, -k matching "
                 "no case"),
    (EXIT_NEW, "cases without a table row and nothing failed: review them and --record, or "
               "pass --allow-new"),
    (EXIT_CANNOT_RUN, "nothing could run here: every case was skipped, or the machine lacks "
                      "what the suite needs (root or user namespaces, a package, the build)"),
]

# With --bisect, the statuses `git bisect run` reads (git help bisect): good,
# bad, "cannot test this commit" (skipped), and above 127, stop the bisection.
BISECT_GOOD = 0
BISECT_BAD = 1
BISECT_SKIP = 125
BISECT_ABORT = 128

BISECT_TABLE = [
    (BISECT_GOOD, "good: the selected cases passed"),
    (BISECT_BAD, "bad: a selected case failed"),
    (BISECT_SKIP, "skip: the kernel cannot be tested (it did not build or boot, lacks an "
                  "option the cases need, every selected case skipped or had no table row, "
                  "or the run itself broke)"),
    (BISECT_ABORT, "stop the bisection: bad usage (the command is wrong at every commit)"),
]


class RunnerError(Exception):
    def __init__(self, message, code=EXIT_USAGE):
        super().__init__(message)
        self.code = code
