"""The kernel options the cases name (--list-cases "config", suites/config)
are the ones they need: with each option taken away the way a kernel built
without it behaves (the fault shim), exactly the cases that name it skip,
each saying so. And the run checks the kernel's configuration before any
case: it names what is missing and refuses a kernel that lacks an option
every case needs."""
import json
import os
import subprocess

import pytest

from sockreuse.kconfig import fragment
from tests.system.harness import SUITE, load_results, run_runner

SHIM = os.path.join(os.path.dirname(SUITE), "fault_shim.so")


def listed_cases():
    r = subprocess.run([SUITE, "--list-cases"], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in r.stdout.splitlines()]


def skipped(results):
    return {c["id"]: c["detail"] for c in results["cases"] if c["verdict"] == "skip"}


@pytest.mark.heavy
@pytest.mark.parametrize("fault,option", [("no_ipv6", "CONFIG_IPV6"),
                                          ("no_vrf", "CONFIG_NET_VRF"),
                                          ("no_bpf", "CONFIG_BPF_SYSCALL"),
                                          ("no_inet_diag", "CONFIG_INET_DIAG")])
def test_without_an_option_exactly_the_cases_naming_it_skip(recorded_table, tmp_path, fault,
                                                           option):
    # The cases that skip on this kernel anyway (the recording's run) skip for their own reason.
    before = skipped(load_results(recorded_table.parent / "run"))
    r = run_runner(tmp_path, "--expect", str(recorded_table), "--kernel-config", "none",
                   env={"LD_PRELOAD": SHIM, "SOCKREUSE_FAULT": fault})
    results = load_results(tmp_path)
    assert {c["verdict"] for c in results["cases"]} <= {"pass", "skip"}, r.stdout[-3000:]
    now = skipped(results)
    naming = {c["id"] for c in listed_cases() if option in c["config"]}
    assert naming
    new = set(now) - set(before)
    assert sorted(new) == sorted(naming - set(before))
    assert [i for i in new if option not in now[i]] == []


def config_without(path, missing):
    frag = fragment.load()
    path.write_text("".join(f"# {n} is not set\n" if n in missing else f"{n}=y\n"
                            for n in frag.options))
    return str(path)


def test_a_kernel_without_an_option_every_case_needs_is_refused(recorded_table, tmp_path):
    fake = config_without(tmp_path / "config", ["CONFIG_VETH"])
    r = run_runner(tmp_path / "run", "--expect", str(recorded_table), "-k", "R1",
                   "--kernel-config", fake)
    assert r.returncode == 4, r.stdout[-2000:] + r.stderr[-2000:]
    assert r.stderr == ("sockreuse: this kernel lacks CONFIG_VETH (=y or =m), which every case "
                        "needs: build the kernel with suites/config merged (README \"Your own "
                        "kernel\")\n")
    assert not (tmp_path / "run" / "results.json").exists()


def test_the_run_says_first_what_the_kernel_lacks(recorded_table, tmp_path):
    fake = config_without(tmp_path / "config", ["CONFIG_NET_VRF"])
    vrf = [c["id"] for c in listed_cases() if "CONFIG_NET_VRF" in c["config"]]
    r = run_runner(tmp_path / "run", "--expect", str(recorded_table), "-k", "vrf or R1",
                   "--kernel-config", fake)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    line = (f"sockreuse: this kernel lacks CONFIG_NET_VRF (=y or =m): {len(vrf)} cases skip "
            "(tcp4.vrf.*, ")
    assert r.stdout.startswith(line), r.stdout[:500]
    kernel = load_results(tmp_path / "run")["kernel"]
    assert kernel["config"]["missing"] == ["CONFIG_NET_VRF"]
    assert sorted(kernel["config"]["skipped"]["CONFIG_NET_VRF"]) == sorted(vrf)
    summary = (tmp_path / "run" / "summary.md").read_text()
    assert "- kernel configuration: this kernel lacks CONFIG_NET_VRF (=y or =m)" in summary

    r = run_runner(tmp_path / "none", "--expect", str(recorded_table), "-k", "R1",
                   "--kernel-config", "none")
    assert r.returncode == 0 and "suites/config" not in r.stdout + r.stderr
    assert load_results(tmp_path / "none")["kernel"]["config"] is None
