"""The cache of pure checks' passes (tests/pure_checks.py) forgets a pass
as soon as anything the check may read changes."""
import os

import pytest

from tests import pure_checks


class Node:
    nodeid = "tests/x.py::test_y"

    def __init__(self):
        self.user_properties = []


class Request:
    def __init__(self):
        self.node = Node()


@pytest.fixture
def tree(tmp_path, monkeypatch):
    for top in pure_checks.INPUTS:
        os.makedirs(tmp_path / top, exist_ok=True)
    (tmp_path / "sockreuse" / "rule.py").write_text("A = 1\n")
    monkeypatch.setattr(pure_checks, "ROOT", str(tmp_path))
    monkeypatch.setattr(pure_checks, "CACHE", str(tmp_path / ".cache" / "verdicts"))
    monkeypatch.delenv("SOCKREUSE_NO_VERDICT_CACHE", raising=False)
    pure_checks.inputs_digest.cache_clear()
    yield tmp_path
    pure_checks.inputs_digest.cache_clear()


def test_a_pass_is_kept_until_an_input_changes(tree):
    assert not pure_checks.passed_before(Request())
    pure_checks.remember_pass(Request())
    r = Request()
    assert pure_checks.passed_before(r) and r.node.user_properties == [("verdict", "cached")]
    (tree / "sockreuse" / "rule.py").write_text("A = 2\n")
    pure_checks.inputs_digest.cache_clear()
    assert not pure_checks.passed_before(Request())


@pytest.mark.parametrize("top", pure_checks.INPUTS)
def test_a_new_file_in_any_input_folder_forgets_the_pass(tree, top):
    pure_checks.remember_pass(Request())
    (tree / top / "new.yaml").write_text("x: 1\n")
    pure_checks.inputs_digest.cache_clear()
    assert not pure_checks.passed_before(Request())


def test_extra_input_is_part_of_the_key(tree):
    pure_checks.remember_pass(Request(), extra="catalogue 1")
    assert pure_checks.passed_before(Request(), extra="catalogue 1")
    assert not pure_checks.passed_before(Request(), extra="catalogue 2")
    assert not pure_checks.passed_before(Request())


def test_the_environment_runs_every_check(tree, monkeypatch):
    pure_checks.remember_pass(Request())
    monkeypatch.setenv("SOCKREUSE_NO_VERDICT_CACHE", "1")
    assert not pure_checks.passed_before(Request())
