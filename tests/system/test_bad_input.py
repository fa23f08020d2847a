"""Every kind of bad input gets one clear line starting with `sockreuse:` and
the documented exit status (sockreuse/errors.py)."""
import os
import subprocess

import pytest

from tests.system.harness import BUILD, ROOT, load_results, run_runner, table_folder

SHIM = os.path.join(BUILD, "fault_shim.so")
SAME_ADDR = "tcp4.default.same_addr"


def table(tmp_path, body, name="t.yaml"):
    path = tmp_path / name
    path.write_text('kernel: "6.18"\ncases:\n' + body)
    return path


def assert_exit(r, code, *needles):
    out = r.stdout + r.stderr
    assert r.returncode == code, out[-2000:]
    for n in needles:
        assert n in out, out[-2000:]


def assert_one_line(r, code, *needles):
    """Exactly one line on stderr, `sockreuse: ...`, and nothing of pytest's."""
    assert_exit(r, code, *needles)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sockreuse: "), r.stderr
    assert "Exit:" not in r.stderr and "Traceback" not in r.stderr


def test_filter_matching_nothing(tmp_path):
    r = run_runner(tmp_path, "-k", "no_such_case_anywhere")
    assert_exit(r, 2, "no case matches -k 'no_such_case_anywhere'")


@pytest.mark.parametrize("body,message", [
    (f"  {SAME_ADDR}: {{expected: ok, rule: R1}}\n  {SAME_ADDR}: {{expected: ok, rule: R1}}\n",
     f":4: duplicate row '{SAME_ADDR}' (first at line 3)"),
    (f"  {SAME_ADDR}: EADDRINUSE\n", f":3: row '{SAME_ADDR}': expected 'EADDRINUSE' is no "
                                     "outcome token"),
    (f"  {SAME_ADDR}: {{rule: R1}}\n", f":3: row '{SAME_ADDR}' has no 'expected'"),
    (f"  {SAME_ADDR}: {{expected: ok, rule: R1, colour: red}}\n", ":3: row"),
    (f"  {SAME_ADDR}: {{expected: ok, rule: R1\n", "YAML syntax error"),
])
def test_malformed_table_names_file_and_line(tmp_path, body, message):
    path = table(tmp_path, body)
    r = run_runner(tmp_path / "run", "--expect", str(path))
    assert_one_line(r, 2, str(path), message)


def test_table_without_cases(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text('kernel: "6.18"\n')
    assert_one_line(run_runner(tmp_path / "run", "--expect", str(path)), 2, "no `cases:`")


def test_stale_row(tmp_path):
    path = table(tmp_path, f"  {SAME_ADDR}: {{expected: bind:EADDRINUSE, rule: R1}}\n"
                           "  tcp4.gone.case: {expected: ok, rule: R1}\n")
    r = run_runner(tmp_path / "run", "--expect", str(path))
    assert_one_line(r, 2, f"{path}:4: stale row 'tcp4.gone.case'")


def test_no_table_for_the_kernel(tmp_path):
    empty = tmp_path / "expected"
    empty.mkdir()
    r = run_runner(tmp_path / "run", "--expected-dir", str(empty))
    assert_one_line(r, 2, "no expected table for kernel", "./run_tests.sh --record")


def test_unknown_series_falls_back_with_a_warning(recorded_table, tmp_path):
    expected = table_folder(recorded_table, tmp_path / "expected", ("6.1",))
    r = run_runner(tmp_path / "run", "--expected-dir", str(expected),
                   "--kernel-release", "9.9.0-future", "-k", "default")
    assert_exit(r, 0, "WARNING", "nearest older series", "6.1.yaml")
    doc = load_results(tmp_path / "run")
    assert "nearest older series" in doc["kernel"]["table_warning"]
    assert doc["kernel"]["table"]["delta"] == "6.1.yaml"
    assert "nearest older series" in doc["kernel"]["table"]["warning"]
    summary = (tmp_path / "run" / "summary.md").read_text()
    assert "warning" in summary and "- table: `base.yaml` + `6.1.yaml`" in summary
    assert str(tmp_path) not in summary


def test_missing_suite_binary(tmp_path):
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "runner/", "-p", "no:cacheprovider",
                        "--suite-bin", str(tmp_path / "nothing"), "--results-dir", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True)
    assert_one_line(r, 2, "no suite binary", "./run_tests.sh")


@pytest.mark.parametrize("args,message", [
    (["--no-such-option"], "unknown option '--no-such-option'"),
    (["-j", "0"], "-j wants a positive whole number"),
    (["-k"], "-k needs a value"),
    (["--repeat", "-1"], "--repeat wants a positive whole number, not '-1'"),
    (["--repeat", "abc"], "--repeat wants a positive whole number, not 'abc'"),
    (["--repeat", "0"], "--repeat wants a positive whole number"),
    (["--wait-scale", "0"], "--wait-scale wants a positive number"),
    (["--wait-scale", "fast"], "--wait-scale wants a positive number"),
    (["--explore", "--repeat", "2"], "--repeat is for the suite's cases; --explore runs"),
    (["--show-table", "6.1", "-k", "x"], "--show-table prints one kernel series' expected table"),
    (["--expect", "/nonexistent/t.yaml"], "--expect /nonexistent/t.yaml: no such table file"),
    (["--matrix", "--kernel", "6.1"], "--matrix runs every configured kernel"),
    (["--matrix", "--expect", "x.yaml"], "--expect names one table"),
    (["--selftest", "-k", "x"], "--selftest runs the project's own tests and takes no other"),
    (["--modules", "/tmp"], "--modules goes with --kernel PATH"),
    (["--kernel", "6.1", "--results-dir", "/tmp/x"], "--results-dir is for a run on this machine"),
])
def test_run_tests_sh_bad_options(args, message):
    r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), *args], capture_output=True, text=True)
    assert_one_line(r, 2, message)


def test_help_lists_every_exit_status():
    from sockreuse.errors import BISECT_TABLE, EXIT_TABLE
    r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    for code, meaning in BISECT_TABLE:  # --bisect's statuses, git bisect run's contract
        assert f"  {code:<3}  {meaning}" in r.stdout
        assert f"| {code} | {meaning} |" in open(os.path.join(ROOT, "README.md")).read()
    for code, meaning in EXIT_TABLE:
        assert f"  {code}  {meaning}" in r.stdout
        # Stated once, in the README; results/README.md links to it.
        assert f"| {code} | {meaning} |" in open(os.path.join(ROOT, "README.md")).read()
        assert f"| {code} |" not in open(os.path.join(ROOT, "results", "README.md")).read()


def test_runner_bad_values_are_one_line(tmp_path):
    # The runner run directly (as a guest runs it) checks with sockreuse/cli.py's validators.
    for args, message, env in (
            (["--repeat", "0"], "--repeat wants a positive whole number, not '0'", {}),
            (["--repeat", "x"], "--repeat wants a positive whole number, not 'x'", {}),
            (["--jobs", "0"], "--jobs wants a positive whole number, not '0'", {}),
            (["--wait-scale", "-2"], "--wait-scale wants a positive number (1: 10 s per wait), "
                                     "not '-2'", {}),
            ([], "SOCKREUSE_WAIT_SCALE wants a positive number", {"SOCKREUSE_WAIT_SCALE": "x"})):
        assert_one_line(run_runner(tmp_path, *args, env=env), 2, message)


def test_missing_package_that_cannot_be_installed():
    env = dict(os.environ, SOCKREUSE_EXTRA_PACKAGES="sockreuse-no-such-package")
    r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "-k", "x"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert_one_line(r, 4, "could not install", "apt-get install", "sockreuse-no-such-package")


@pytest.mark.parametrize("fault,reason", [
    ("no_netns", "no network namespaces (CONFIG_NET_NS)"),
    ("no_veth", "cannot create veth pairs (CONFIG_VETH)"),
])
def test_kernel_without_a_feature_nothing_can_run(recorded_table, tmp_path, fault, reason):
    r = run_runner(tmp_path, "--expect", str(recorded_table), "-k", "default",
                   env={"LD_PRELOAD": SHIM, "SOCKREUSE_FAULT": fault})
    assert_exit(r, 4, "every case was skipped", reason)
    assert {c["verdict"] for c in load_results(tmp_path)["cases"]} == {"skip"}


def test_kernel_without_ipv6_skips_only_ipv6_cases(recorded_table, tmp_path):
    r = run_runner(tmp_path, "--expect", str(recorded_table), "-k", "default or dualstack",
                   env={"LD_PRELOAD": SHIM, "SOCKREUSE_FAULT": "no_ipv6"})
    assert_exit(r, 0)
    cases = load_results(tmp_path)["cases"]
    skipped = {c["id"] for c in cases if c["verdict"] == "skip"}
    assert "tcp6.default.same_addr" in skipped and "tcp46.dualstack.any6_then_any4" in skipped
    assert {c["verdict"] for c in cases if c["id"].startswith(("tcp4.", "udp4."))} == {"pass"}
    assert all("CONFIG_IPV6" in c["detail"] for c in cases if c["verdict"] == "skip")


def test_read_only_proc_sys_skips_the_sysctl_cases(recorded_table, tmp_path):
    # A private mount namespace with /proc/sys read-only, as in some containers.
    cmd = ("mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && "
           "exec /usr/bin/python3 -m pytest runner/ -p no:cacheprovider -q "
           f"--results-dir {tmp_path} --expect {recorded_table} -k 'migrate or autobind or ex1'")
    r = subprocess.run(["unshare", "-m", "sh", "-c", cmd], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert_exit(r, 0)
    cases = load_results(tmp_path)["cases"]
    skipped = [c for c in cases if c["verdict"] == "skip"]
    assert skipped and all("read-only" in c["detail"] for c in skipped)
    assert "tcp.migrate.sysctl_default" not in {c["id"] for c in skipped}
