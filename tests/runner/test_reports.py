"""The report files of one run (run/reports.py), from synthetic case records
of every verdict: counts, JUnit XML, KTAP and summary.md."""
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from sockreuse.model.features import FEATURES
from sockreuse.run import reports, verdict
from tests.runner.synthetic import RELEASE, case, doc, mixed, record, row, run


@pytest.fixture
def run_doc():
    return doc(mixed())


def test_summarize_counts_every_verdict_and_orders_rules(run_doc):
    s = run_doc["summary"]
    assert {k: s[k] for k in ("total", *reports.VERDICTS, "wall_s")} == \
        {"total": 5, "pass": 1, "fail": 1, "new": 1, "error": 1, "skip": 1, "wall_s": 1.23}
    assert list(s["by_rule"]) == ["R1", "R2", "R10"]
    assert s["by_rule"]["R10"] == {"pass": 1, "fail": 0, "new": 0, "error": 0, "skip": 1}
    assert s["by_rule"]["R2"] == {"pass": 0, "fail": 1, "new": 1, "error": 0, "skip": 0}


def test_summarize_of_no_case():
    s = reports.summarize([], 0.004)
    assert (s["total"], s["pass"], s["by_rule"], s["wall_s"]) == (0, 0, {}, 0.0)


def test_headline(run_doc):
    assert reports.headline(run_doc) == (
        f"5 cases on {RELEASE} (table results/expected/base.yaml + results/expected/6.18.yaml, "
        "root mode): 1 pass, 1 fail, "
        "1 new, 1 error, 1 skip in 1.23 s")


def test_headline_names_a_complete_table_as_such(run_doc):
    run_doc["kernel"]["table"] = {"base": "t.yaml", "delta": None, "complete": True}
    assert "(table t.yaml (complete table), root mode)" in reports.headline(run_doc)
    run_doc["kernel"]["table"] = None
    assert "(table none, root mode)" in reports.headline(run_doc)


def test_junit_counts_and_elements(run_doc):
    suite = ET.fromstring(reports.junit(run_doc))
    assert suite.tag == "testsuite"
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped", "time")} == \
        {"tests": "5", "failures": "1", "errors": "1", "skipped": "2", "time": "1.23"}
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"kernel": RELEASE,
                     "table": "results/expected/base.yaml + results/expected/6.18.yaml"}
    cases = {tc.get("name"): tc for tc in suite.iter("testcase")}
    assert list(cases) == [c["id"] for c in run_doc["cases"]]
    assert cases["tcp4.a.pass"].get("classname") == "R10"
    assert cases["tcp4.a.pass"].get("time") == "0.002"
    assert list(cases["tcp4.a.pass"]) == []
    failure = cases["tcp4.b.fail"].find("failure")
    assert failure.get("message") == "observed bind:EADDRINUSE, expected ok"
    assert cases["tcp4.d.error"].find("error").text == "suite crashed | core"
    assert cases["tcp4.e.skip"].find("skipped").get("message") == "no IPv6 here"
    assert cases["tcp4.c.new"].find("skipped").get("message") == \
        "new: no expected row; observed ok"
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/error")) == 1
    assert len(suite.findall("testcase/skipped")) == 2


def test_junit_is_an_xml_document_in_utf8(run_doc):
    text = reports.junit(run_doc)
    assert isinstance(text, bytes)
    assert text.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_ktap_lines(run_doc):
    assert reports.ktap(run_doc).splitlines() == [
        "KTAP version 1",
        f"# sockreuse on {RELEASE}",
        "1..5",
        "ok 1 tcp4.a.pass",
        "# tcp4.b.fail: observed bind:EADDRINUSE, expected ok",
        "not ok 2 tcp4.b.fail",
        "ok 3 tcp4.c.new # SKIP new: no expected row (observed ok)",
        "# tcp4.d.error: suite crashed | core",
        "not ok 4 tcp4.d.error",
        "ok 5 tcp4.e.skip # SKIP no IPv6 here",
        "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:2 error:1",
    ]


def test_ktap_plan_matches_its_result_lines():
    cases = [record(f"udp4.case{n:02d}", "R6", "pass") for n in range(12)]
    text = reports.ktap(doc(cases))
    plan = re.search(r"^1\.\.(\d+)$", text, re.M)
    numbers = [int(m) for m in re.findall(r"^(?:not )?ok (\d+) ", text, re.M)]
    assert int(plan.group(1)) == 12
    assert numbers == list(range(1, 13))
    assert text.endswith("# Totals: pass:12 fail:0 xfail:0 xpass:0 skip:0 error:0\n")


def markdown_lines(d, seed_claims=()):
    return reports.markdown(d, list(seed_claims)).splitlines()


def test_summary_md_first_lines(run_doc):
    lines = markdown_lines(run_doc)
    assert lines[0] == f"# sockreuse on {RELEASE}"
    assert lines[2] == f"**{reports.headline(run_doc)}**"


def test_summary_md_lists_failures_then_errors_then_new_before_the_rule_table():
    cases = mixed() + [record("tcp4.0.fail", "R3", "fail", observed="ok", expected="sock2.bind:EACCES")]
    lines = markdown_lines(doc(sorted(cases, key=lambda c: c["id"])))
    start = lines.index("## Cases that need a look")
    rows = [l for l in lines[start:] if l.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == \
        ["tcp4.0.fail", "tcp4.b.fail", "tcp4.d.error", "tcp4.c.new"]
    assert rows[0] == "| `tcp4.0.fail` | R3 | fail | `ok` | `sock2.bind:EACCES` |  |  |"
    assert rows[2] == "| `tcp4.d.error` | R1 | error | `` | `ok` |  | suite crashed / core |"
    assert start < lines.index("| rule | pass | fail | new | error | skip |")


def test_summary_md_per_rule_table_and_skip_reasons(run_doc):
    lines = markdown_lines(run_doc)
    head = lines.index("| rule | pass | fail | new | error | skip |")
    assert lines[head + 1] == "|---|---|---|---|---|---|"
    assert lines[head + 2:head + 5] == ["| R1 | 0 | 0 | 0 | 1 | 0 |",
                                        "| R2 | 0 | 1 | 1 | 0 | 0 |",
                                        "| R10 | 1 | 0 | 0 | 0 | 1 |"]
    assert lines[lines.index("## Skipped") + 2] == "- 1 case(s): no IPv6 here"
    assert "- table: `results/expected/base.yaml` + `results/expected/6.18.yaml`" in lines
    assert "- mode: root" in lines


def test_summary_md_of_a_clean_run_has_no_section_that_needs_a_look():
    d = doc([record("a", "R1", "pass"), record("b", "R2", "pass")], table=None)
    lines = markdown_lines(d)
    assert "## Cases that need a look" not in lines
    assert "## Skipped" not in lines
    assert "- table: none (every case is new)" in lines


def test_summary_md_puts_outcomes_the_model_does_not_explain_first(run_doc):
    wrong = run_doc["cases"][1]
    wrong["explained"] = False
    wrong["model"] = {"predicted": "ok", "rules": ["R2.reuseaddr", "R1.same-address"],
                      "features": []}
    run_doc["model"] = {"features": ["migrate_req"], "source": "declared by 6.18.yaml",
                        "unexplained": 1}
    lines = markdown_lines(run_doc)
    assert lines[4] == ("The model explains 2 of 3 outcomes with the features migrate_req "
                        "(declared by 6.18.yaml).")
    assert "| `tcp4.b.fail` | fail | `bind:EADDRINUSE` | `ok` | R2.reuseaddr > R1.same-address |" \
        in lines
    assert lines.index("## Outcomes the model does not explain") < \
        lines.index("## Cases that need a look")


def test_summary_md_judges_the_seed_claims(run_doc):
    seed_claims = [
        {"seed": "001", "claim": "fails", "case": "tcp4.b.fail", "claimed": "EADDRINUSE"},
        {"seed": "002", "claim": "fails too", "case": "tcp4.a.pass", "claimed": "EADDRINUSE"},
        {"seed": "003", "claim": "skipped", "case": "tcp4.e.skip", "claimed": "ok"},
        {"seed": "004", "claim": "gone", "case": "no.such.case", "claimed": "ok"}]
    lines = markdown_lines(run_doc, seed_claims)
    rows = lines[lines.index("## Seed articles vs this kernel") + 4:]
    assert [r.rsplit("|", 2)[1].strip() for r in rows] == \
        ["holds", "does NOT hold (observed ok)", "not run", "not run"]


def test_write_all_writes_the_four_files_from_one_document(tmp_path, run_doc):
    claims_path = tmp_path / "claims.yaml"
    claims_path.write_text('- {seed: "001", claim: c, case: tcp4.b.fail, claimed: EADDRINUSE}\n')
    out = tmp_path / "out"
    reports.write_all(str(out), run_doc, str(claims_path))
    assert sorted(os.listdir(out)) == ["junit.xml", "results.json", "results.ktap", "summary.md"]
    assert json.loads((out / "results.json").read_text()) == run_doc
    assert (out / "results.ktap").read_text() == reports.ktap(run_doc)
    assert (out / "junit.xml").read_bytes() == reports.junit(run_doc)
    md = (out / "summary.md").read_text()
    assert "| 001 | c | `tcp4.b.fail` | `EADDRINUSE` | holds |" in md


def test_a_delta_rows_feature_is_named_as_the_cause_of_a_failure():
    rec = verdict.decide(case("tcp4.m.fail", "R9"), [run("reset")], row("migrated", "migrate_req"))
    lines = markdown_lines(doc([rec]))
    line = next(l for l in lines if l.startswith("| `tcp4.m.fail`"))
    cause = line.split(" | ")[5]
    assert cause.startswith("migrate_req: ") and FEATURES["migrate_req"].change in cause


def test_results_json_is_the_document_with_one_case_a_line(run_doc):
    text = reports.results_json(run_doc)
    assert json.loads(text) == run_doc
    lines = text.splitlines()
    for c in run_doc["cases"]:
        assert sum(1 for line in lines if line.startswith(json.dumps({"id": c["id"]})[:-1])) == 1
    assert list(json.loads(text)) == list(run_doc)
