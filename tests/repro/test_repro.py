"""The standalone C reproducers (sockreuse/repro/, ./run_tests.sh --repro):
each one generated, compiled with -Wall -Wextra -Werror, run, and its
outcome line compared with what the suite (or the explorer's executor)
observes for the same case on this kernel, in the same test session. Also:
the file includes nothing beyond libc and the kernel's UAPI headers, holds
only documentation (and loopback, link-local, wildcard) addresses, and a
run leaves the host's links as they were. Needs root and a build."""
import ipaddress
import os
import re
import subprocess
import tempfile

import pytest

from sockreuse.explore import driver, space
from sockreuse.repro import c_prune, expected, reproduce
from sockreuse.run import suite

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"
SUITE = os.path.join(ROOT, "build", "sockreuse_suite")
EXPLORE = os.path.join(ROOT, "build", "sockreuse_explore")

# Cases of every covered kind, several sorts of each where the kind has them.
CASES = [
    "tcp4.default.same_addr",                              # bind_sequence
    "tcp4.wildcard.any_listening_then_specific.reuseaddr",  # ... a listener first
    "tcp4.reuseport.other_euid.second",                    # ... another EUID
    "tcp4.device_reuse.s0_ra_then_none_ra",                # ... a device
    "tcp.bind_wildcard.v6_any.v4_local.plain",             # bind_wildcard
    "tcp4.port_select.one_port.bind0_twice.plain",         # port_sequence
    "tcp4.device_reuse.bind0.lo_after_s0_s1",              # ... devices, listeners
    "tcp6.scope.link_local.two_links",                     # scoped_sequence
    "tcp46.scope.bindv6only_1.socket_made_before",         # ... a sysctl between
    "tcp4.after_bind.reuseaddr_cleared.then_bind",         # option_change
    "tcp4.after_bind.bindtodevice.moved_onto_peer",        # ... stale_ok
    "tcp4.timewait.old_noreuse.new_noreuse",               # timewait_rebind
    "tcp4.timewait.reuseport.other_uid",                   # ... another EUID
    "seed002.restart_after_kill.reuseaddr",                # ... over loopback
    "udp4.deliver.reuseaddr.two",                          # udp_delivery
    "udp4.deliver.reuseport.two",                          # ... 64 flows
    "udp4.deliver.reuseaddr.broadcast.two",                # ... broadcast
    "tcp4.deliver.reuseport.two",                          # tcp_delivery
    "tcp4.ephemeral.connect_then_specific.plain",          # ephemeral, connect()
    "udp4.ephemeral.bind0_then_bind.reuseport",            # ... bind(0)
    "tcp46.explorer.mapped_any_then_mapped_s0",            # explorer_key
]
# Explorer keys: a TIME_WAIT, an ESTABLISHED, a connected UDP socket, an
# option set after bind(), and triples.
KEYS = [
    "tcp timewait before any4 ra none any4 ra none same",
    "tcp established before any6 none none any4 none none same",
    "udp connected before any4 rp none s0_4 rp none same",
    "tcp listen after s0_4 ra s0 any4 ra none same",
    "tcp listen any4 both none bound s0_4 rp none same rp any6 rp none same",
    "udp connected any4 rp none connected any4 rp none same rp any4 rp none same",
]


@pytest.fixture(scope="module")
def built():
    if os.geteuid() != 0:
        pytest.fail("the reproducers make namespaces and veth pairs: run as root "
                    "(./run_tests.sh --selftest)")
    for binary in (SUITE, EXPLORE):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"no {binary}: build with ./run_tests.sh")
    return True


@pytest.fixture(scope="module")
def observed(built, tmp_path_factory):
    """{case id or key: the suite's (or the executor's) observed token}."""
    by_id = {c["id"]: c for c in suite.list_cases(SUITE)}
    names = ":".join(by_id[i]["gtest"] for i in CASES)
    out = {}
    for rec in suite.run_case(SUITE, names):
        assert rec["status"] in ("ok", "skip"), rec
        out[rec["id"]] = rec["observed"] if rec["status"] == "ok" else None
    results = driver.execute(EXPLORE, space.load(), KEYS, 1,
                             str(tmp_path_factory.mktemp("explore")))
    for key, (status, token, _, detail) in results.items():
        assert status == "ok", (key, detail)
        out[key] = token
    return out


def generate(what):
    r = subprocess.run([PY, "-m", "sockreuse.repro.reproduce", what], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout


def build_and_run(text, folder):
    src = os.path.join(folder, "r.c")
    with open(src, "w") as f:
        f.write(text)
    cc = subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", src, "-o",
                         os.path.join(folder, "r")], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    return subprocess.run([os.path.join(folder, "r")], capture_output=True, text=True,
                          timeout=120)


def outcome_of(run):
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines and lines[-1].startswith("outcome: "), run.stdout[-2000:]
    return lines[-1][len("outcome: "):]


@pytest.fixture(scope="module")
def sources(built):
    return {what: generate(what) for what in CASES + KEYS}


@pytest.mark.parametrize("what", CASES + KEYS)
def test_the_reproducer_prints_what_the_suite_observes(what, sources, observed, tmp_path):
    if observed.get(what) is None:
        pytest.skip(f"the suite skipped {what} here")
    run = build_and_run(sources[what], str(tmp_path))
    assert outcome_of(run) == observed[what], run.stdout[-3000:]
    # One line per call before it, each naming who made it.
    calls = [line for line in run.stdout.splitlines() if not line.startswith(("setup:",
                                                                              "outcome:"))]
    assert calls and all(re.match(r"^[\w. ]+: ", line) for line in calls), calls[:5]


def test_the_chosen_cases_can_tell_outcomes_apart(observed):
    """A comparison that passes for every case is worth something only if
    the cases disagree among themselves."""
    assert len({t for t in observed.values() if t is not None}) >= 5


def includes(text):
    return re.findall(r"^\s*#\s*include\s*(\S+)", text, re.M)


LIBC_DIRS = ("", "sys/", "net/", "netinet/", "arpa/", "linux/")


def test_only_libc_and_uapi_headers(sources):
    for what, text in sources.items():
        for inc in includes(text):
            assert inc.startswith("<") and inc.endswith(">"), (what, inc)
            name = inc[1:-1]
            assert os.path.dirname(name) + ("/" if "/" in name else "") in LIBC_DIRS, (what, inc)
            assert not name.startswith(("netlink/", "gtest/")), (what, inc)


ADDRESS_TEXT = re.compile(r'"([0-9a-fA-F:.]*[:.][0-9a-fA-F:.]*)"')
DOCUMENTATION = [ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "233.252.0.0/24", "2001:db8::/32")]


def allowed(ip):
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_unspecified or ip.is_loopback or ip.is_link_local
            or any(ip in net for net in DOCUMENTATION)
            or (ip.version == 6 and ip.is_multicast and str(ip).endswith("db8:1")))


def test_only_documentation_addresses(sources):
    seen = 0
    for what, text in sources.items():
        for literal in ADDRESS_TEXT.findall(text):
            try:
                ip = ipaddress.ip_address(literal)
            except ValueError:
                continue  # a MAC address, a version
            seen += 1
            assert allowed(ip), (what, literal)
    assert seen > 50  # the scan found the addresses


def test_the_address_check_can_fail():
    assert not allowed(ipaddress.ip_address("8.8.8.8"))
    assert not allowed(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert allowed(ipaddress.ip_address("::ffff:198.51.100.1"))


def host_links():
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("what", ["tcp4.timewait.old_noreuse.new_noreuse",
                                  "udp4.deliver.reuseaddr.two"])
def test_a_run_leaves_the_host_links_as_they_were(what, sources, tmp_path):
    before = host_links()
    outcome_of(build_and_run(sources[what], str(tmp_path)))
    assert host_links() == before


def test_the_header_gives_each_series_table(sources):
    text = sources["tcp4.default.same_addr"]
    head = text[:text.index("*/")]
    rows = expected.for_case("tcp4.default.same_addr")
    assert len(rows) >= 3 and all(token for _, token, _ in rows)
    for series, token, _ in rows:
        assert re.search(rf"^ \*   {re.escape(series)} +{re.escape(token)}$", head, re.M), series
    assert "cc r.c -o r && sudo ./r" in head and "Rule R1:" in head


def test_an_explorer_header_gives_each_baseline(sources):
    key = KEYS[0]
    head = sources[key][:sources[key].index("*/")]
    rows = expected.for_key(key, "pairs")
    assert len(rows) >= 3 and all(token for _, token, _ in rows)
    for series, token, _ in rows:
        assert re.search(rf"^ \*   {re.escape(series)} +{re.escape(token)}$", head, re.M)


# --- bad input ------------------------------------------------------------------

def repro(*args):
    return subprocess.run([PY, "-m", "sockreuse.repro.reproduce", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def one_line_exit_2(r):
    assert r.returncode == 2 and r.stdout == "", r.stdout[:300]
    assert r.stderr.startswith("sockreuse: ") and len(r.stderr.strip().splitlines()) == 1
    return r.stderr


def test_an_unknown_id_is_one_line(built):
    err = one_line_exit_2(repro("tcp4.default.same_adr"))
    assert "no case 'tcp4.default.same_adr'" in err and "did you mean tcp4.default.same_addr" in err


def test_a_kind_without_a_writer_is_one_line(built):
    assert len(reproduce.writers.WRITERS) >= 10  # the writers registered themselves
    case = next(c for c in suite.list_cases(SUITE)
                if c["params"].get("kind") not in reproduce.writers.WRITERS)
    err = one_line_exit_2(repro(case["id"]))
    assert err.startswith(f"sockreuse: no reproducer for kind {case['params']['kind']} yet "
                          f"(case {case['id']}); covered: ")
    assert "bind_sequence" in err


@pytest.mark.parametrize("key,message", [
    ("tcp bound before any4", "has 4 values, the space 10"),
    ("tcp bound before any4 none none any4 none none nobody", "'nobody' is no value of euid"),
    ("udp timewait before any4 none none any4 none none same", "breaks a constraint"),
])
def test_a_bad_key_is_one_line(key, message):
    assert message in one_line_exit_2(repro(key))


def test_the_option_goes_alone():
    r = subprocess.run([PY, "-m", "sockreuse.cli", "--mode-of", "--repro", "x", "-k", "y"],
                       cwd=ROOT, capture_output=True, text=True)
    assert "--repro writes one case's standalone C reproducer and takes no other option" \
        in one_line_exit_2(r)
    r = subprocess.run([PY, "-m", "sockreuse.cli", "--mode-of", "--repro", "x"], cwd=ROOT,
                       capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "repro\n")


# --- the pruning of unused helpers -----------------------------------------------

def test_unused_helpers_are_left_out():
    text = "\n".join([
        "/* head */", "", "#define X 1", "",
        "/* used by run */", "static int used(void)", "{", "\treturn deep();", "}", "",
        "static int deep(void)", "{", "\t/* unused() in a comment does not count */",
        "\treturn 1;", "}", "",
        "HELPER void unused(void)", "{", "\tif (1) {", "", "\t}", "}", "",
        "static void run(void)", "{", "\tused();", "}"])
    out = c_prune.prune(text)
    assert "unused(void)" not in out and "used(void)" in out and "deep(void)" in out
    assert out.startswith("/* head */\n\n#define X 1") and out.endswith("\tused();\n}\n")


def test_every_writer_output_compiles_without_unused_warnings(sources, tmp_path):
    """-Wall -Wextra -Werror on every reproducer made above (the pruning
    keeps nothing unused and drops nothing used)."""
    for i, text in enumerate(sources.values()):
        src = tmp_path / f"r{i}.c"
        src.write_text(text)
        cc = subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", "-c", str(src), "-o",
                             str(tmp_path / f"r{i}.o")], capture_output=True, text=True)
        assert cc.returncode == 0, cc.stderr


def test_the_generated_file_is_the_command_output(built):
    """./run_tests.sh --repro writes nothing but the C file to stdout."""
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "--repro",
                            "tcp4.default.same_addr"], capture_output=True, text=True,
                           timeout=600, cwd=d)
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.startswith("/*\n * sockreuse reproducer: case tcp4.default.same_addr.")
        assert "int main(void)" in r.stdout
