"""Everything one run needs, checked before any case runs: the options, the
vocabulary, the expected table (and, with --record, the table to write), the
suite's case list and the results folder."""
import os
import time

from sockreuse.expect import table_choice, tables, vocabulary
from sockreuse import cli
from sockreuse.run import suite
from sockreuse.errors import EXIT_USAGE, RunnerError

from sockreuse.paths import REPO


class State:
    """Built once per process from pytest's options (controller and workers)."""

    def __init__(self, opt):
        self.binary = os.path.abspath(opt.suite_bin)
        self.release = opt.kernel_release or os.uname().release
        self.record = opt.record
        self.repeat = cli.positive_int("--repeat", opt.repeat)
        self.jobs = cli.positive_int("--jobs", opt.jobs)
        self.warning = None
        self.seeded_from = None
        self.allow_new = opt.allow_new
        # Checked here and handed to the suite binary in its environment.
        self.wait_scale = cli.wait_scale_setting(opt.wait_scale)
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
            self.table_path = os.path.abspath(cli.expect_table(opt.expect, self.record))
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
