"""A seed article's claim against one case record (expect/claims.py)."""
import pytest

from sockreuse.expect import claims
from tests.runner.synthetic import record

CLAIM = {"seed": "001", "claim": "a second bind fails", "case": "tcp4.default.same_addr",
         "claimed": "EADDRINUSE"}


@pytest.mark.parametrize("claimed,observed,holds", [
    ("EADDRINUSE", "bind:EADDRINUSE", True),        # an errno alone: whichever call
    ("EADDRINUSE", "listen:EADDRINUSE", True),
    ("EADDRINUSE", "sock2.bind:EADDRINUSE", True),
    ("EADDRINUSE", "EADDRINUSE", True),
    ("bind:EADDRINUSE", "bind:EADDRINUSE", True),
    ("bind:EADDRINUSE", "listen:EADDRINUSE", False),  # a named call must be that call
    ("EADDRINUSE", "ok", False),
    ("EADDRINUSE", "bind:EACCES", False),
    ("ok", "ok", True),
    ("EADDRINUSE", "binds:ok|EADDRINUSE,ok,ok,ok,ok,ok", False),
    ("ok", "binds:ok|ok,ok,ok,ok,ok,ok", False),
])
def test_matches(claimed, observed, holds):
    assert claims.matches(claimed, observed) is holds


def test_status_of_a_claim_that_holds():
    rec = record(CLAIM["case"], "R1", "pass", observed="bind:EADDRINUSE",
                 expected="bind:EADDRINUSE")
    assert claims.status(CLAIM, rec) == ("holds", "holds")


def test_status_of_a_claim_that_does_not_hold_names_the_observation():
    rec = record(CLAIM["case"], "R1", "fail", observed="ok", expected="bind:EADDRINUSE")
    assert claims.status(CLAIM, rec) == ("nothold", "does NOT hold (observed ok)")


def test_a_new_case_is_judged_by_its_observation():
    rec = record(CLAIM["case"], "R1", "new", observed="ok")
    assert claims.status(CLAIM, rec)[0] == "nothold"


@pytest.mark.parametrize("wanted", ["error", "skip"])
def test_a_case_that_did_not_run_is_not_run(wanted):
    rec = record(CLAIM["case"], "R1", wanted, observed="bind:EADDRINUSE")
    assert claims.status(CLAIM, rec) == ("notrun", "not run")
    assert claims.status(CLAIM, None) == ("notrun", "not run")


def test_load(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text('- {seed: "001", claim: c, case: x.y, claimed: EADDRINUSE}\n')
    assert claims.load(str(path)) == [{"seed": "001", "claim": "c", "case": "x.y",
                                       "claimed": "EADDRINUSE"}]
    assert claims.load(str(tmp_path / "absent.yaml")) == []
    assert claims.load(None) == []
