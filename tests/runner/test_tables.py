"""Expected tables as base.yaml plus one delta per series: loading, the
merge, every validation error, the choice of a delta, show_table, and the
committed tables themselves."""
import os
import subprocess

import pytest

from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.expect import show_table, table_choice, tables, vocabulary
from sockreuse.paths import REPO

EXPECTED = os.path.join(REPO, "results", "expected")
BASE = """\
# every case
cases:
  # R1
  a.one: "bind:EADDRINUSE"
  a.two: "ok"
  # R9
  m.three: "migrated"
"""
FEATURES = '["migrate_req_sysctl"]'


def delta(kernel, rows, features=FEATURES):
    return f'kernel: "{kernel}"\nfeatures: {features}\ncases:\n' + "".join(
        f"  {i}: {{{r}}}\n" for i, r in rows.items()) if rows else \
        f'kernel: "{kernel}"\nfeatures: {features}\ncases: {{}}\n'


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "expected"
    d.mkdir()
    (d / "base.yaml").write_text(BASE)
    (d / "5.10.yaml").write_text(delta("5.10", {"m.three": 'expected: "reset", '
                                                           "feature: migrate_req"}))
    (d / "6.1.yaml").write_text(delta("6.1", {}))
    return d


@pytest.fixture(scope="module")
def vocab():
    return vocabulary.load()


def test_base_loads_with_rules_from_its_comments(folder, vocab):
    base = tables.load_base(str(folder / "base.yaml"), vocab)
    assert {i: (r.expected, r.rule, r.line) for i, r in base.rows.items()} == {
        "a.one": ("bind:EADDRINUSE", "R1", 4), "a.two": ("ok", "R1", 5),
        "m.three": ("migrated", "R9", 7)}


def test_delta_loads_and_merges_over_the_base(folder, vocab):
    base = tables.load_base(str(folder / "base.yaml"), vocab)
    d = tables.load_delta(str(folder / "5.10.yaml"), base, vocab)
    assert (d.kernel, d.features) == ("5.10", ["migrate_req_sysctl"])
    t = tables.merge(base, d)
    assert {i: (r.expected, r.feature) for i, r in t.rows.items()} == {
        "a.one": ("bind:EADDRINUSE", None), "a.two": ("ok", None),
        "m.three": ("reset", "migrate_req")}
    assert t.features == ["migrate_req_sysctl"] and t.delta is d
    assert t.rows["m.three"].path.endswith("5.10.yaml")


@pytest.mark.parametrize("row,message", [
    ('expected: "reset", feature: no_such_feature', "unknown feature 'no_such_feature'"),
    ('expected: "migrated", feature: migrate_req', "remove the row"),
    ('expected: "reset", feature: UNEXPLAINED', "feature UNEXPLAINED"),
    ('expected: "reset", feature: migrate_req, note: "why"', "unknown key 'note'"),
    ('expected: "reset", rule: "R9", feature: migrate_req', "unknown key 'rule'"),
    ('expected: "no_such_token", feature: migrate_req', "is no outcome token"),
    ('expected: "reset"', "has no 'feature'"),
])
def test_a_bad_delta_row_is_one_line_naming_file_and_line(folder, vocab, row, message):
    path = folder / "5.10.yaml"
    path.write_text(delta("5.10", {"m.three": row}))
    base = tables.load_base(str(folder / "base.yaml"), vocab)
    with pytest.raises(RunnerError) as e:
        tables.load_delta(str(path), base, vocab)
    assert str(e.value).startswith(f"{path}:4: ") and message in str(e.value)
    assert "\n" not in str(e.value) and e.value.code == EXIT_USAGE


def test_a_delta_row_for_a_case_the_base_lacks(folder, vocab):
    path = folder / "5.10.yaml"
    path.write_text(delta("5.10", {"x.gone": 'expected: "ok", feature: migrate_req'}))
    with pytest.raises(RunnerError, match=r":4: row 'x.gone': no such case in .*base.yaml"):
        tables.load_delta(str(path), tables.load_base(str(folder / "base.yaml")), vocab)


def test_duplicate_rows_in_base_and_delta(folder, vocab):
    (folder / "base.yaml").write_text(BASE + '  a.one: "ok"\n')
    with pytest.raises(RunnerError, match=r"base.yaml:8: duplicate row 'a.one' \(first at "
                                          r"line 4\)"):
        tables.load_base(str(folder / "base.yaml"), vocab)
    (folder / "6.1.yaml").write_text(delta("6.1", {}).replace("cases: {}\n", "cases:\n")
                                     + '  a.two: {expected: "bind:EADDRINUSE", feature: '
                                       'migrate_req}\n' * 2)
    with pytest.raises(RunnerError, match=r"6.1.yaml:5: duplicate row 'a.two' \(first at line 4\)"):
        tables.load_delta(str(folder / "6.1.yaml"), None, vocab)


@pytest.mark.parametrize("text,message", [
    ('kernel: "6.1"\ncases:\n  a.one: "ok"\n', "unknown top-level key 'kernel' in the base"),
    ('cases:\n  a.one: {expected: "ok"}\n', "row 'a.one' must be a non-empty string"),
    ('cases:\n  a.one: "nonsense_token"\n', "is no outcome token"),
    ('cases: [\n', "YAML syntax error"),
])
def test_a_bad_base(folder, vocab, text, message):
    (folder / "base.yaml").write_text(text)
    with pytest.raises(RunnerError, match=message):
        tables.load_base(str(folder / "base.yaml"), vocab)


def test_a_delta_needs_kernel_and_features(folder):
    (folder / "6.1.yaml").write_text("cases: {}\n")
    with pytest.raises(RunnerError, match="kernel:"):
        tables.load_delta(str(folder / "6.1.yaml"))
    (folder / "6.1.yaml").write_text('kernel: "6.1"\nfeatures: [nope]\ncases: {}\n')
    with pytest.raises(RunnerError, match=r"6.1.yaml:2: unknown feature 'nope'"):
        tables.load_delta(str(folder / "6.1.yaml"))


def test_a_complete_table_takes_short_and_old_long_rows(tmp_path, vocab):
    path = tmp_path / "t.yaml"
    path.write_text('kernel: "6.18"\ncases:\n  a.one: "ok"\n'
                    '  a.two: {expected: "bind:EADDRINUSE", rule: "R1", note: "old"}\n')
    t = tables.load_complete(str(path), vocab)
    assert {i: r.expected for i, r in t.rows.items()} == {"a.one": "ok",
                                                           "a.two": "bind:EADDRINUSE"}


def choose(folder, release):
    t, base, d, warning = table_choice.effective(release, str(folder))
    return t.rows["m.three"].expected, os.path.basename(d) if d else None, warning


def test_choice_exact_release_then_series(folder):
    assert choose(folder, "6.1.0-50-amd64") == ("migrated", "6.1.yaml", None)
    (folder / "6.1.0-50-amd64.yaml").write_text(delta("6.1", {"m.three": 'expected: "reset", '
                                                                       "feature: migrate_req"}))
    assert choose(folder, "6.1.0-50-amd64") == ("reset", "6.1.0-50-amd64.yaml", None)
    assert choose(folder, "5.10.0-32-amd64") == ("reset", "5.10.yaml", None)


def test_choice_nearest_older_series_warns(folder):
    token, name, warning = choose(folder, "6.0.7")
    assert (token, name) == ("reset", "5.10.yaml")
    assert "nearest older series" in warning and "--record" in warning


def test_choice_newer_than_every_delta_takes_the_newest(folder):
    token, name, warning = choose(folder, "9.9.0-future")
    assert (token, name) == ("migrated", "6.1.yaml") and "nearest older series" in warning


def test_choice_older_than_every_delta_is_the_base_alone(folder):
    token, name, warning = choose(folder, "4.19.0")
    assert (token, name) == ("migrated", None) and "base.yaml alone" in warning


def test_no_base_no_table(tmp_path):
    assert table_choice.effective("6.1.0", str(tmp_path)) == (None, None, None, None)


def test_show_table_prints_the_effective_table(folder, capsys):
    assert show_table.main(["5.10", "--expected-dir", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# 5.10: ") and "5.10.yaml" in out[0]
    assert "1 of 3 rows differ from the base" in out[0]
    assert out[1] == "# features: migrate_req_sysctl"
    assert out[2:] == ["a.one bind:EADDRINUSE", "a.two ok", "m.three reset  [migrate_req]"]


def test_show_table_unknown_series_is_one_line(folder, capsys):
    assert show_table.main(["7.7", "--expected-dir", str(folder)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("sockreuse: no delta for series '7.7'") and err.count("\n") == 1
    assert "5.10, 6.1" in err


def test_show_table_command_on_the_committed_tables():
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.expect.show_table", "6.1"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# 6.1: results/expected/base.yaml overlaid by "
                               "results/expected/6.1.yaml; ")


def committed_deltas():
    return sorted(n for n in os.listdir(EXPECTED) if n.endswith(".yaml") and n != tables.BASE)


def test_the_committed_tables(vocab):
    """Every delta loads over the base (so no row repeats the base and every
    row names a known feature), and the whole folder stays small."""
    base = tables.load_base(os.path.join(EXPECTED, tables.BASE), vocab)
    rows = len(base.rows)
    for name in committed_deltas():
        d = tables.load_delta(os.path.join(EXPECTED, name), base, vocab)
        t = tables.merge(base, d)
        assert set(t.rows) == set(base.rows), name
        assert all(t.rows[i].expected != base.rows[i].expected for i in d.rows), name
        rows += len(d.rows)
    assert committed_deltas() == ["5.10.yaml", "6.1.yaml", "6.12.yaml", "6.18.yaml", "7.2.yaml"]
    # Small against the base: whole tables per kernel would be five times it.
    assert rows - len(base.rows) < len(base.rows) // 4
