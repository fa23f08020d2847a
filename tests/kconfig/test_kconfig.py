"""suites/config against the cases (each option a case names is in it, each
of its options is needed by every case or named by one), and the check of a
kernel's configuration against both (sockreuse/kconfig/)."""
import glob
import gzip
import os

import pytest

from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.kconfig import check, fragment, kernel_config
from sockreuse.paths import BUILD, REPO
from sockreuse.run import suite

SUITE = os.path.join(BUILD, "sockreuse_suite")


@pytest.fixture(scope="module")
def cases():
    if not os.access(SUITE, os.X_OK):
        pytest.fail(f"no suite binary at {SUITE}: run ./run_tests.sh --selftest")
    return suite.list_cases(SUITE)


@pytest.fixture(scope="module")
def frag():
    return fragment.load()


def named_by(cases, option):
    return {c["id"] for c in cases if option in c["config"]}


def config_file(path, frag, value="y", without=()):
    """A configuration with every option of the fragment set to `value`,
    but `without`, which is not set."""
    lines = [f"# {n} is not set" if n in without else f"{n}={value}" for n in frag.options]
    path.write_text("\n".join(["CONFIG_NET=y", *lines]) + "\n")
    return str(path)


# --- the fragment and the cases -------------------------------------------------

def test_every_option_a_case_names_is_in_the_fragment_as_named(cases, frag):
    named = {o for c in cases for o in c["config"]}
    assert named - set(frag.options) == set()
    # An option every case needs is named once, in the fragment, never by a case.
    assert named & set(frag.every) == set()


def test_every_option_of_the_fragment_is_needed_by_all_or_by_some(cases, frag):
    assert frag.every, "the fragment has no option every case needs"
    assert [o for o in frag.named if not named_by(cases, o)] == []


def test_config_is_beside_the_params_the_model_reads(cases):
    assert all(isinstance(c["config"], list) for c in cases)
    assert not any("config" in c["params"] for c in cases)


def test_the_vrf_cases_and_only_they_name_the_vrf_options(cases):
    vrf = {c["id"] for c in cases if c["params"]["kind"].startswith("vrf_")}
    assert len(vrf) >= 20
    for option in ("CONFIG_NET_VRF", "CONFIG_NET_L3_MASTER_DEV", "CONFIG_IP_MULTIPLE_TABLES"):
        assert named_by(cases, option) == vrf, option


def test_the_cases_that_load_ebpf_and_only_they_name_the_bpf_syscall(cases):
    def loads_ebpf(p):
        program = p.get("program") or {}
        return program.get("attach") == "ebpf" or p.get("map") == "REUSEPORT_SOCKARRAY"
    ebpf = {c["id"] for c in cases if loads_ebpf(c["params"])}
    assert len(ebpf) >= 40
    assert named_by(cases, "CONFIG_BPF_SYSCALL") == ebpf


def test_a_case_of_an_ipv6_family_names_ipv6(cases):
    v6 = {c["id"] for c in cases if c["id"].split(".")[0] in ("tcp6", "udp6", "tcp46", "udp46")}
    assert len(v6) > 200
    assert v6 - named_by(cases, "CONFIG_IPV6") == set()
    assert "tcp4.default.same_addr" not in named_by(cases, "CONFIG_IPV6")


def test_no_comment_of_the_fragment_names_an_option(frag):
    # merge_config.sh greps each option's name, as a word, in the whole fragment.
    with open(frag.path) as f:
        comments = [line for line in f if line.startswith("#")]
    assert [line for line in comments if "CONFIG_" in line] == []


@pytest.mark.parametrize("text,message", [
    ("# Every case needs these:\nCONFIG_VETH=n\n", "'CONFIG_VETH=n' is not CONFIG_NAME=y or =m"),
    ("CONFIG_VETH=m\n", "CONFIG_VETH comes before '# Every case needs these:'"),
    ("# Every case needs these:\nCONFIG_VETH=m\nCONFIG_VETH=y\n", "CONFIG_VETH is listed twice"),
    ("# Every case needs these:\n# CONFIG_VETH is not set\n", "turns an option off"),
])
def test_a_malformed_fragment_says_where(tmp_path, text, message):
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(fragment.FragmentError, match=message) as e:
        fragment.load(str(path))
    assert str(e.value).startswith(f"{path}:")


# --- reading a kernel's configuration -------------------------------------------

def test_reads_set_options_only_from_plain_gzip_and_a_tree(tmp_path):
    text = "CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=\"x\"\n"
    (tmp_path / "plain").write_text(text)
    (tmp_path / "config.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / ".config").write_text(text)
    for name in ("plain", "config.gz", "tree"):
        options = kernel_config.read(str(tmp_path / name))
        assert options == {"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_D": "x"}
        assert [kernel_config.present(options, n) for n in "ABCD"] == [False] * 4
        assert [kernel_config.present(options, f"CONFIG_{n}") for n in "ABCD"] == \
            [True, True, False, False]


def test_what_is_no_configuration_is_one_line(tmp_path):
    (tmp_path / "notes").write_text("hello\n")
    with pytest.raises(RunnerError, match="is not a kernel configuration") as e:
        check.of_file(str(tmp_path / "notes"), cases=[])
    assert e.value.code == EXIT_USAGE
    with pytest.raises(RunnerError, match="cannot read the kernel configuration .*missing"):
        check.of_file(str(tmp_path / "missing"), cases=[])


# --- the check ------------------------------------------------------------------

def test_a_kernel_without_veth_is_refused_naming_it(tmp_path, cases, frag):
    report = check.of_file(config_file(tmp_path / "c", frag, without=["CONFIG_VETH"]), cases)
    assert report.fatal == ["CONFIG_VETH"]
    assert report.refusal() == (
        "sockreuse: c lacks CONFIG_VETH (=y or =m), which every case needs: build the kernel "
        "with suites/config merged (README \"Your own kernel\")")
    assert check.main([str(tmp_path / "c")]) == 4


def test_a_kernel_without_vrf_names_the_vrf_cases(tmp_path, cases, frag, capsys):
    report = check.of_file(config_file(tmp_path / "c", frag, without=["CONFIG_NET_VRF"]), cases,
                           subject="this kernel")
    vrf = sorted(c["id"] for c in cases if c["params"]["kind"].startswith("vrf_"))
    assert report.refusal() is None and report.fatal == []
    assert report.missing == ["CONFIG_NET_VRF"]
    assert {o: sorted(ids) for o, ids in report.skipped.items()} == {"CONFIG_NET_VRF": vrf}
    [line] = report.lines()
    assert line.startswith(f"sockreuse: this kernel lacks CONFIG_NET_VRF (=y or =m): {len(vrf)} "
                           "cases skip (tcp4.vrf.*, ")
    assert check.main([str(tmp_path / "c")]) == 0
    assert "lacks CONFIG_NET_VRF" in capsys.readouterr().out


def test_modules_count_as_present(tmp_path, cases, frag):
    report = check.of_file(config_file(tmp_path / "c", frag, value="m"), cases)
    assert (report.missing, report.refusal()) == ([], None)
    assert report.lines() == ["sockreuse: c has every option of suites/config"]


def test_options_with_the_same_cases_share_a_line(tmp_path, cases, frag):
    lacking = ["CONFIG_NET_VRF", "CONFIG_NET_L3_MASTER_DEV", "CONFIG_BPF_SYSCALL"]
    report = check.of_file(config_file(tmp_path / "c", frag, without=lacking), cases)
    lines = report.lines()
    assert len(lines) == 2
    assert "lacks CONFIG_NET_VRF (=y or =m) and CONFIG_NET_L3_MASTER_DEV (=y): " in lines[0]
    assert "lacks CONFIG_BPF_SYSCALL (=y): " in lines[1]


# pytest.param with its own id, because an id function is also called on the
# placeholder pytest makes for an empty list (a fresh clone has no kernels).
DEBIAN_CONFIGS = [pytest.param(path, id=os.path.basename(path)) for path in sorted(
    glob.glob(os.path.join(REPO, ".cache", "kernels", "*", "root", "boot", "config-*")))]


@pytest.mark.skipif(not DEBIAN_CONFIGS, reason="no Debian kernel in .cache/kernels (a --kernel "
                                               "or --matrix run downloads them)")
@pytest.mark.parametrize("path", DEBIAN_CONFIGS)
def test_debian_kernels_lack_no_option_every_case_needs(path, cases):
    report = check.of_file(path, cases)
    assert report.fatal == [] and report.refusal() is None, report.lines()


def test_the_running_kernel_is_checked_where_its_configuration_is(cases):
    found = kernel_config.find(os.uname().release)
    report = check.of_running_kernel(cases)
    if found is None:
        assert report is None
        assert os.uname().release in check.not_found_line()
    else:
        assert report.source == found and report.subject == "this kernel"


def test_a_configuration_of_another_release_is_never_taken():
    assert kernel_config.find("0.0.0-no-such-release") is None


def test_patterns_name_exactly_the_cases():
    every = ["a.x.1", "a.x.2", "a.y.1", "a.y.2", "b.z", "b.w.1", "b.w.2", "c"]
    assert check.patterns(["a.x.1", "a.x.2", "b.z", "b.w.1", "b.w.2"], every) == \
        ["b.*", "a.x.*"]
    assert check.patterns(["a.x.1", "c"], every) == ["a.x.1", "c"]
    assert check.patterns(every, every) == ["a.*", "b.*", "c"]
