"""The compatibility report from a small fixed set of results.json files,
checked as text and rendered in headless Chromium."""
import gzip
import html
import json
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse import files
from sockreuse.errors import RunnerError
from sockreuse.explore import crosskernel
from sockreuse.model.features import FEATURES
from sockreuse.report import compat, compat_report

CASES = [  # id, rule, outcome per kernel (None = not run), verdict per kernel, feature
    ("tcp4.default.same_addr", "R1", ["EADDRINUSE"] * 3, ["pass"] * 3, None),
    ("udp4.default.same_addr", "R1", ["EADDRINUSE"] * 3, ["pass"] * 3, None),
    ("tcp4.reuseaddr.both.bound_bound", "R2", ["ok"] * 3, ["pass", "fail", "pass"], None),
    ("unix.reuseport.stream", "R5", ["ok", "EOPNOTSUPP", "EOPNOTSUPP"], ["pass"] * 3,
     "reuseport_inet_only"),
    ("tcp4.reuseport.both.listeners", "R5", ["ok"] * 3, ["pass", "pass", "new"], None),
    ("tcp4.migrate.close_listener.migrate_req_1", "R9", ["unsupported", "migrated", None],
     ["pass", "pass", None], "migrate_req"),
]
KERNELS = [("5.10.0-32-amd64", "tcg"), ("6.18.44-host", None), ("6.12.117+deb13-amd64", "tcg")]
# The features each kernel's table declares.
DECLARED = {"5.10.0-32-amd64": [], "6.12.117+deb13-amd64": ["reuseport_inet_only"],
            "6.18.44-host": ["migrate_req", "reuseport_inet_only"]}
# A case whose outcome the model does not explain, on one kernel.
UNEXPLAINED = ("tcp4.reuseaddr.both.bound_bound", "6.18.44-host")


def model_of(cid, release, observed):
    feats = {"unix.reuseport.stream": ["reuseport_inet_only"],
             "tcp4.migrate.close_listener.migrate_req_1": ["migrate_req"]}.get(cid, [])
    wrong = (cid, release) == UNEXPLAINED
    return {"predicted": "bind:EADDRINUSE" if wrong else observed,
            "rules": ["R1.same-address"] if wrong else ["R2.reuseaddr-not-listening"],
            "features": feats}, not wrong


def make_runs(base):
    """The three kernels' run folders under base/runs, and a claims file."""
    runs = base / "runs"
    for k, (release, accel) in enumerate(KERNELS):
        d = runs / release
        d.mkdir(parents=True)
        cases = [{"id": cid, "rule": rule, "params": {}, "observed": outs[k],
                  "expected": outs[k], "verdict": verdicts[k], "duration_ms": 3.0,
                  "detail": "", "feature": feature if k else None,
                  "model": model_of(cid, release, outs[k])[0],
                  "explained": model_of(cid, release, outs[k])[1]}
                 for cid, rule, outs, verdicts, feature in CASES if outs[k] is not None]
        summary = {"total": len(cases), "pass": sum(c["verdict"] == "pass" for c in cases),
                   "fail": sum(c["verdict"] == "fail" for c in cases),
                   "new": sum(c["verdict"] == "new" for c in cases), "error": 0, "skip": 0,
                   "by_rule": {}, "wall_s": 1.0}
        table = {"base": "results/expected/base.yaml", "series": release[:4], "warning": None,
                 "delta": f"results/expected/{release[:4]}.yaml", "complete": False}
        doc = {"kernel": {"release": release, "table": table, "table_warning": None}, "mode": "root", "cases": cases,
               "summary": summary, "model": {"features": DECLARED[release]}}
        (d / "results.json").write_text(json.dumps(doc))
        if accel:
            (d / "vm.json").write_text(json.dumps({"accelerator": accel, "series": release[:4]}))
    claims = base / "claims.yaml"
    claims.write_text('- {seed: "001", claim: "Linux has no SO_REUSEPORT", '
                      'case: unix.reuseport.stream, claimed: EOPNOTSUPP}\n')
    return [str(runs / r) for r, _ in KERNELS], claims


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("compat")
    runs, claims = make_runs(base)
    out = base / "out"
    compat_report.main(["--runs", *runs, "--out", str(out), "--claims", str(claims)])
    return out


def test_markdown_has_the_grid_and_groups_changes_by_cause(report):
    md = (report / "compat.md").read_text()
    for cid, *_ in CASES:
        assert cid in md
    # Columns in version order, whatever order the runs were given in.
    header = next(l for l in md.splitlines() if l.startswith("| case |"))
    assert header.index("5.10") < header.index("6.12") < header.index("6.18")
    findings = md.split("## Findings")[1].split("\n\n|")[0]
    assert findings.count("\n- ") == 3
    # A cause is named by its model feature, with the feature's kernel change.
    inet_only = compat.feature_title("reuseport_inet_only")
    assert inet_only.startswith(
        'reuseport_inet_only — "net: restrict SO_REUSEPORT to inet sockets"')
    assert (f"- {inet_only}: 6.12.117+deb13-amd64, 6.18.44-host differ from 5.10.0-32-amd64 "
            "in 1 row (unix.reuseport.stream).") in findings
    assert (f"- {compat.feature_title('migrate_req')}: 6.18.44-host differs from "
            "5.10.0-32-amd64 in 1 row (tcp4.migrate.close_listener.migrate_req_1).") in findings
    # What the model cannot explain comes first.
    assert findings.strip().splitlines()[0].startswith(
        "- **the model does not explain** `tcp4.reuseaddr.both.bound_bound` on 6.18.44-host")
    # One entry per cause, with the feature's meaning.
    assert md.count(f"### {inet_only}") == 1
    assert md.count(FEATURES["reuseport_inet_only"].meaning) == 1
    assert "| 001 | Linux has no SO_REUSEPORT |" in md and "does NOT hold (observed ok)" in md


def test_causes_are_one_entry_per_feature_unexplained_first():
    kernels = [type("K", (), {"release": r, "features": []})() for r in ("5.10", "6.1", "6.12")]

    def rec(obs, feature=None):
        return {"observed": obs, "verdict": "pass", "feature": feature}

    rows = compat.OrderedDict(R1=[
        compat.Row("a", "R1", [rec("x"), rec("y", "migrate_req"), rec("y", "migrate_req")]),
        compat.Row("b", "R1", [rec("x"), rec("x"), rec("y", "reuseport_inet_only")]),
        # Rows of another suite that name the same feature join its cause.
        compat.Row("c", "R1", [rec("x"), rec("y", "migrate_req"), rec("y", "migrate_req")]),
        compat.Row("d", "R1", [rec("x"), rec("y"), rec("x")]),
        compat.Row("e", "R1", [rec("x"), None, rec("x")])])
    for row in rows["R1"]:
        row.change = compat.change_of(kernels, row.cells)
    causes = compat.causes(rows)
    assert [(c.feature, [r.id for r in c.rows]) for c in causes] == [
        (None, ["d"]), ("migrate_req", ["a", "c"]), ("reuseport_inet_only", ["b"])]
    assert causes[0].title == compat.UNEXPLAINED and not causes[0].explained
    assert causes[1].split == (("5.10",), ("6.1", "6.12"))
    # The title names the feature, its kernel change and, when the model
    # knows it, the mainline version.
    f = FEATURES["migrate_req"]
    since = getattr(f, "since", None)
    assert causes[1].title == f'migrate_req — "{f.change}"' + (f" ({since})" if since else "")
    assert compat.feature_title("no_such") == \
        "no_such — not a feature of sockreuse/model/features.py"


def test_html_cells_carry_their_verdicts(report):
    page = (report / "index.html").read_text()
    assert page.count('<tr class="changed">') == 2
    assert page.count("<details class=\"cause") == 2
    assert "Explorer: where the kernels disagree" not in page  # no explore outcomes
    assert 'class="v fail"' in page and 'class="v new"' in page
    assert "not run" in page
    assert "(host)" in page and page.count("results.json</a>") == 3


def test_html_is_self_contained(report):
    page = (report / "index.html").read_text()
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page) + re.findall(r"url\(([^)]*)\)", page)
    assert refs, "expected links to the results.json files"
    assert all(not re.match(r"^(https?:)?//", r) and r.endswith(("results.json", "explore.json"))
               for r in refs)


def test_the_report_runs_as_the_matrix_runs_it(report, tmp_path):
    """The matrix runs the report as a module of its own (python3 -m)."""
    runs = sorted(str(p) for p in (report.parent / "runs").iterdir())
    r = subprocess.run(["/usr/bin/python3", "-m", "sockreuse.report.compat_report", "--runs", *runs,
                        "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "index.html").is_file() and (tmp_path / "compat.md").is_file()


def test_no_results_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit) as e:
        compat_report.main(["--runs", str(tmp_path), "--out", str(tmp_path / "o")])
    assert "no results.json" in str(e.value)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text("{not json")
    with pytest.raises(SystemExit) as e:
        compat_report.main(["--runs", str(bad), "--out", str(tmp_path / "o")])
    assert str(bad / "results.json") in str(e.value)


CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync",
            # Any name lookup fails at once: a page that tried to fetch from
            # the network would show it in the net log below.
            "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture(scope="module")
def chromium():
    if not shutil.which("chromium"):
        pytest.skip("chromium is not installed: apt-get install chromium")
    return CHROMIUM


def page_requests(chromium, url, tmp_path, name):
    """Network URLs the page asked for, from Chromium's net log. The browser's
    own background fetches (update checks, time) run at IDLE priority; the
    page's resource loads never do."""
    netlog = tmp_path / f"{name}.json"
    r = subprocess.run([*chromium, f"--user-data-dir={tmp_path / name}", f"--log-net-log={netlog}",
                        "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    starts = re.findall(r'\{"priority":"(\w+)","traffic_annotation":\d+,"url":"([^"]+)"\}',
                        netlog.read_text())
    return r.stdout, {u for prio, u in starts if prio != "IDLE" and u.startswith(("http", "ws"))}


def test_request_detection_sees_an_external_resource(chromium, tmp_path):
    control = tmp_path / "control.html"
    control.write_text('<img src="http://sockreuse.invalid/x.png">')
    _, urls = page_requests(chromium, control.as_uri(), tmp_path, "control")
    assert urls == {"http://sockreuse.invalid/x.png"}


def test_page_renders_in_chromium_without_network(report, chromium, tmp_path):
    page = report / "index.html"
    dom, urls = page_requests(chromium, page.as_uri(), tmp_path, "report")
    assert "unix.reuseport.stream" in dom.replace("<wbr>", "") and 'class="changed"' in dom
    assert urls == set()


def test_diff_view_shows_only_rows_that_differ(report, chromium, tmp_path):
    url = (report / "index.html").as_uri() + "#diff=5.10.0-32-amd64,6.18.44-host"
    dom, urls = page_requests(chromium, url, tmp_path, "diff")
    body = dom.split('id="diff-rows">')[1].split("</tbody>")[0]
    assert body.count("<tr>") == 2, body
    assert '<div class="why">R2.reuseaddr-not-listening</div>' in body  # the rule chain
    assert "unix.reuseport.stream" in body and "tcp4.migrate.close_listener" in body
    assert "2 rows differ" in dom and urls == set()


def test_screenshots_of_the_grouped_and_the_diff_view(report, chromium, tmp_path):
    """What a person sees on a 1366-pixel-wide laptop screen: the findings, the
    causes (one opened) and the diff view, without horizontal scrolling."""
    page = report / "index.html"
    for name, url in (("grouped", page.as_uri()),
                      ("diff", page.as_uri() + "#diff=5.10.0-32-amd64,6.12.117+deb13-amd64")):
        shot = tmp_path / f"{name}.png"
        r = subprocess.run([*chromium, f"--user-data-dir={tmp_path / name}",
                            f"--screenshot={shot}", "--window-size=1366,1100",
                            "--hide-scrollbars", url],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and shot.stat().st_size > 10000, r.stderr[-2000:]
        keep = os.environ.get("SOCKREUSE_SHOTS")
        if keep:
            shutil.copy(shot, os.path.join(keep, f"compat-{name}.png"))


# Explorer outcomes per kernel (5.10, 6.18, 6.12 as in KERNELS): the TCP pair
# differs the way the notes below explain, the UDP pair in a way none does.
OUTCOMES = {
    "tcp bound cleared any4 ra none any4 ra none same": ("listen:EADDRINUSE", "bind:EADDRINUSE"),
    "tcp bound cleared any4 ra none any4 ra none other": ("listen:EADDRINUSE", "bind:EADDRINUSE"),
    "udp bound before any4 none none any4 none none same": ("ok", "bind:EADDRINUSE"),
    "udp bound before any4 none none any4 none none other": ("ok", "bind:EADDRINUSE"),
    "tcp bound before any4 none none any4 none none same": ("bind:EADDRINUSE",) * 2,
}
NOTES = """# The stale reuse cache.
- match: {proto: [tcp], state: [bound], when: [cleared]}
  outcomes: {"5.10": "*", "6.12": "bind:EADDRINUSE"}
  feature: fastreuse_first_owner_unset
"""


def write_outcomes(run_dir, old):
    with gzip.open(os.path.join(run_dir, crosskernel.OUTCOMES), "wt") as f:
        f.writelines(f"{k}\t{t[0] if old else t[1]}\n" for k, t in OUTCOMES.items())


@pytest.fixture
def explored(tmp_path, monkeypatch):
    """Runs with explore outcomes and their report, every file write recorded:
    (output folder, run folders, claims, [file names in the order written])."""
    runs, claims = make_runs(tmp_path)
    for d in runs:
        write_outcomes(d, old=os.path.basename(d).startswith("5.10"))
    notes = tmp_path / "notes.yaml"
    notes.write_text(NOTES)
    monkeypatch.setattr(crosskernel, "NOTES", str(notes))
    writes, real_write, real_open = [], files.write_atomic, open

    def write_atomic(path, data):
        writes.append(os.path.basename(path))
        real_write(path, data)

    def no_open_for_writing(path, mode="r", *args, **kw):
        inside = str(path).startswith(str(out))
        assert not (inside and any(c in mode for c in "wax+")), f"{path} opened with mode {mode}"
        return real_open(path, mode, *args, **kw)

    out = tmp_path / "out"
    monkeypatch.setattr(files, "write_atomic", write_atomic)
    monkeypatch.setattr("builtins.open", no_open_for_writing)
    compat_report.main(["--explore", "--runs", *runs, "--out", str(out), "--claims", str(claims)])
    return out, runs, claims, writes


def text(page):
    """What a reader sees of some HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_pages_are_written_once_after_the_explorer_section(explored):
    out, _, _, writes = explored
    # explore.json (the data) first, then each page once, whole.
    assert writes == ["explore.json", "index.html", "compat.md"]
    assert not hasattr(crosskernel, "hook") and not hasattr(crosskernel, "put")


def test_explorer_section_has_one_block_per_feature_unexplained_first(explored):
    out = explored[0]
    doc = json.loads((out / "explore.json").read_text())
    assert doc["kernels"] == ["5.10.0-32-amd64", "6.12.117+deb13-amd64", "6.18.44-host"]
    assert doc["differing"] == 4 and doc["sequences"] == len(OUTCOMES)
    assert [(c["feature"], c["sequences"]) for c in doc["causes"]] == [
        (None, 2), ("fastreuse_first_owner_unset", 2)]
    assert set(doc["sources"]) == set(doc["kernels"])
    page = (out / "index.html").read_text()
    section = page.split("<h2 id=explorer>")[1].split("<h2")[0]
    blocks = section.split("<details")[1:]
    assert len(blocks) == 2
    assert blocks[0].startswith(' class="cause unexplained"')
    assert compat.UNEXPLAINED in text(blocks[0])
    title = compat.feature_title("fastreuse_first_owner_unset")
    assert title in text(blocks[1]) and FEATURES["fastreuse_first_owner_unset"].meaning in \
        text(blocks[1])
    assert "ok on 5.10.0-32-amd64; bind:EADDRINUSE on 6.12.117+deb13-amd64, 6.18.44-host" \
        in blocks[0]
    # The explorer's section comes before the diff view, and it is in the findings.
    assert page.index("<h2 id=explorer>") < page.index("<h2 id=diff-title>")
    assert "Explorer, " + title in text(page.split("<h2>Findings</h2>")[1])
    md = (out / "compat.md").read_text()
    assert md.count("## Explorer: where the kernels disagree") == 1
    unexplained = md.index(f"### {compat.UNEXPLAINED}\n\n{compat.EXPLORER_UNNAMED}")
    assert unexplained < md.index(f"### {title}")


def test_explorer_section_is_kept_only_for_the_same_runs(explored, capsys):
    out, runs, claims, _ = explored
    capsys.readouterr()
    # Without --explore the report takes explore.json made from these runs.
    compat_report.main(["--runs", *runs, "--out", str(out), "--claims", str(claims)])
    assert "<h2 id=explorer>" in (out / "index.html").read_text()
    assert "explorer: 4 of 5 sequences differ" in capsys.readouterr().out
    # A run whose outcomes changed since: explore.json is of other runs.
    write_outcomes(runs[0], old=False)
    compat_report.main(["--runs", *runs, "--out", str(out), "--claims", str(claims)])
    assert "<h2 id=explorer>" not in (out / "index.html").read_text()
    assert "Explorer:" not in (out / "compat.md").read_text()
    assert "made from other runs' outcomes" in capsys.readouterr().err
    # Fewer kernels than it was made from: left out too.
    compat_report.main(["--runs", *runs[:2], "--out", str(out), "--claims", str(claims)])
    assert "<h2 id=explorer>" not in (out / "index.html").read_text()


def test_notes_name_features_of_the_model(tmp_path, capsys):
    for note in crosskernel.load_notes():  # the committed notes.yaml
        assert note["feature"] in FEATURES and "note" not in note
    bad = tmp_path / "notes.yaml"
    bad.write_text("- match: {proto: [tcp]}\n  feature: no_such_feature\n")
    with pytest.raises(RunnerError) as e:
        crosskernel.load_notes(str(bad))
    assert "entry 1 names feature 'no_such_feature'" in str(e.value) and e.value.code == 2
    bad.write_text("- match: {proto: [tcp]}\n  note: prose\n")
    with pytest.raises(RunnerError) as e:
        crosskernel.load_notes(str(bad))
    assert "put prose in a comment" in str(e.value)


def test_one_versions_builds_for_several_architectures_read_as_one():
    from sockreuse.report.compat import kernel_list
    assert kernel_list(["6.1.0-50-arm64", "6.1.0-50-s390x", "6.1.0-50-amd64",
                        "6.12.117+deb13-amd64", "6.18.44-fc-v1272"]) == \
        "6.1.0-50 (amd64, arm64, s390x), 6.12.117+deb13-amd64, 6.18.44-fc-v1272"
