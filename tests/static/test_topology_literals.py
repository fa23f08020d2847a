"""The topology's addresses are written once, in fixtures/topology.yaml: no
literal of one in the C++ fixtures and suites, the model or the explorer's
space (outside comments and docstrings), and the header the build generated
says what the YAML says."""
import ast
import glob
import os
import re
import subprocess

import pytest
import yaml

from sockreuse import topology_facts, topology_header

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = os.path.join(ROOT, "build", "generated", "topology_facts.h")

# Any address of the documentation ranges the topology is made of (not only
# the ones the YAML lists), also v4-mapped or with a port; and its loopback.
ADDRESS = re.compile(r"(?<![\w.])(?:(?:198\.51\.100|203\.0\.113|233\.252\.0)\.\d+|127\.0\.0\.1)"
                     r"(?![\w.])|(?<![\w.:])(?:(?:2001:db8|fe80|ff05):[0-9a-f:]*|::1)(?![\w.:])", re.I)
# Device names, as a whole C++ string literal.
DEVICE = re.compile(r'"(?:s0|s1|c0|c1|lo|vrf0)"')

# Literals that are deliberately no use of the topology: file -> {literal: why}.
ALLOWED = {
    "suites/udp_hash2.cc": {
        "127.0.0.1": "127.0.0.1-N, the loopback range of a namespace of its own (no topology)"},
    "sockreuse/model/features.py": {
        "127.0.0.1": "a known kernel gap, described in words (::ffff:0.0.0.0 vs ::ffff:127.0.0.1)"},
    "sockreuse/model/rules.py": {
        "::1": "a rule's text: host-scope IPv6 addresses such as ::1, in words"},
}


def cpp_code(text):
    """text without its comments (string and character literals kept)."""
    out, i = [], 0
    token = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
    for m in token.finditer(text):
        out.append(text[i:m.start()])
        out.append(" " if m.group().startswith("/") else m.group())
        i = m.end()
    return "".join(out + [text[i:]])


def python_strings(text, path):
    """The string constants of a module, its docstrings left out."""
    tree = ast.parse(text, path)
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return "\n".join(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                     and isinstance(n.value, str) and id(n) not in docs)


def yaml_code(text):
    return re.sub(r"(?m)(^|\s)#.*$", r"\1", text)


def checked_files():
    """(path relative to the repository, what to scan, whether device names count)."""
    files = [(p, cpp_code, True) for p in
             glob.glob(os.path.join(ROOT, "fixtures", "*.cc")) +
             glob.glob(os.path.join(ROOT, "fixtures", "*.h")) +
             glob.glob(os.path.join(ROOT, "suites", "*.cc"))]
    files += [(p, None, False) for p in glob.glob(os.path.join(ROOT, "sockreuse", "model", "*.py"))]
    files += [(os.path.join(ROOT, "explore", "space.yaml"), yaml_code, False)]
    for path, code, devices in files:
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        yield rel, code(text) if code else python_strings(text, rel), devices


def literals(code, devices):
    found = set(m.group() for m in ADDRESS.finditer(code))
    return found | set(DEVICE.findall(code)) if devices else found


def test_no_topology_literal_outside_the_topology_file():
    found = {}
    for rel, code, devices in checked_files():
        extra = literals(code, devices) - set(ALLOWED.get(rel, {}))
        if extra:
            found[rel] = sorted(extra)
    assert found == {}, ("write these by their name in fixtures/topology.yaml (C++: topo:: "
                         "constants, fixtures/address.h; Python: sockreuse.topology_facts; "
                         "explore/space.yaml: s0_4 ...):\n" + repr(found))


def test_every_allowed_literal_is_still_there():
    """An exception nobody needs any more is removed, not kept for show."""
    scanned = {rel: literals(code, devices) for rel, code, devices in checked_files()}
    stale = [(rel, lit) for rel, lits in ALLOWED.items() for lit in lits
             if lit not in scanned.get(rel, set())]
    assert stale == []


def test_the_scan_sees_code_and_not_comments():
    cpp = cpp_code('// 198.51.100.1 in a comment\nconst char* a = "2001:db8:1::1"; /* fe80::1 */\n'
                   'f("s0", \'"\');  // "s1"\n')
    assert literals(cpp, True) == {"2001:db8:1::1", '"s0"'}
    py = python_strings('"""198.51.100.1 in a docstring"""\nX = f"{a} 203.0.113.2 listen"\n', "x")
    assert literals(py, False) == {"203.0.113.2"}
    assert literals("ip: 198.51.100.12, lo: ::1, not: ::10, 127.0.0.6 or 1.127.0.0.1; "
                    "[::ffff:203.0.113.9]:88", False) == {"198.51.100.12", "::1", "203.0.113.9"}
    assert literals('g = "ff05::db8:7"; not = "ff02::1"', False) == {"ff05::db8:7"}


def raw_topology():
    with open(topology_facts.TOPOLOGY_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def header_fields(text):
    """{constant: [field values as text]} of the header's Interface and
    plain constants."""
    out = {}
    for name, body in re.findall(r"constexpr Interface (k\w+)\{(.*)\};", text):
        out[name] = [f.strip().strip('"') for f in body.split(",")]
    for name, value in re.findall(r"constexpr (?:const char\*|uint32_t) (k\w+) = (.*);", text):
        out[name] = value.strip('"')
    return out


def check_header_matches_the_yaml(text):
    doc = raw_topology()
    fields = header_fields(text)
    for name, d in doc["interfaces"].items():
        f = fields[f"k{name.upper()}"]
        assert f[:5] == [name, d["namespace"], d["peer"], d["mac"], str(d["ifindex"])]
        assert (f[6], f[10]) == (d["ipv4"], d["ipv6"]) and f[5] == d["ipv4"].split("/")[0]
        assert f[9] == d["ipv6"].split("/")[0] and f[7] == "::ffff:" + f[5]
    lo = fields["kLo"]
    assert (lo[0], lo[6], lo[10]) == (doc["loopback"]["name"], doc["loopback"]["ipv4"],
                                      doc["loopback"]["ipv6"])
    assert fields["kServerLlCidr"] == doc["link_local"]["server"]
    assert fields["kClientLlCidr"] == doc["link_local"]["client"]
    assert (fields["kVrfName"], fields["kVrfTable"], fields["kVrfMember"]) == \
        (doc["vrf"]["name"], str(doc["vrf"]["table"]), doc["vrf"]["member"])
    assert fields["kMcast4"] == doc["addresses"]["mcast_4"]
    assert fields["kMcast6"] == doc["addresses"]["mcast_6"]


def test_the_generator_writes_what_the_yaml_says(tmp_path):
    out = tmp_path / "topology_facts.h"
    subprocess.run(["/usr/bin/python3", "-B", "-m", "sockreuse.topology_header", str(out)],
                   cwd=ROOT, check=True)
    check_header_matches_the_yaml(out.read_text())


@pytest.mark.skipif(not os.path.exists(HEADER), reason="no build yet (./run_tests.sh builds)")
def test_the_built_header_is_the_yaml_of_now():
    with open(HEADER, encoding="utf-8") as f:
        built = f.read()
    check_header_matches_the_yaml(built)
    assert built == topology_header.header(topology_facts.load(), "fixtures/topology.yaml"), \
        "build/ was made from another fixtures/topology.yaml: cmake --build build"


def test_a_broken_topology_is_refused():
    doc = raw_topology()
    doc["interfaces"]["c0"]["peer"] = "s1"
    with pytest.raises(topology_facts.TopologyError, match="no veth pair"):
        topology_facts.parse(doc)
    doc = raw_topology()
    doc["interfaces"]["s0"]["ipv4"] = "2001:db8:9::1/64"
    with pytest.raises(topology_facts.TopologyError, match="no IPv4 address"):
        topology_facts.parse(doc)


def test_names_cover_what_the_cases_use():
    named = topology_facts.named()
    assert named["s0_4"] == raw_topology()["interfaces"]["s0"]["ipv4"].split("/")[0]
    assert named["c1_4_mapped"] == "::ffff:" + named["c1_4"]
    assert named["s0_4_bcast"].endswith(".255") and named["lo_6"] == "::1"
    assert {"server_ll", "client_ll", "mcast_4"} <= set(named)
