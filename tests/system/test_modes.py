"""Unprivileged mode and concurrent runs."""
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

import pytest

from tests.system.harness import ROOT, SUITE, load_results, runner_cmd


@pytest.fixture
def shared_dir():
    """A directory user nobody can reach (pytest's tmp_path is root-only)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="sr-unpriv-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def reachable_by_others(path):
    parts = pathlib.Path(path).resolve().parents
    return all(os.stat(p).st_mode & 0o001 for p in [pathlib.Path(path), *parts])


def test_unprivileged_run_completes_with_explained_skips(recorded_table, shared_dir):
    if not reachable_by_others(SUITE):
        pytest.skip(f"user nobody cannot reach {SUITE}: clone into a directory others can enter")
    nobody = pwd.getpwnam("nobody")
    out = shared_dir / "out"
    out.mkdir()
    os.chown(out, nobody.pw_uid, nobody.pw_gid)
    table = shared_dir / "table.yaml"
    table.write_text(recorded_table.read_text())
    os.chmod(table, 0o644)
    cmd = ["unshare", "-Urn", *runner_cmd(out, "--expect", str(table))]

    def as_nobody():
        os.setgid(nobody.pw_gid)
        os.setgroups([])
        os.setuid(nobody.pw_uid)

    env = dict(os.environ, SOCKREUSE_MODE="unprivileged", PYTHONDONTWRITEBYTECODE="1",
               HOME=str(out))
    r = subprocess.run(cmd, cwd=ROOT, env=env, preexec_fn=as_nobody, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    doc = load_results(out)
    assert doc["mode"] == "unprivileged"
    s = doc["summary"]
    assert s["fail"] == 0 and s["error"] == 0 and s["pass"] > 300
    skipped = [c for c in doc["cases"] if c["verdict"] == "skip"]
    # Besides the second UID, only what this host lacks or refuses, which skips
    # as root too: the VRF cases without CONFIG_NET_VRF; eBPF needs CAP_BPF in
    # the initial namespace (R10).
    assert any("second UID" in c["detail"] for c in skipped)
    assert all("second UID" in c["detail"] or "CONFIG_NET_VRF" in c["detail"] or
               c["detail"].startswith("loading a BPF program needs CAP_BPF") for c in skipped)
    assert "unprivileged mode" in r.stdout


def test_two_runs_at_once_agree_with_one_alone(recorded_table, tmp_path):
    procs = [subprocess.Popen(runner_cmd(tmp_path / str(i), "--expect", str(recorded_table)),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for i in range(2)]
    outs = [p.communicate(timeout=900)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out[-3000:]
    a, b = (load_results(tmp_path / str(i)) for i in range(2))
    verdicts = [{c["id"]: (c["observed"], c["verdict"]) for c in d["cases"]} for d in (a, b)]
    assert verdicts[0] == verdicts[1]
    assert "pass" in {v for _, v in verdicts[0].values()}
    assert {v for _, v in verdicts[0].values()} <= {"pass", "skip"}
    assert os.access(SUITE, os.X_OK)
