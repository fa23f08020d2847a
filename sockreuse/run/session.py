"""Everything one run needs, checked before any case runs: the options, the
vocabulary, the expected table (and, with --record, the table to write), the
suite's case list and the results folder."""
import os
import time

from sockreuse.expect import table_choice, tables, vocabulary
from sockreuse.run import suite
from sockreuse.errors import EXIT_USAGE, RunnerError

from sockreuse.paths import REPO


def wait_scale(option):
    """The wait bound's scale, checked here so a bad value is one line, and
    handed to the suite binary in its environment."""
    text = option if option is not None else os.environ.get("SOCKREUSE_WAIT_SCALE", "1")
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not value > 0 or value == float("inf"):
        raise RunnerError(f"--wait-scale / SOCKREUSE_WAIT_SCALE '{text}' is not a positive "
                          "number (1 is the default bound, 10 s per wait)")
    os.environ["SOCKREUSE_WAIT_SCALE"] = text
    return value


class State:
    """Built once per process from pytest's options (controller and workers)."""

    def __init__(self, opt):
        self.binary = os.path.abspath(opt.suite_bin)
        self.release = opt.kernel_release or os.uname().release
        self.record = opt.record
        if opt.repeat < 1:
            raise RunnerError(f"--repeat {opt.repeat}: give a number of runs, 1 or more")
        self.repeat = opt.repeat
        self.warning = None
        self.seeded_from = None
        self.allow_new = opt.allow_new
        self.wait_scale = wait_scale(opt.wait_scale)
        self.vocab = vocabulary.load()
        self.series = table_choice.series_name(self.release)
        self.expected_dir = opt.expected_dir
        self._choose_tables(opt)
        self.cases = suite.list_cases(self.binary)
        self.case_ids = {c["id"] for c in self.cases}
        if self.table and not self.record:
            self._refuse_stale_rows()
        self.results_dir = opt.results_dir or os.path.join(REPO, "results", "runs", self.release)
        self.records = {}
        self.started = time.monotonic()

    def _choose_tables(self, opt):
        """self.table_path / self.table: what verdicts compare with. With
        --record, self.record_path: the table written, which is never another
        series' table (a kernel without a table of its own gets one, seeded
        from the table it was compared with)."""
        if opt.expect:
            self.table_path = os.path.abspath(opt.expect)
            if not os.path.isfile(self.table_path) and not self.record:
                raise RunnerError(f"--expect {opt.expect}: no such table file (record one "
                                  "with --record --expect FILE, or give an existing table)")
        else:
            self.table_path, self.warning = table_choice.select(self.release, opt.expected_dir)
            if self.table_path is None and not self.record:
                raise RunnerError(
                    f"no expected table for kernel {self.release} in {opt.expected_dir}: "
                    "record one with ./run_tests.sh --record (then review it)")
        exists = bool(self.table_path) and os.path.isfile(self.table_path)
        # A table being re-recorded may use words the vocabulary has dropped.
        self.table = tables.load(self.table_path, None if self.record else self.vocab) \
            if exists else None
        self.record_path = None
        if self.record:
            own = table_choice.own_table(self.release, opt.expected_dir)
            self.record_path = self.table_path if opt.expect else own
            if self.table_path and self.record_path != self.table_path:
                self.seeded_from = self.table_path

    def _refuse_stale_rows(self):
        stale = [(r.line, i) for i, r in self.table.rows.items() if i not in self.case_ids]
        if stale:
            line, case_id = min(stale)
            more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
            raise RunnerError(f"{self.table_path}:{line}: stale row '{case_id}': the suite "
                              f"has no such case{more}; remove it or re-record the table",
                              EXIT_USAGE)
