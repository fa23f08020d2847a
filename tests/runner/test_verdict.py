"""verdict.decide: every verdict a case record can get, from synthetic runs."""
from sockreuse.expect import vocabulary
from sockreuse.run.verdict import decide
from tests.runner.synthetic import case, row, run

VOCAB = vocabulary.load()
CASE = case("tcp4.default.same_addr", "R1", {"family": "tcp4"})


def test_pass_when_observed_equals_expected():
    rec = decide(CASE, [run("bind:EADDRINUSE", control="ok", detail="second bind")],
                 row("bind:EADDRINUSE"), VOCAB)
    assert rec["verdict"] == "pass"
    assert (rec["id"], rec["rule"], rec["params"]) == ("tcp4.default.same_addr", "R1",
                                                       {"family": "tcp4"})
    assert (rec["observed"], rec["expected"], rec["control"]) == \
        ("bind:EADDRINUSE", "bind:EADDRINUSE", "ok")
    assert rec["detail"] == "second bind"


def test_fail_when_observed_differs_from_expected():
    rec = decide(CASE, [run("ok")], row("bind:EADDRINUSE"), VOCAB)
    assert (rec["verdict"], rec["observed"], rec["expected"]) == \
        ("fail", "ok", "bind:EADDRINUSE")


def test_new_without_a_table_row():
    rec = decide(CASE, [run("ok")], None, VOCAB)
    assert (rec["verdict"], rec["observed"], rec["expected"]) == ("new", "ok", None)


def test_a_missing_control_becomes_an_empty_one():
    assert decide(CASE, [run("ok", control="")], row("ok"), VOCAB)["control"] is None


def test_error_status_wins_and_keeps_the_erroring_runs_detail():
    runs = [run("ok", detail="fine"), run("", status="error", detail="suite crashed"),
            run("", status="skip", detail="no IPv6")]
    rec = decide(CASE, runs, row("ok"), VOCAB)
    assert (rec["verdict"], rec["detail"]) == ("error", "suite crashed")


def test_skip_only_when_every_run_skipped_and_keeps_the_reason():
    rec = decide(CASE, [run("", status="skip", detail="needs CONFIG_NET_VRF")] * 2,
                 row("ok"), VOCAB)
    assert (rec["verdict"], rec["detail"]) == ("skip", "needs CONFIG_NET_VRF")


def test_a_case_that_skipped_in_only_some_runs_is_no_skip():
    runs = [run("ok"), run("", status="skip", detail="no IPv6")]
    assert decide(CASE, runs, row("ok"))["verdict"] == "fail"
    rec = decide(CASE, runs, row("ok"), VOCAB)
    assert rec["verdict"] == "error"
    assert rec["detail"].startswith("outcome token '' is not in")


def test_conflict_without_a_positive_control_is_an_error():
    rec = decide(CASE, [run("bind:EADDRINUSE", control=None, detail="d")],
                 row("bind:EADDRINUSE"), VOCAB)
    assert rec["verdict"] == "error"
    assert rec["detail"].startswith("conflict 'bind:EADDRINUSE' came without a positive control")
    assert rec["detail"].endswith("; detail: d")


def test_conflict_whose_positive_control_failed_is_an_error():
    rec = decide(CASE, [run("listen:EADDRINUSE", control="bind:EADDRINUSE")],
                 row("listen:EADDRINUSE"), VOCAB)
    assert rec["verdict"] == "error"
    assert "positive control failed" in rec["detail"]
    assert "gave 'bind:EADDRINUSE', so 'listen:EADDRINUSE' is not the blocker's doing" \
        in rec["detail"]


def test_a_control_problem_in_a_later_run_is_found_too():
    runs = [run("bind:EADDRINUSE", control="ok"), run("bind:EADDRINUSE", control="")]
    assert decide(CASE, runs, row("bind:EADDRINUSE"), VOCAB)["verdict"] == "error"


def test_a_token_outside_the_vocabulary_is_an_error():
    rec = decide(CASE, [run("bind:eaddrinuse")], row("ok"), VOCAB)
    assert rec["verdict"] == "error"
    assert rec["detail"].startswith(f"outcome token 'bind:eaddrinuse' is not in {VOCAB.path}")


def test_without_a_vocabulary_any_token_is_an_observation():
    assert decide(CASE, [run("never_heard_of")], row("never_heard_of"))["verdict"] == "pass"
    assert decide(CASE, [run("never_heard_of")], row("ok"))["verdict"] == "fail"


def test_a_repeat_with_a_varying_outcome_fails_whatever_the_table_says():
    runs = [run("bind:EADDRINUSE", control="ok"), run("ok"), run("ok")]
    rec = decide(CASE, runs, row("ok"), VOCAB)
    assert (rec["verdict"], rec["observed"]) == ("fail", "varied")
    # Most frequent first, whatever came first.
    assert rec["detail"] == "outcome varied over 3 runs: ok x2, bind:EADDRINUSE x1"


def test_a_varying_outcome_fails_even_without_a_row():
    rec = decide(CASE, [run("first_bound"), run("last_bound")], None, VOCAB)
    assert (rec["verdict"], rec["observed"], rec["expected"]) == ("fail", "varied", None)


def test_a_harness_problem_comes_before_the_variation():
    runs = [run("ok"), run("bind:EADDRINUSE", control="")]
    assert decide(CASE, runs, row("ok"), VOCAB)["verdict"] == "error"


def test_a_steady_repeat_passes_with_mean_times():
    runs = [run("ok", duration_ms=1.0, setup_ms=0.5), run("ok", duration_ms=2.0, setup_ms=0.5),
            run("ok", duration_ms=4.0, setup_ms=2.0)]
    rec = decide(CASE, runs, row("ok"), VOCAB)
    assert rec["verdict"] == "pass"
    assert (rec["duration_ms"], rec["setup_ms"]) == (2.333, 1.0)


def test_the_record_names_the_topology_the_case_ran_in():
    case_ = dict(CASE, topology="server_only")
    assert decide(case_, [run("ok")], row("ok"), VOCAB)["topology"] == "server_only"
