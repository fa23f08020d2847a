"""Rule ids (R1 ... R10, refined ones like R4.wildcard-vs-specific) in their
natural order, and how a -k expression names a rule."""
import re

_RULE_WORD = re.compile(r"(?<![\w.])[Rr](\d+)(?![\w.])")


def rule_key(rule):
    """Sort key: R2 before R10; ids without a number last."""
    m = re.match(r"[Rr](\d+)", rule or "")
    return (int(m.group(1)) if m else 999, rule or "")


def rule_keyword(rule):
    """The keyword a case of `rule` carries for -k. pytest matches -k words as
    case-insensitive substrings, so "R1" would also select R10's cases; the
    keyword "rule1_" is no substring of "rule10_"."""
    m = re.match(r"[Rr](\d+)", rule or "")
    return f"rule{m.group(1)}_" if m else None


def rewrite_selection(expr):
    """`-k "R4 and tcp6"` -> `-k "rule4_ and tcp6"`: rule words become their keywords."""
    return _RULE_WORD.sub(lambda m: f"rule{m.group(1)}_", expr) if expr else expr
