"""R10's verdicts come from programs the kernel really attached. Through the
LD_PRELOAD fault shim, SO_ATTACH_REUSEPORT_CBPF and SO_ATTACH_REUSEPORT_EBPF
report success without attaching anything (SOCKREUSE_FAULT=reuseport_bpf_noop):
every R10 case whose outcome a program decides must then fail, and only cases
whose expected outcome a group without a program gives too may still pass."""
import os

from tests.system.harness import BUILD, load_results, run_runner

SHIM = os.path.join(BUILD, "fault_shim.so")
# What a SO_REUSEPORT group without a program does: its hash spreads the flows
# (the program, had it been there, would have found nothing or passed), and a
# closed listener's connections are reset or migrated by the sysctl alone.
# From 6.13 a program that asks for an index past a group whose connected
# member left it falls back to the hash over the members left, which is what
# the group does without a program too (unconnected_members, docs/findings.md#udp-connected-leaves-group-6-13).
WITHOUT_A_PROGRAM = {"spread", "spread|helper:ok", "reset", "migrated", "unconnected_members"}


def test_an_attach_that_does_nothing_fails_every_program_case(tmp_path):
    table = tmp_path / "r10.yaml"
    r = run_runner(tmp_path / "record", "-k", "R10", "--record", "--expect", str(table))
    assert r.returncode == 0, r.stdout[-3000:]
    r = run_runner(tmp_path / "run", "-k", "R10", "--expect", str(table),
                   env={"LD_PRELOAD": SHIM, "SOCKREUSE_FAULT": "reuseport_bpf_noop"})
    assert r.returncode == 1, r.stdout[-3000:]
    cases = load_results(tmp_path / "run")["cases"]
    ran = [c for c in cases if c["verdict"] != "skip"]
    with_program = [c for c in ran if "program" in c["params"]]
    without = [c for c in ran if "program" not in c["params"]]
    assert len(with_program) >= 60 and len(without) >= 20
    # Nothing else changes: the shim touches only the attach options.
    assert [c["id"] for c in without if c["verdict"] != "pass"] == []
    # A case may say that its point is an outcome no program can change (a
    # connected member keeps its peer's datagrams).
    still_pass = [c for c in with_program if c["verdict"] == "pass"
                  and not c["params"].get("same_without_program")]
    assert [c["id"] for c in still_pass if c["expected"] not in WITHOUT_A_PROGRAM] == []
    failed = [c for c in with_program if c["verdict"] == "fail"]
    assert len(failed) >= 50
    assert {c["expected"] for c in failed} >= {"by_program", "by_program|helper:ok",
                                               "setsockopt:EINVAL", "bind:EADDRINUSE"}
    # The program picked the member: with no program the hash spread the flows
    # (over all members, or, with few flows, by chance not all of them).
    assert {c["observed"] for c in failed if c["expected"] == "by_program"
            and ".r10.cbpf." in c["id"]} <= {"spread", "spread_partial"}
