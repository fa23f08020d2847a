"""pytest plugin for the sockreuse suite. Run from the repository root:

    /usr/bin/python3 -m pytest runner/ [-k EXPR] [-n N] [--record] [--expect FILE]
"""
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sockreuse_runner import (kernel, record, reports, suite, tables, verdict,  # noqa: E402
                              vocabulary)
from sockreuse_runner.errors import (EXIT_FAILED, EXIT_NEW, EXIT_STALE_ROW,  # noqa: E402
                                     EXIT_NO_TABLE, EXIT_USAGE, RunnerError)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRESS_EVERY_S = 5


def pytest_addoption(parser):
    g = parser.getgroup("sockreuse")
    g.addoption("--suite-bin", default=os.path.join(REPO, "build", "sockreuse_suite"),
                help="the suite binary (default build/sockreuse_suite)")
    g.addoption("--expect", default=None, help="compare with this table instead of choosing one")
    g.addoption("--expected-dir", default=os.path.join(REPO, "results", "expected"))
    g.addoption("--results-dir", default=None, help="default results/runs/<release>")
    g.addoption("--kernel-release", default=None, help="pretend this `uname -r` (tests)")
    g.addoption("--record", action="store_true", help="write the observed outcomes as the table")
    g.addoption("--repeat", type=int, default=1,
                help="run every case N times; a case whose outcome varies fails")
    g.addoption("--jobs", type=int, default=1,
                help="suite processes running cases side by side (batch mode)")
    g.addoption("--per-item", action="store_true",
                help="one suite process per case even without -n (batching is the default)")
    g.addoption("--claims", default=os.path.join(REPO, "results", "seed_claims.yaml"))
    g.addoption("--wait-scale", default=None,
                help="multiply every harness wait bound (10 s) by this; default "
                     "$SOCKREUSE_WAIT_SCALE or 1")
    g.addoption("--allow-new", action="store_true",
                help="cases without a table row do not fail the run")


class State:
    """Everything a run needs, built once per process (controller and workers)."""

    def __init__(self, config):
        opt = config.option
        self.binary = os.path.abspath(opt.suite_bin)
        self.release = opt.kernel_release or os.uname().release
        self.record = opt.record
        self.repeat = max(1, opt.repeat)
        self.warning = None
        self.allow_new = opt.allow_new
        self.wait_scale = wait_scale(opt.wait_scale)
        self.vocab = vocabulary.load()
        self.series = kernel.series_name(self.release)
        self.expected_dir = opt.expected_dir
        if opt.expect:
            self.table_path = os.path.abspath(opt.expect)
            if not os.path.isfile(self.table_path) and not self.record:
                raise RunnerError(f"{opt.expect}: no such table", EXIT_NO_TABLE)
        else:
            self.table_path, self.warning = kernel.select(self.release, opt.expected_dir)
            if self.table_path is None and not self.record:
                raise RunnerError(
                    f"no expected table for kernel {self.release} in {opt.expected_dir}: "
                    "record one with ./run_tests.sh --record (then review it)", EXIT_NO_TABLE)
        exists = self.table_path and os.path.isfile(self.table_path)
        # A table being re-recorded may use words the vocabulary has dropped.
        self.table = tables.load(self.table_path, None if self.record else self.vocab) \
            if exists else None
        self.cases = suite.list_cases(self.binary)
        self.case_ids = {c["id"] for c in self.cases}
        if self.table and not self.record:
            stale = [(r.line, i) for i, r in self.table.rows.items() if i not in self.case_ids]
            if stale:
                line, case_id = min(stale)
                more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
                raise RunnerError(f"{self.table_path}:{line}: stale row '{case_id}': the suite "
                                  f"has no such case{more}; remove it or re-record the table",
                                  EXIT_STALE_ROW)
        self.results_dir = opt.results_dir or os.path.join(REPO, "results", "runs", self.release)
        self.records = {}
        self.started = time.monotonic()


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
                          "number (1 is the default bound, 10 s per wait)", EXIT_USAGE)
    os.environ["SOCKREUSE_WAIT_SCALE"] = text
    return value


def is_controller(config):
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    try:
        config._sockreuse = State(config)
    except RunnerError as e:
        pytest.exit(f"sockreuse: {e}", returncode=e.code)
    if config._sockreuse.warning and is_controller(config):
        sys.stderr.write(f"\nsockreuse: WARNING: {config._sockreuse.warning}\n\n")


def pytest_collect_file(file_path, parent):
    if file_path.name == "suite.cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        for case in self.config._sockreuse.cases:
            item = CaseItem.from_parent(self, name=case["id"], case=case)
            item.keywords[case["rule"]] = True
            yield item


class CaseFailed(Exception):
    """observed != expected: reported in one line, without a traceback."""


def batching(config):
    """Without xdist workers, all selected cases run in one suite process."""
    return not config.option.per_item and not getattr(config.option, "numprocesses", None)


def pytest_collection_finish(session):
    st = getattr(session.config, "_sockreuse", None)
    if st is not None:
        st.selected = [item.case for item in session.items if isinstance(item, CaseItem)]
        st.batch = None


def progress_writer(config):
    """Progress lines for the person watching (or a VM console): the batch
    runs inside the first item, where pytest captures stdout and stderr."""
    capman = config.pluginmanager.getplugin("capturemanager")

    def say(line):
        with capman.global_and_fixture_disabled():
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    return say


def run_selected_batch(config):
    st = config._sockreuse
    names = [c["gtest"] for c in st.selected]
    jobs = suite.process_count(config.option.jobs, len(names))
    say = progress_writer(config)
    runs = f"{len(names)} cases" + (f" x {st.repeat} runs" if st.repeat > 1 else "")
    say(f"sockreuse: running {runs} in {jobs} suite process{'es' if jobs > 1 else ''}")
    last = [time.monotonic()]

    def progress(done, total):
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S or done == total:
            last[0] = now
            say(f"sockreuse: {done}/{total} case runs, {now - st.started:.1f} s")

    by_id, failure = suite.run_batch(st.binary, names, st.repeat, config.option.jobs, progress)
    st.batch = by_id
    st.batch_failure = f"no result from the suite binary: {failure or 'it skipped the case'}"


class CaseItem(pytest.Item):
    def __init__(self, *, case, **kw):
        super().__init__(**kw)
        self.case = case

    def runtest(self):
        st = self.config._sockreuse
        if batching(self.config):
            if st.batch is None:
                run_selected_batch(self.config)
            results = st.batch.get(self.case["id"]) or [
                {"status": "error", "observed": "", "duration_ms": 0, "detail": st.batch_failure}]
        else:
            results = suite.run_case(st.binary, self.case["gtest"], st.repeat)
        row = st.table.rows.get(self.case["id"]) if st.table else None
        rec = verdict.decide(self.case, results, row, st.vocab)
        self.user_properties.append(("sockreuse", json.dumps(rec)))
        v = rec["verdict"]
        if v == "skip":
            pytest.skip(rec["detail"])
        if v == "new" and not st.record:
            # Skipped in pytest's own tally too: a case without a row is no pass.
            pytest.skip(f"new: no row in {os.path.basename(st.table_path or '-')}; observed "
                        f"{rec['observed']}")
        if v == "error":
            raise CaseFailed(f"harness error: {rec['detail']}")
        if v == "fail" and not (st.record and rec["observed"] != "varied"):
            raise CaseFailed(f"observed {rec['observed']}, expected {rec['expected']} "
                             f"(rule {rec['rule']}, table {os.path.basename(st.table_path or '-')})"
                             f": {rec['detail']}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.case['rule']} {self.name}"


def pytest_runtest_logreport(report):
    for key, value in getattr(report, "user_properties", []):
        if key == "sockreuse":
            rec = json.loads(value)
            _state().records[rec["id"]] = rec


_CONFIG = []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _CONFIG[:] = [session.config]


def _state():
    return _CONFIG[0]._sockreuse


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not is_controller(config) or not hasattr(config, "_sockreuse"):
        return
    st = config._sockreuse
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        sys.stderr.write(f"sockreuse: no case matches -k '{config.option.keyword}' "
                         f"(list the cases: {st.binary} --list-cases)\n")
        return
    if not st.records:
        return
    cases = [st.records[i] for i in sorted(st.records)]
    doc = {
        "kernel": {"release": st.release, "table": st.table_path if st.table else None,
                   "table_warning": st.warning},
        "mode": os.environ.get("SOCKREUSE_MODE", "root"),
        "repeat": st.repeat,
        "cases": cases,
        "summary": reports.summarize(cases, time.monotonic() - st.started),
    }
    reports.write_all(st.results_dir, doc, config.option.claims)
    st.doc = doc
    s = doc["summary"]
    if s["total"] and s["skip"] == s["total"]:
        st.all_skipped = True
        session.exitstatus = EXIT_FAILED
    if s["new"] and not st.allow_new and not st.record:
        session.exitstatus = EXIT_FAILED if s["fail"] or s["error"] else EXIT_NEW
    if st.record:
        st.diff = record.write(st, cases)
        if s["error"] == 0 and not getattr(st, "all_skipped", False):
            session.exitstatus = 0


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not is_controller(config) or not hasattr(config, "_sockreuse"):
        return
    st = config._sockreuse
    doc = getattr(st, "doc", None)
    if doc is None:
        return
    tr = terminalreporter
    s = doc["summary"]
    if getattr(st, "diff", None) is not None:
        tr.write_sep("-", "recorded table")
        for line in st.diff:
            tr.write_line(line)
    tr.write_sep("=", "sockreuse")
    table = os.path.relpath(st.table_path, REPO) if st.table else "none"
    tr.write_line(f"sockreuse: {s['total']} cases on {st.release} (table {table}, "
                  f"{doc['mode']} mode): {s['pass']} pass, {s['fail']} fail, {s['new']} new, "
                  f"{s['error']} error, {s['skip']} skip in {s['wall_s']} s")
    tr.write_line(f"report: {os.path.relpath(st.results_dir, os.getcwd())}/summary.md")
    if st.warning:
        tr.write_line(f"WARNING: {st.warning}", red=True, bold=True)
    if s["new"] and not st.allow_new and not st.record:
        tr.write_line(f"{s['new']} case(s) have no row in the table: review their outcomes and "
                      "record them (./run_tests.sh --record), or pass --allow-new", red=True,
                      bold=True)
    if getattr(st, "all_skipped", False):
        reasons = sorted({c["detail"] for c in doc["cases"]})
        tr.write_line(f"ERROR: every case was skipped, nothing could run here: {reasons[0]}",
                      red=True, bold=True)
