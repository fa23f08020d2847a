"""Everything one run needs, checked before any case runs: the options, the
vocabulary, the expected table (and, with --record, the table to write), the
suite's case list and the results folder."""
import os
import time

from sockreuse.expect import table_choice, tables, vocabulary
from sockreuse import cli
from sockreuse.run import reports, suite
from sockreuse.errors import EXIT_USAGE, RunnerError

from sockreuse.paths import REPO, shown


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
        """self.table: what verdicts compare with, base.yaml overlaid by the
        kernel's delta (self.base_path, self.delta_path), or the complete
        table --expect names (self.expect_path). With --record,
        self.record_path: the delta written, which is never another series'
        (a kernel without a delta of its own gets one), or the --expect file."""
        # A table being re-recorded may use words the vocabulary has dropped.
        vocab = None if self.record else self.vocab
        self.base_path = self.delta_path = self.expect_path = None
        series = cli.expect_series(opt.expect) if opt.expect else None
        if series:
            self.table, self.base_path, self.delta_path, _ = \
                table_choice.effective(series, opt.expected_dir, vocab)
        elif opt.expect:
            self.expect_path = os.path.abspath(cli.expect_table(opt.expect, self.record))
            exists = os.path.isfile(self.expect_path)
            self.table = tables.load_complete(self.expect_path, vocab) if exists else None
        else:
            self.table, self.base_path, self.delta_path, self.warning = \
                table_choice.effective(self.release, opt.expected_dir, vocab, self.record)
            if self.table is None and not self.record:
                raise RunnerError(
                    f"no expected table for kernel {self.release} in {opt.expected_dir} (no "
                    f"{tables.BASE}): record one with ./run_tests.sh --record (then review it)")
        self.record_path = None
        if self.record:
            own = table_choice.own_table(self.release, opt.expected_dir)
            self.record_path = self.expect_path or own
            if self.delta_path and self.record_path != self.delta_path:
                self.seeded_from = self.delta_path

    @property
    def table_label(self):
        """The table in one phrase for messages, as the reports word it."""
        return reports.table_phrase(self.table_doc() if self.table or self.expect_path else None)

    def table_doc(self):
        """results.json's kernel.table: which files the verdicts compare with."""
        return {"base": shown(self.expect_path or self.base_path),
                "delta": shown(self.delta_path), "series": self.series,
                "complete": bool(self.expect_path), "warning": self.warning}

    def _refuse_stale_rows(self):
        stale = [(r.path, r.line, i) for i, r in self.table.rows.items() if i not in self.case_ids]
        if stale:
            path, line, case_id = min(stale)
            more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
            raise RunnerError(f"{path}:{line}: stale row '{case_id}': the suite "
                              f"has no such case{more}; remove it or re-record the table",
                              EXIT_USAGE)
