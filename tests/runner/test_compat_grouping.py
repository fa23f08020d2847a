"""How the compatibility report lines kernels up and groups cases into rows
(report/compat.py): version order, the grid, which rows changed across
kernels and between which kernels. Causes (notes) are left to
tests/compat/."""
import json

import pytest

from sockreuse.expect import table_choice
from sockreuse.report import compat
from sockreuse.run import reports, verdict
from tests.runner.synthetic import doc, record

# release -> {case id: (rule, verdict, observed)}; a case missing did not run there.
RUNS = {
    "6.12.117+deb13-amd64": {"tcp4.a": ("R1", "pass", "bind:EADDRINUSE"),
                             "unix.rp": ("R5", "pass", "setsockopt:EOPNOTSUPP"),
                             "tcp4.mig": ("R10", "pass", "migrated"),
                             "tcp4.r2": ("R2", "pass", "ok")},
    "5.10.0-32-amd64": {"tcp4.a": ("R1", "pass", "bind:EADDRINUSE"),
                        "unix.rp": ("R5", "pass", "ok"),
                        "tcp4.mig": ("R10", "pass", "unsupported"),
                        "tcp4.r2": ("R2", "skip", "")},
    "6.18.44-host": {"tcp4.a": ("R1", "pass", "bind:EADDRINUSE"),
                     "unix.rp": ("R5", "pass", "setsockopt:EOPNOTSUPP"),
                     "tcp4.mig": ("R10", "error", ""),
                     "tcp4.r2": ("R2", "fail", "listen:EADDRINUSE"),
                     "tcp4.only_here": ("R2", "new", "ok")},
    "6.1.0-50-amd64": {"tcp4.a": ("R1", "pass", "bind:EADDRINUSE"),
                       "unix.rp": ("R5", "pass", "setsockopt:EOPNOTSUPP"),
                       "tcp4.mig": ("R10", "pass", "migrated"),
                       "tcp4.r2": ("R2", "pass", "ok")},
}
ORDER = ["5.10.0-32-amd64", "6.1.0-50-amd64", "6.12.117+deb13-amd64", "6.18.44-host"]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    paths = []
    for release, cases in RUNS.items():  # not in version order
        folder = base / release
        folder.mkdir()
        records = [record(cid, rule, v, observed=obs, expected=obs)
                   for cid, (rule, v, obs) in sorted(cases.items())]
        (folder / "results.json").write_text(json.dumps(doc(records, release=release)))
        if not release.endswith("-host"):
            (folder / "vm.json").write_text(json.dumps({"accelerator": "tcg"}))
        paths.append(str(folder / "results.json"))
    return compat.load(paths)


@pytest.mark.parametrize("release,key", [
    ("5.10.0-32-amd64", [5, 10, 0, 32]),
    ("6.12.117+deb13-amd64", [6, 12, 117, 13]),
    ("7.2.0-rc3", [7, 2, 0, 3]),
    ("6.18", [6, 18]),
])
def test_version_key(release, key):
    assert table_choice.version_key(release) == key


def test_versions_sort_as_numbers_not_text():
    releases = ["6.18.44", "10.0.1", "6.2.0", "6.12.117", "5.10.0", "6.1.0"]
    assert sorted(releases, key=table_choice.version_key) == \
        ["5.10.0", "6.1.0", "6.2.0", "6.12.117", "6.18.44", "10.0.1"]


def test_load_puts_kernels_in_version_order(kernels):
    assert [k.release for k in kernels] == ORDER
    assert [k.accel for k in kernels] == ["tcg", "tcg", "tcg", "host"]
    assert [k.host for k in kernels] == [False, False, False, True]


def test_a_first_boot_that_crashed_is_said_where_the_accelerator_is(tmp_path):
    folder = tmp_path / "7.2.13+deb14-amd64"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(doc([record("a", "R1", "pass")],
                                                        release=folder.name)))
    (folder / "vm.json").write_text(json.dumps({"accelerator": "tcg",
                                                "first_boot_crash": "Oops: int3: 0000 [#1]"}))
    kernel, = compat.load([str(folder / "results.json")])
    assert kernel.accel == "tcg"
    assert kernel.how == "tcg, second boot (the first crashed: Oops: int3: 0000 [#1])"


def test_load_orders_by_number_where_text_order_would_not(tmp_path):
    paths = []
    for release in ("6.18.0", "10.1.0", "6.9.0"):
        (tmp_path / release).mkdir()
        path = tmp_path / release / "results.json"
        path.write_text(json.dumps(doc([record("a", "R1", "pass")], release=release)))
        paths.append(str(path))
    assert [k.release for k in compat.load(paths)] == ["6.9.0", "6.18.0", "10.1.0"]


def test_a_file_that_is_not_results_json_is_one_line(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text('{"kernel": {}}')
    with pytest.raises(SystemExit) as e:
        compat.load([str(bad)])
    assert str(e.value).startswith(f"sockreuse: {bad}: not a results.json")
    assert "\n" not in str(e.value)


def test_grid_orders_rules_by_number_and_cases_by_id(kernels):
    g = compat.grid(kernels)
    assert list(g) == ["R1", "R2", "R5", "R10"]
    assert [r.id for r in g["R2"]] == ["tcp4.only_here", "tcp4.r2"]
    assert all(r.rule == rule for rule, rows in g.items() for r in rows)


def test_grid_cells_follow_the_kernels_and_are_none_where_a_case_did_not_run(kernels):
    only_here = compat.grid(kernels)["R2"][0]
    assert [c and c["verdict"] for c in only_here.cells] == [None, None, None, "new"]
    mig = compat.grid(kernels)["R10"][0]
    assert [c["observed"] for c in mig.cells] == ["unsupported", "migrated", "migrated", ""]


def test_an_unchanged_row_has_no_change(kernels):
    g = compat.grid(kernels)
    assert g["R1"][0].change is None
    assert g["R2"][0].change is None  # ran on one kernel only


def test_a_changed_row_splits_the_kernels_at_the_oldest_kernels_outcome(kernels):
    change = compat.grid(kernels)["R5"][0].change
    assert change.before == ("5.10.0-32-amd64",)
    assert change.after == ("6.1.0-50-amd64", "6.12.117+deb13-amd64", "6.18.44-host")


def test_errors_and_skips_take_no_side(kernels):
    g = compat.grid(kernels)
    mig = g["R10"][0].change  # 6.18 errored: it is on neither side
    assert (mig.before, mig.after) == (("5.10.0-32-amd64",),
                                       ("6.1.0-50-amd64", "6.12.117+deb13-amd64"))
    r2 = g["R2"][1].change    # 5.10 skipped: the oldest kernel that ran it leads
    assert (r2.before, r2.after) == (("6.1.0-50-amd64", "6.12.117+deb13-amd64"),
                                     ("6.18.44-host",))


def test_change_of_cells_that_agree_or_did_not_run(kernels):
    cell = record("x", "R1", "pass")
    assert compat.change_of(kernels[:2], [cell, cell]) is None
    assert compat.change_of(kernels[:2], [None, cell]) is None
    assert compat.change_of(kernels[:2], [None, None]) is None


def test_the_report_and_the_run_know_the_same_verdicts():
    assert reports.VERDICTS is verdict.VERDICTS == ("pass", "fail", "new", "error", "skip")
