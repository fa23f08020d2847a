"""./run_tests.sh's options, read in one place (sockreuse/cli.py): every bad
value and every conflict is one `sockreuse:` line and exit status 2, each
mode runs the command it should, and each check is written once. No root,
no build: the parser and the command lines only."""
import os
import subprocess

import pytest

from sockreuse import cli
from sockreuse.errors import EXIT_TABLE, EXIT_USAGE, RunnerError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"


def mode_of(*args, env=None):
    return subprocess.run([PY, "-m", "sockreuse.cli", "--mode-of", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=60)


BAD = [
    (["--no-such-option"], "unknown option '--no-such-option' (see ./run_tests.sh --help)"),
    (["-j", "0"], "-j wants a positive whole number, not '0'"),
    (["-jx"], "-j wants a positive whole number, not 'x'"),
    (["-j"], "-j needs a number of workers"),
    (["-k"], "-k needs a value"),
    (["-k", "a\nb"], "-k takes an expression on one line"),
    (["--repeat", "-1"], "--repeat wants a positive whole number, not '-1'"),
    (["--repeat", "abc"], "--repeat wants a positive whole number, not 'abc'"),
    (["--repeat", "0"], "--repeat wants a positive whole number, not '0'"),
    (["--repeat"], "--repeat needs a number of runs"),
    (["--wait-scale", "0"], "--wait-scale wants a positive number (1: 10 s per wait), not '0'"),
    (["--wait-scale", "fast"], "--wait-scale wants a positive number"),
    (["--wait-scale", "-2"], "--wait-scale wants a positive number"),
    (["--wait-scale", "inf"], "--wait-scale wants a positive number"),
    (["--wait-scale", "nan"], "--wait-scale wants a positive number"),
    (["--wait-scale"], "--wait-scale needs a number"),
    (["--expect"], "--expect needs a table file"),
    (["--expect", "/nonexistent/t.yaml"], "--expect /nonexistent/t.yaml: no such table file"),
    (["--kernel", "6.1", "--expect", "/nonexistent/t.yaml", "--record"],
     "--expect /nonexistent/t.yaml: no such table file"),
    (["--kernel"], "--kernel needs a series (vm/kernels.conf), a vmlinuz, a kernel .deb or a kernel tree"),
    (["--modules"], "--modules needs the lib/modules/<release> folder (or linux-modules .deb) of your kernel"),
    (["--modules", "/tmp"], "--modules goes with --kernel PATH"),
    (["--kernel", "6.1", "--modules", "/tmp"], "--modules goes with --kernel PATH"),
    (["--matrix", "--kernel", "6.1"], "--matrix runs every configured kernel and --kernel one"),
    (["--matrix", "--expect", "x.yaml"], "--expect names one table"),
    (["--selftest", "-k", "x"], "--selftest runs the project's own tests and takes no other "
                                "option (got '-k')"),
    (["-j", "2", "--selftest"], "--selftest runs the project's own tests and takes no other "
                                "option (got '-j')"),
    (["--show-table"], "--show-table needs a kernel series"),
    (["--show-table", "6.1", "--record"], "--show-table prints one kernel series' expected "
                                          "table and takes no other option (got '--record')"),
    (["--explore", "--allow-new"], "--allow-new is for the suite's cases; --explore runs"),
    (["--explore", "--repeat", "2"], "--repeat is for the suite's cases"),
    (["--explore", "--expected-dir", "x"], "--expected-dir is for the suite's cases"),
    (["--kernel", "6.1", "--results-dir", "/tmp/x"], "--results-dir is for a run on this machine"),
    (["--matrix", "--kernel-release", "1"], "--kernel-release is for a run on this machine"),
    (["--kernel", "6.1", "--expected-dir", "x"], "--expected-dir is for a run on this machine"),
    (["--lava"], "--lava needs 'local' or a LAVA server's URL"),
    (["--lava", "local"], "--lava goes with --kernel S or --matrix"),
    (["--kernel", "6.1", "--lava", "ftp://lava"], "--lava ftp://lava: give `local`"),
    (["--kernel", "6.1", "--lava", "local", "--explore"], "--explore runs in local guests only"),
    (["--kernel", "6.1", "--lava", "local", "--record"], "--record and --expect work with local"),
    (["--rootfs"], "--rootfs needs a file to write"),
    (["--rootfs", "/nonexistent/x.cpio.gz"], "--rootfs /nonexistent/x.cpio.gz: give a file name "
                                             "in an existing directory"),
    (["--rootfs", "/tmp"], "give a file name in an existing directory"),
    (["--rootfs", ""], "--rootfs : give a file name in an existing directory"),
    (["--expect", ""], "--expect : no such table file"),
    (["--lava", ""], "--lava : give `local`"),
    (["--rootfs", "x.cpio.gz", "--matrix"], "--rootfs takes one kernel's modules"),
    (["--rootfs", "x.cpio.gz", "-k", "x"], "--rootfs goes alone or with --kernel (and --modules)"),
    (["--rootfs", "x.cpio.gz", "--explore"], "--rootfs goes alone or with --kernel"),
    (["--rootfs", "x.cpio.gz", "--kernel", "6.1", "--lava", "local"],
     "--rootfs goes alone or with --kernel"),
]


@pytest.mark.parametrize("args,message", BAD)
def test_bad_input_is_one_error(args, message):
    with pytest.raises(RunnerError) as e:
        cli.parse(args)
    assert message in str(e.value) and "\n" not in str(e.value)
    assert e.value.code == EXIT_USAGE


@pytest.mark.parametrize("args,message", BAD[::6])
def test_bad_input_from_the_command_is_one_line_and_exit_2(args, message):
    r = mode_of(*args)
    assert r.returncode == EXIT_USAGE and r.stdout == ""
    assert r.stderr.startswith("sockreuse: ") and len(r.stderr.strip().splitlines()) == 1
    assert message in r.stderr


@pytest.mark.parametrize("args,mode", [
    ([], "suite"),
    (["-k", "R1", "-j", "1", "--repeat", "3", "--wait-scale", ".5", "--allow-new"], "suite"),
    (["--selftest"], "selftest"),
    (["--explore", "-k", "a1:s0_4"], "explore"),
    (["--kernel", "6.1"], "vm"),
    (["--matrix", "--explore"], "vm"),
    (["--kernel", "6.1", "--lava", "local"], "vm local"),
    (["--matrix", "--lava", "https://lava.example.org/RPC2"], "vm server"),
    (["--rootfs", "x.cpio.gz"], "rootfs"),
    (["--rootfs", "x.cpio.gz", "--kernel", "6.1"], "rootfs"),
    (["--show-table", "6.1"], "show-table"),
    (["-k", "x", "--help"], "help"),
])
def test_mode_of(args, mode):
    r = mode_of(*args)
    assert (r.returncode, r.stdout, r.stderr) == (0, mode + "\n", "")


def test_the_mode_needs_only_the_standard_library():
    # run_tests.sh asks for the mode before it installs python3-yaml or pytest:
    # -S leaves Debian's packages out, and --kernel's series waits for PyYAML.
    code = ("import sys; sys.argv = ['cli', '--mode-of', '--kernel', '9.99']; "
            "import sockreuse.cli as c; c.main(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'pytest')))")
    r = subprocess.run([PY, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["vm", "[]"]
    with_yaml = mode_of("--kernel", "9.99")
    assert with_yaml.returncode == EXIT_USAGE and with_yaml.stdout == ""
    assert with_yaml.stderr.startswith("sockreuse: unknown kernel series '9.99'")


def argvs(args, ncores=3):
    o = cli.parse(args)
    return [(s.argv, s.cwd) for s in cli.steps(o, ncores)]


SUITE = [PY, "-m", "pytest", "runner/", "-p", "no:cacheprovider", "-q"]
DRIVER = [PY, "-m", "sockreuse.explore.driver"]
MATRIX = [PY, "-m", "sockreuse.boot.matrix"]


def test_the_suite_gets_its_options_and_one_process_per_core():
    assert argvs([]) == [(SUITE + ["--jobs", "3"], ".")]
    got = argvs(["-k", "R1 and tcp4", "-j2", "--repeat", "4", "--wait-scale", "2.5",
                 "--allow-new", "--results-dir", "/tmp/r", "--kernel-release", "6.1.0-9",
                 "--expected-dir", "e", "--record", "--expect", "new.yaml"])
    assert got == [(SUITE + ["--jobs", "2", "-k", "R1 and tcp4", "--repeat", "4",
                             "--wait-scale", "2.5", "--expect", "new.yaml", "--record",
                             "--allow-new", "--kernel-release", "6.1.0-9", "--results-dir",
                             "/tmp/r", "--expected-dir", "e"], ".")]


def test_the_last_of_a_repeated_option_counts():
    assert argvs(["-k", "a", "-k", "b", "-j", "5", "-j", "1"]) == [
        (SUITE + ["--jobs", "1", "-k", "b"], ".")]


def test_explore_runs_the_driver_with_shards():
    assert argvs(["--explore", "-k", "a1:s0_4 and a2:s0_4", "--wait-scale", "3"]) == [
        (DRIVER + ["-j", "3", "-k", "a1:s0_4 and a2:s0_4", "--wait-scale", "3"], ".")]
    assert argvs(["--explore", "--record", "-j", "1"]) == [(DRIVER + ["-j", "1", "--record"], ".")]


def test_guests_get_their_options_and_j_only_when_given():
    assert argvs(["--kernel", "6.1"]) == [(MATRIX + ["--kernel", "6.1"], ".")]
    assert argvs(["--matrix", "--explore", "-j", "2", "-k", "udp"]) == [
        (MATRIX + ["--matrix", "--explore", "-j", "2", "-k", "udp"], ".")]
    assert argvs(["--kernel", "6.1", "--lava", "local", "--repeat", "2"]) == [
        (MATRIX + ["--kernel", "6.1", "--lava", "local", "--repeat", "2"], ".")]


def test_rootfs_gets_its_file_and_kernel():
    assert argvs(["--rootfs", "x.cpio.gz"]) == [
        ([PY, "-m", "sockreuse.kernels.rootfs", "x.cpio.gz"], ".")]
    assert argvs(["--kernel", "6.1", "--rootfs", "x.cpio.gz"]) == [
        ([PY, "-m", "sockreuse.kernels.rootfs", "x.cpio.gz", "--kernel", "6.1"], ".")]


def test_selftest_runs_ctest_then_pytest_side_by_side_then_the_solo_tests():
    plan = cli.steps(cli.parse(["--selftest"]), 2)
    pytest = [PY, "-m", "pytest", "tests/", "-p", "no:cacheprovider", "-q"]
    assert [(s.argv, s.cwd) for s in plan] == [
        (["ctest", "--output-on-failure", "-j", "2"], "build"),
        (pytest + ["-n", "2", "--dist", "loadgroup", "-m", "not solo"], "."),
        (pytest + ["-m", "solo"], ".")]
    assert plan[0].failed == "netns/ unit tests failed"
    assert plan[1].failed == "runner and system tests failed"


def test_show_table_runs_its_module():
    assert argvs(["--show-table", "6.12"]) == [
        ([PY, "-m", "sockreuse.expect.show_table", "6.12"], ".")]


def test_a_failing_first_step_stops_the_run(capsys):
    plan = [cli.Step(["false"], failed="the first step failed"), cli.Step(["no-such-program"])]
    assert cli.run(plan) == 1
    assert capsys.readouterr().err == "sockreuse: the first step failed\n"


def test_help_is_the_usage_and_the_exit_table():
    r = subprocess.run([PY, "-m", "sockreuse.cli", "--help"], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.startswith("sockreuse: the one entry point")
    # --kernel-release, --results-dir, --expected-dir: the system tests' options, not listed.
    for option in cli.OPTIONS:
        if option not in ["-h", *cli.HOST_ONLY]:
            assert option in r.stdout, option
    for code, meaning in EXIT_TABLE:
        assert f"  {code}  {meaning}\n" in r.stdout


def test_the_kernel_value_is_checked_against_the_configuration(tmp_path):
    assert cli.kernel_kind("6.1", None, ["5.10", "6.1"]) == "series"
    with pytest.raises(RunnerError, match=r"unknown kernel series '9.99' \(configured: 5.10, 6.1"):
        cli.kernel_kind("9.99", None, ["5.10", "6.1"])
    vmlinuz = tmp_path / "vmlinuz"
    vmlinuz.write_text("")
    with pytest.raises(RunnerError, match="needs --modules DIR"):
        cli.kernel_kind(str(vmlinuz), None, [])
    # A modules folder without modules.dep is not refused: one is made in the cache.
    assert cli.kernel_kind(str(vmlinuz), str(tmp_path), []) == "own"
    with pytest.raises(RunnerError, match="--modules /nonexistent: no such folder or package"):
        cli.kernel_kind(str(vmlinuz), "/nonexistent", [])
    deb = tmp_path / "linux-image-9.9.deb"
    deb.write_text("")
    assert cli.kernel_kind(str(deb), None, []) == "own"
    assert cli.kernel_kind(str(tmp_path), None, []) == "own"  # a kernel tree
    with pytest.raises(RunnerError, match="is a kernel tree: .* drop --modules"):
        cli.kernel_kind(str(tmp_path), str(tmp_path), [])


def test_an_empty_kernel_is_no_series():
    assert cli.parse(["--kernel", ""]).mode == "vm"
    r = mode_of("--kernel", "")
    assert r.returncode == EXIT_USAGE and "unknown kernel series ''" in r.stderr


def test_an_unknown_series_is_one_line_before_anything_runs():
    r = subprocess.run([PY, "-m", "sockreuse.cli", "--kernel", "9.99"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == EXIT_USAGE and r.stdout == ""
    assert r.stderr.startswith("sockreuse: unknown kernel series '9.99'")
    assert len(r.stderr.strip().splitlines()) == 1


def test_the_wait_scale_setting_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("SOCKREUSE_WAIT_SCALE", "0.5")
    assert cli.wait_scale_setting(None) == 0.5
    assert cli.wait_scale_setting("2") == 2.0 and os.environ["SOCKREUSE_WAIT_SCALE"] == "2"
    monkeypatch.setenv("SOCKREUSE_WAIT_SCALE", "slow")
    with pytest.raises(RunnerError, match="SOCKREUSE_WAIT_SCALE wants a positive number"):
        cli.wait_scale_setting(None)
    monkeypatch.delenv("SOCKREUSE_WAIT_SCALE")
    assert cli.wait_scale_setting(None) == 1.0


def package_sources():
    for folder, _, names in os.walk(os.path.join(ROOT, "sockreuse")):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path) as f:
                    yield os.path.relpath(path, ROOT), f.read()


@pytest.mark.parametrize("text", [
    "wants a positive number (1: 10 s per wait)",
    "wants a positive whole number",
    "takes an expression on one line",
    "no such table file",
    "give `local` (lava-run on this machine)",
    "give a file name in an existing directory",
    "or give a path: a vmlinuz with --modules",
    "argparse's own complaint",
])
def test_each_check_is_written_once(text):
    where = [path for path, source in package_sources() if text in source]
    assert where == ["sockreuse/cli.py"], where
    assert open(os.path.join(ROOT, "sockreuse", "cli.py")).read().count(text) == 1



def test_expect_names_a_series_table_or_a_file(tmp_path):
    assert cli.expect_series("6.1") == "6.1" and cli.expect_series("base") == "base"
    assert cli.expect_table("6.1", may_create=False) == "6.1"
    with pytest.raises(RunnerError, match=r"--expect 9.9: no table for series 9.9 .*known: .*6.1"):
        cli.expect_series("9.9")
    with pytest.raises(RunnerError, match="--record writes a table: give --expect FILE"):
        cli.expect_table("6.1", may_create=True)
    table = tmp_path / "6.1"  # a file of that name is a file
    table.write_text("cases: {}\n")
    assert cli.expect_series(str(table)) is None
