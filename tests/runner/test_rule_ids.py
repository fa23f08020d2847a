"""Rule ids in natural order and -k expressions that name rules."""
import pytest

from sockreuse.expect.rule_ids import rewrite_selection, rule_key, rule_keyword


def test_rules_sort_by_number_not_by_text():
    rules = ["R10", "R2", "X-misc", "R1", "R4.wildcard-vs-specific", "R3", "R4", "r5"]
    assert sorted(rules, key=rule_key) == \
        ["R1", "R2", "R3", "R4", "R4.wildcard-vs-specific", "r5", "R10", "X-misc"]


def test_an_id_without_a_number_sorts_last():
    assert rule_key("misc") == (999, "misc")
    assert rule_key(None) == (999, "")
    assert rule_key("R10") < rule_key("misc")


@pytest.mark.parametrize("rule,keyword", [
    ("R1", "rule1_"), ("R10", "rule10_"), ("r4", "rule4_"),
    ("R4.wildcard-vs-specific", "rule4_"), ("misc", None), (None, None)])
def test_rule_keyword(rule, keyword):
    assert rule_keyword(rule) == keyword


def test_no_rule_keyword_is_a_substring_of_another():
    """pytest matches -k words as substrings: R1 must not select R10's cases."""
    words = [rule_keyword(f"R{n}") for n in range(1, 13)]
    assert [(a, b) for a in words for b in words if a != b and a in b] == []


@pytest.mark.parametrize("expr,rewritten", [
    ("R4", "rule4_"),
    ("r4", "rule4_"),
    ("R4 and tcp6", "rule4_ and tcp6"),
    ("not R10 and (R1 or r2)", "not rule10_ and (rule1_ or rule2_)"),
    ("(R3)", "(rule3_)"),
    ("tcp4.R4", "tcp4.R4"),            # part of a dotted case id
    ("R4.wildcard", "R4.wildcard"),    # a refined rule id is left as written
    ("xR4 or R4x or R4_1", "xR4 or R4x or R4_1"),
    ("reuseport", "reuseport"),
    ("", ""),
    (None, None),
])
def test_rewrite_selection(expr, rewritten):
    assert rewrite_selection(expr) == rewritten
