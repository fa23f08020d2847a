"""pytest plugin for the sockreuse suite. Run from the repository root:

    /usr/bin/python3 -m pytest runner/ [-k EXPR] [--record] [--expect FILE] ...

./run_tests.sh is the usual way in (sockreuse/cli.py); the options are
checked with its validators when the run's State is built (session.py).
"""
import json
import os
import sys
import time

import pytest

from sockreuse import files
from sockreuse.errors import (EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_NEW, EXIT_PASS, EXIT_USAGE,
                              RunnerError)
from sockreuse.expect import record, rule_ids
from sockreuse.kconfig import check
from sockreuse.model import infer
from sockreuse.run import background, reports, suite, verdict
from sockreuse.paths import EXPECTED
from sockreuse.run.session import REPO, State

PROGRESS_EVERY_S = 5


def pytest_addoption(parser):
    g = parser.getgroup("sockreuse")
    g.addoption("--suite-bin", default=os.path.join(REPO, "build", "sockreuse_suite"),
                help="the suite binary (default build/sockreuse_suite)")
    g.addoption("--expect", default=None,
                help="compare with this table instead of choosing one; with --record, the "
                     "table to write")
    g.addoption("--expected-dir", default=EXPECTED)
    g.addoption("--results-dir", default=None, help="default results/runs/<release>")
    g.addoption("--kernel-release", default=None, help="pretend this `uname -r` (tests)")
    g.addoption("--record", action="store_true", help="write the observed outcomes as the table")
    g.addoption("--repeat", default="1",
                help="run every case N times; a case whose outcome varies fails")
    g.addoption("--jobs", default="1",
                help="suite processes running cases side by side (batch mode)")
    g.addoption("--per-item", action="store_true",
                help="one suite process per case even without -n (batching is the default)")
    g.addoption("--claims", default=os.path.join(REPO, "results", "seed_claims.yaml"))
    g.addoption("--wait-scale", default=None,
                help="multiply every harness wait bound (10 s) by this; default "
                     "$SOCKREUSE_WAIT_SCALE or 1")
    g.addoption("--allow-new", action="store_true",
                help="cases without a table row do not fail the run")
    g.addoption("--no-lock", action="store_true",
                help="do not lock the results folder (a guest whose host holds the lock)")
    g.addoption("--kernel-config", default=None,
                help="check this kernel configuration against suites/config instead of the "
                     "running kernel's; 'none': no check")


def die(e):
    """One line and the exit status, without pytest's own banner around it:
    nothing has run or been written yet when this is called."""
    sys.stderr.write(f"sockreuse: {e}\n")
    sys.stderr.flush()
    os._exit(e.code)


def is_controller(config):
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    try:
        st = config._sockreuse = State(config.option)
    except RunnerError as e:
        die(e)
    # "-k R4" names rule R4 (each item carries its rule's keyword).
    config.option.keyword = rule_ids.rewrite_selection(config.option.keyword)
    st.locks = []
    if is_controller(config) and not config.option.no_lock:
        st.locks.append(files.FolderLock(st.results_dir, "the results folder").__enter__())
        if st.record:
            st.locks.append(files.FolderLock(os.path.dirname(st.record_path),
                                             "the expected tables").__enter__())
    if is_controller(config):
        if st.warning:
            sys.stderr.write(f"\nsockreuse: WARNING: {st.warning}\n\n")
        if st.record:
            seeded = f", seeded from {st.seeded_from}" if st.seeded_from else ""
            sys.stderr.write(f"sockreuse: recording into {st.record_path}{seeded}\n")


def pytest_unconfigure(config):
    for lock in getattr(getattr(config, "_sockreuse", None), "locks", []):
        lock.__exit__(None, None, None)


def pytest_collect_file(file_path, parent):
    if file_path.name == "suite.cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        for case in self.config._sockreuse.cases:
            item = CaseItem.from_parent(self, name=case["id"], case=case)
            keyword = rule_ids.rule_keyword(case["rule"])
            if keyword:
                item.extra_keyword_matches.add(keyword)
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
        if is_controller(session.config) and st.selected:
            check_kernel_config(session.config, st)


def check_kernel_config(config, st):
    """Before any case runs: the options of suites/config the kernel lacks
    and the selected cases that skip for each; a kernel without one that
    every case needs stops the run here (exit 4). Verdicts are not touched:
    a case still skips with its own reason."""
    st.kconfig = None
    choice = config.option.kernel_config
    if choice == "none":
        return
    say = progress_writer(config)
    try:
        report = (check.of_file(choice, st.selected, "this kernel") if choice
                  else check.of_running_kernel(st.selected))
    except RunnerError as e:
        die(e)
    if report is None:
        st.kconfig = {"source": None, "lines": [check.not_found_line()]}
        say(st.kconfig["lines"][0])
        return
    if report.refusal():
        os.write(2, (report.refusal() + "\n").encode())
        os._exit(EXIT_CANNOT_RUN)
    st.kconfig = report.as_json()
    for line in st.kconfig["lines"]:
        say(line)


def progress_writer(config):
    """Progress lines for the person watching (or a VM console), written
    while an item runs, where pytest captures stdout and stderr."""
    capman = config.pluginmanager.getplugin("capturemanager")
    tr = config.pluginmanager.getplugin("terminalreporter")

    def say(line):
        with capman.global_and_fixture_disabled():
            if tr is None:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
            else:
                # On a line of its own, after the items' dots (a guest's
                # host reads progress from line starts).
                if tr._tw.width_of_current_line:
                    tr._tw.line()
                tr._tw.line(line)
                tr.flush()

    return say


def start_selected_batch(config):
    """Starts the selected cases in the background (background.Batch) and
    says how they run."""
    st = config._sockreuse
    names = [c["gtest"] for c in st.selected]
    timed = [c["gtest"] for c in st.selected if suite.waits_on_timer(c)]
    timer, others = suite.plan_chunks(names, st.jobs, timed)
    st.say = progress_writer(config)
    runs = f"{len(names)} cases" + (f" x {st.repeat} runs" if st.repeat > 1 else "")
    also = (f", and {len(timer)} started first for the {sum(map(len, timer))} that wait on "
            f"a kernel timer" if timer else "")
    st.say(f"sockreuse: running {runs} in {len(others)} suite "
           f"process{'es' if len(others) != 1 else ''}{also}")
    st.last_progress, st.last_done = time.monotonic(), None
    st.batch = background.Batch(st.binary, timer + others, st.repeat)


def say_progress(st, force=False):
    """A progress line every PROGRESS_EVERY_S, from the main thread only:
    pytest's output capture is not for other threads to switch."""
    now = time.monotonic()
    done = st.batch.done_runs()
    if done != st.last_done and (force or now - st.last_progress >= PROGRESS_EVERY_S):
        st.last_progress, st.last_done = now, done
        st.say(f"sockreuse: {done}/{st.batch.total} case runs, {now - st.started:.1f} s")


class CaseItem(pytest.Item):
    def __init__(self, *, case, **kw):
        super().__init__(**kw)
        self.case = case

    def runtest(self):
        st = self.config._sockreuse
        if batching(self.config):
            if st.batch is None:
                start_selected_batch(self.config)
            results = st.batch.results(self.case["id"], lambda: say_progress(st),
                                       PROGRESS_EVERY_S)
            say_progress(st, force=self.case is st.selected[-1])
            if not results:
                failure = st.batch.failure or "it skipped the case"
                results = [{"status": "error", "observed": "", "duration_ms": 0,
                            "detail": f"no result from the suite binary: {failure}"}]
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
            pytest.skip(f"new: no row in {st.table_label}; observed {rec['observed']}")
        if v == "error":
            raise CaseFailed(f"harness error: {rec['detail']}")
        if v == "fail" and not (st.record and rec["observed"] != "varied"):
            raise CaseFailed(f"observed {rec['observed']}, expected {rec['expected']} "
                             f"(rule {rec['rule']}, table {st.table_label}"
                             + (f", feature {rec['feature']}" if rec["feature"] else "")
                             + f"): {rec['detail']}")

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


def exit_status(st, s):
    """The run's exit status from its totals (see errors.EXIT_TABLE)."""
    if s["total"] and s["skip"] == s["total"]:
        return EXIT_CANNOT_RUN
    if s["error"] or (s["fail"] and not st.record):
        return EXIT_FAILED
    if s["new"] and not st.allow_new and not st.record:
        return EXIT_NEW
    return EXIT_PASS


def explain(st, cases):
    """The model's prediction for every case (results.json `model`, `explained`),
    with the table's declared features; when recording, or when the table
    declares none, with the feature set that explains this run."""
    declared = st.table.features if st.table else None
    if st.record or declared is None:
        features, evidence = infer.infer(cases, declared or ())
        source = "inferred from this run"
    else:
        features, evidence = sorted(declared), None
        source = f"declared by {os.path.basename(st.delta_path or st.expect_path)}"
    unexplained = infer.annotate(cases, features)
    st.features, st.unexplained = features, unexplained
    return {"features": features, "source": source, "unexplained": len(unexplained),
            "evidence": evidence}


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not is_controller(config) or not hasattr(config, "_sockreuse"):
        return
    st = config._sockreuse
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        sys.stderr.write(f"sockreuse: no case matches -k '{config.option.keyword}' "
                         f"(list the cases: {st.binary} --list-cases; rules: -k R4)\n")
        session.exitstatus = EXIT_USAGE
        return
    if not st.records:
        return
    cases = [st.records[i] for i in sorted(st.records)]
    model_doc = explain(st, cases)
    doc = {
        # The machine as the kernel that ran the cases reports it (uname -m):
        # what the reports name a run's architecture by.
        "kernel": {"release": st.release, "machine": os.uname().machine,
                   "table": st.table_doc() if st.table else None, "table_warning": st.warning,
                   "config": getattr(st, "kconfig", None)},
        "mode": os.environ.get("SOCKREUSE_MODE", "root"),
        "repeat": st.repeat,
        "model": model_doc,
        "cases": cases,
        "summary": reports.summarize(cases, time.monotonic() - st.started),
    }
    reports.write_all(st.results_dir, doc, config.option.claims)
    st.doc = doc
    if st.record:
        st.diff = record.write(st, cases)
    session.exitstatus = exit_status(st, doc["summary"])


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
        tr.write_line(f"features ({doc['model']['source']}): {', '.join(st.features) or 'none'}")
    if st.unexplained:
        tr.write_sep("-", f"{len(st.unexplained)} case(s) the model does not explain")
        for c in st.unexplained[:40]:
            tr.write_line(f"{c['id']}: observed {c['observed']}, model predicts "
                          f"{c['model']['predicted']} ({' > '.join(c['model']['rules'])})")
    tr.write_sep("=", "sockreuse")
    tr.write_line("sockreuse: " + reports.headline(doc))
    tr.write_line(f"report: {os.path.relpath(st.results_dir, os.getcwd())}/summary.md")
    if st.warning:
        tr.write_line(f"WARNING: {st.warning}", red=True, bold=True)
    if s["new"] and not st.allow_new and not st.record:
        tr.write_line(f"{s['new']} case(s) have no row in the table: review their outcomes and "
                      "record them (./run_tests.sh --record), or pass --allow-new", red=True,
                      bold=True)
    if s["total"] and s["skip"] == s["total"]:
        reasons = sorted({c["detail"] for c in doc["cases"]})
        tr.write_line(f"ERROR: every case was skipped, nothing could run here: {reasons[0]}",
                      red=True, bold=True)
