"""--record writes a delta: only the rows that differ from base.yaml, each
with a feature; a new series gets a new file and no other file changes; a
guest's complete table lands the same way; --expect FILE stays complete."""
import os
from types import SimpleNamespace

import pytest

from sockreuse.errors import RunnerError
from sockreuse.expect import record, table_choice, tables
from sockreuse import model

from tests.runner.test_tables import BASE, delta

IDS = ("a.one", "a.two", "m.three")


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "expected"
    d.mkdir()
    (d / "base.yaml").write_text(BASE)
    (d / "5.10.yaml").write_text("# reviewed on 5.10\n\n" + delta(
        "5.10", {"m.three": 'expected: "reset", feature: migrate_req'}).replace(
        "cases:\n", "cases:\n  # migrate_req (since 5.14): x\n  # a finding, kept\n"))
    return d


def snapshot(d):
    return {p: (d / p).read_bytes() for p in sorted(os.listdir(d))}


def records(observed):
    return [{"id": i, "rule": "R1", "params": {}, "observed": t, "verdict": "pass"}
            for i, t in observed.items()]


def run(folder, release, observed, removed=(), features=("migrate_req_sysctl",)):
    old = table_choice.effective(release, str(folder), recording=True)[0]
    path = table_choice.own_table(release, str(folder))
    return record.write_delta(path, str(folder), release, old, observed, set(removed),
                              records(observed), list(features), {i: "R1" for i in observed})


def test_a_new_series_gets_a_new_delta_and_nothing_else_changes(folder):
    before = snapshot(folder)
    diff = run(folder, "6.19.3", {"a.one": "bind:EADDRINUSE", "a.two": "ok",
                                  "m.three": "reset"})
    assert snapshot(folder) == {**before, "6.19.yaml": (folder / "6.19.yaml").read_bytes()}
    new = tables.load_delta(str(folder / "6.19.yaml"),
                            tables.load_base(str(folder / "base.yaml")))
    assert new.kernel == "6.19" and new.features == ["migrate_req_sysctl"]
    # The one row that differs from the base keeps the reviewed feature it was compared with.
    assert {i: (r.expected, r.feature) for i, r in new.rows.items()} == {
        "m.three": ("reset", "migrate_req")}
    assert "recorded from 6.19.3" in new.header
    assert diff[0].startswith("new delta for series 6.19, seeded from ")
    assert diff[-1].endswith("1 rows differ from base.yaml, 0 changed; review them before "
                             "committing")


def test_only_rows_that_differ_from_the_base_are_written(folder):
    run(folder, "5.10.0-32", {"a.one": "bind:EADDRINUSE", "a.two": "ok", "m.three": "migrated"})
    d = tables.load_delta(str(folder / "5.10.yaml"))
    assert d.rows == {} and (folder / "5.10.yaml").read_text().endswith("cases: {}\n")
    assert d.header == "# reviewed on 5.10"


def test_re_recording_keeps_header_notes_and_features(folder):
    text = (folder / "5.10.yaml").read_text()
    diff = run(folder, "5.10.0-32", {"m.three": "reset"})
    assert diff == ["wrote " + str(folder / "5.10.yaml") + ": 1 rows differ from base.yaml, "
                    "0 changed; review them before committing"]
    new = (folder / "5.10.yaml").read_text()
    assert "  # a finding, kept\n" in new and new.startswith("# reviewed on 5.10\n")
    assert tables.load_delta(str(folder / "5.10.yaml")).rows["m.three"].feature == "migrate_req"
    assert len(new.splitlines()) == len(text.splitlines())


def test_a_row_no_feature_explains_is_unexplained_and_does_not_load(folder):
    diff = run(folder, "5.10.0-32", {"a.two": "bind:EADDRINUSE", "m.three": "reset"})
    assert "~ a.two: ok -> bind:EADDRINUSE" in diff
    assert any("feature: UNEXPLAINED" in line and "a.two" in line for line in diff)
    with pytest.raises(RunnerError, match=r"5.10.yaml:\d+: row 'a.two': feature UNEXPLAINED: "
                                          r".*review it"):
        tables.load_delta(str(folder / "5.10.yaml"))


def test_a_case_without_a_base_row_is_added_to_the_base(folder):
    diff = run(folder, "5.10.0-32", {"n.new": "ok", "m.three": "reset"})
    assert "+ n.new: ok" in diff
    assert any("1 case(s) had no row in base.yaml: added there" in line for line in diff)
    assert tables.load_base(str(folder / "base.yaml")).rows["n.new"].expected == "ok"
    assert tables.load_delta(str(folder / "5.10.yaml")).rows.keys() == {"m.three"}


def test_a_case_the_suite_lost_leaves_the_base_and_every_delta(folder):
    (folder / "6.1.yaml").write_text(delta("6.1", {"m.three": 'expected: "reset", '
                                                              "feature: migrate_req"}))
    diff = run(folder, "5.10.0-32", {"a.one": "bind:EADDRINUSE"}, removed={"m.three"})
    assert "- m.three: reset (no such case any more)" in diff
    base = tables.load_base(str(folder / "base.yaml"))
    assert set(base.rows) == {"a.one", "a.two"}
    for name in ("5.10.yaml", "6.1.yaml"):
        assert tables.load_delta(str(folder / name), base).rows == {}


class Prediction:
    def __init__(self, predicted):
        self.predicted = predicted


def test_attribute_names_the_feature_whose_flip_changes_the_outcome(monkeypatch):
    def predict(params, features):
        if "migrate_req" not in features:
            return Prediction("reset")
        return Prediction("migrated" if "reuseport_migrate_prog" in features else "by_program")

    monkeypatch.setattr(model, "predict", predict)
    have = ["migrate_req", "reuseport_migrate_prog"]
    # Both flips change "migrated"; only migrate_req's gives the base's "reset".
    assert record.attribute("tcp4.migrate.x", {"k": 1}, "migrated", "reset", have) == \
        "migrate_req"
    assert record.attribute("tcp4.migrate.x", {"k": 1}, "reset", "migrated", []) == \
        "migrate_req"
    # The model predicts something else: no feature explains the row.
    assert record.attribute("tcp4.migrate.x", {"k": 1}, "ok", "reset", have) == \
        tables.UNEXPLAINED
    assert record.attribute("tcp4.migrate.x", None, "reset", "ok", have) == tables.UNEXPLAINED


def test_a_guest_recording_lands_as_the_same_delta(folder, tmp_path):
    start = tmp_path / "recorded.yaml"
    assert record.write_start_table(str(folder), "5.10.0-32", str(start))
    complete = tables.load_complete(str(start))
    assert {i: r.expected for i, r in complete.rows.items()} == {
        "a.one": "bind:EADDRINUSE", "a.two": "ok", "m.three": "reset"}
    assert complete.kernel == "5.10" and complete.rows["a.one"].rule == "R1"
    before = snapshot(folder)
    doc = {"cases": records({"m.three": "reset"}), "model": {"features": ["migrate_req_sysctl"]}}
    lines = record.land_guest(str(folder), "5.10.0-32", str(start), doc)
    assert lines[-1].endswith("1 rows differ from base.yaml, 0 changed; review them before "
                              "committing")
    assert tables.load_delta(str(folder / "5.10.yaml")).rows["m.three"].feature == "migrate_req"
    assert snapshot(folder).keys() == before.keys()
    assert snapshot(folder)["base.yaml"] == before["base.yaml"]


def test_record_with_expect_writes_a_complete_table(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text('kernel: "6.18"\ncases:\n  a.one: "ok"\n  a.two: {expected: "ok"}\n'
                    '  x.gone: "ok"\n')
    st = SimpleNamespace(table=tables.load_complete(str(path)), case_ids={"a.one", "a.two"},
                         cases=[{"id": "a.one", "rule": "R1"}, {"id": "a.two", "rule": "R2"}],
                         expect_path=str(path), record_path=str(path), series="6.18",
                         release="6.18.44", features=["migrate_req"])
    diff = record.write(st, [{"id": "a.one", "observed": "bind:EADDRINUSE", "verdict": "fail"},
                             {"id": "a.two", "observed": "ok", "verdict": "skip"}])
    assert diff[:2] == ["~ a.one: ok -> bind:EADDRINUSE", "- x.gone: ok (no such case any more)"]
    assert path.read_text() == ('kernel: "6.18"\nfeatures: ["migrate_req"]\ncases:\n  # R1\n'
                                '  a.one: "bind:EADDRINUSE"\n  # R2\n  a.two: "ok"\n')


def test_the_model_names_the_committed_feature_of_every_delta_row():
    """--record, run on each kernel again, would name the same feature for
    every committed delta row (needs the suite's case list; skipped without
    a build)."""
    import json
    import subprocess
    from sockreuse.paths import BUILD, RESULTS
    suite = os.path.join(BUILD, "sockreuse_suite")
    if not os.access(suite, os.X_OK):
        pytest.skip(f"no suite binary at {suite}")
    out = subprocess.run([suite, "--list-cases"], capture_output=True, text=True, check=True)
    params = {c["id"]: c["params"] for c in map(json.loads, out.stdout.splitlines())}
    folder = os.path.join(RESULTS, "expected")
    base = tables.load_base(os.path.join(folder, tables.BASE))
    named = {}
    for name in sorted(os.listdir(folder)):
        # .lock is the recorders' turn-taking file, which stays once a --record ran.
        if name == tables.BASE or not name.endswith(".yaml"):
            continue
        d = tables.load_delta(os.path.join(folder, name), base)
        for case_id, row in d.rows.items():
            named[name, case_id] = (row.feature, record.attribute(
                case_id, params[case_id], row.expected, base.rows[case_id].expected, d.features))
    assert len(named) > 50
    assert {k: v for k, v in named.items() if v[0] != v[1]} == {}


def test_re_recording_over_an_unexplained_row_is_allowed(folder):
    run(folder, "5.10.0-32", {"a.two": "bind:EADDRINUSE", "m.three": "reset"})
    # The next recording loads the unreviewed delta, and the row stays marked.
    old = table_choice.effective("5.10.0-32", str(folder), recording=True)[0]
    assert old.rows["a.two"].feature == tables.UNEXPLAINED
    diff = run(folder, "5.10.0-32", {"a.two": "ok", "m.three": "reset"})
    assert "~ a.two: bind:EADDRINUSE -> ok" in diff
    assert tables.load_delta(str(folder / "5.10.yaml")).rows.keys() == {"m.three"}


def test_a_first_recording_writes_the_base_and_an_empty_delta(tmp_path):
    folder = tmp_path / "expected"
    folder.mkdir()
    diff = run(folder, "6.18.44", {"a.one": "bind:EADDRINUSE", "a.two": "ok"})
    assert diff[:2] == ["+ a.one: bind:EADDRINUSE", "+ a.two: ok"]
    assert any("2 case(s) had no row in base.yaml: added there" in line for line in diff)
    assert (folder / "base.yaml").read_text() == ('cases:\n  # R1\n  a.one: "bind:EADDRINUSE"\n'
                                                  '  a.two: "ok"\n')
    assert tables.load_delta(str(folder / "6.18.yaml")).rows == {}
