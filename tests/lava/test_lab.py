"""--lava URL (sockreuse/lava/lab.py through lavacli) against a stand-in server
(fakelava.py) that replays jobs lava-run really ran on this machine: the
committed fixtures, and the last `--lava local` run's own job when there is
one (.ci/run runs these tests again after it). The job submitted must be the
job lava-run ran; the results must land as a local run's do; each failure
mode must end in one line; a stopped run must cancel its job."""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

from sockreuse import arches
from sockreuse.boot import bundle
from sockreuse.boot import qemu
from tests.lava import fakelava
from sockreuse.boot import guest
from sockreuse.lava import lab
from sockreuse.boot import landing
from sockreuse.lava import lavaflow
from sockreuse.lava import lavalog

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/lavacli"),
                                reason="lavacli is not installed (apt-get install lavacli)")
FIXTURES = os.path.join(HERE, "fixtures")
TOKEN = "s3cret-token"


def recorded(kind="default"):
    """(job, log entries) of jobs lava-run ran: committed (default: an
    x86_64, an arm64 and an s390x job), and the latest local run's (whole
    suite) when this checkout has one."""
    pairs = [(j, j.replace(".job.yaml", ".log.yaml"))
             for j in sorted(glob.glob(os.path.join(FIXTURES, f"{kind}-6.1*.job.yaml")))]
    if kind == "default":
        for job in glob.glob(os.path.join(ROOT, ".cache", "lava", "jobs", "*", "job.yaml")):
            log = os.path.join(os.path.dirname(job), "log.yaml")
            if os.path.isfile(log) and '"case": "job"' in open(log).read():
                pairs.append((job, log))
    return [(yaml.safe_load(open(j)), lavalog.entries(open(l).read())) for j, l in pairs]


def set_up(tmp_path, monkeypatch):
    """The lab flow with its files in tmp_path: runs, published files, and a
    stand-in ramdisk (the lab only needs to download it)."""
    monkeypatch.setattr(landing, "RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(lab, "FILES", str(tmp_path / "files"))
    monkeypatch.setattr(lab, "HOMES", str(tmp_path / "lavacli"))
    monkeypatch.setattr(lab, "POLL_S", 0.01)
    ramdisk = tmp_path / "initrd.gz"
    ramdisk.write_bytes(b"ramdisk")
    monkeypatch.setattr(guest, "initrd", lambda kernel, extra=b"", name="": str(ramdisk))
    (tmp_path / "vmlinuz").write_bytes(b"kernel")
    monkeypatch.setenv("LAVA_USER", "ci")
    monkeypatch.setenv("LAVA_TOKEN", TOKEN)
    monkeypatch.setenv("SOCKREUSE_LAVA_FILES_URL", f"file://{tmp_path}/files")


@pytest.fixture
def lab_env(tmp_path, monkeypatch):
    set_up(tmp_path, monkeypatch)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield tmp_path
    for s, h in handlers.items():
        signal.signal(s, h)


def qemu_version(log):
    """The version of the QEMU lava-run started, as its log says."""
    for entry in log:
        m = re.match(r"qemu(-system-\w+)?, installed at version: (\d+:)?(\d+)\.(\d+)",
                     str(entry["msg"]))
        if m:
            return int(m.group(3)), int(m.group(4))
    return (0,)


def kernel_of(job, tmp_path):
    arch = next(a.name for a in arches.ARCHES.values() if a.debian == job["context"]["arch"])
    return {"series": "6.1", "release": job["metadata"]["sockreuse.kernel"], "arch": arch,
            "vmlinuz": str(tmp_path / "vmlinuz")}


def params(job):
    return next(a["test"]["definitions"][0]["parameters"] for a in job["actions"] if "test" in a)


def run(url, job, tmp_path):
    flow = lavaflow.mode(url)
    flow.check()
    p = params(job)
    extra = job["context"]["extra_options"]
    return flow.run(kernel_of(job, tmp_path), "tcg", p["CASES"] or None, p["REPEAT"],
                    p.get("WAIT_SCALE", 1), int(extra[extra.index("-smp") + 1]))


def without_urls(job):
    """The job less what changes between runs and checkouts: the files' URLs,
    and the inline test definition, which is lava/sockreuse.yaml as the
    checkout has it (checked on its own: definition_is_current)."""
    job = json.loads(json.dumps(job))
    for image in job["actions"][0]["deploy"]["images"].values():
        image["url"] = "-"
    for d in job["actions"][2]["test"]["definitions"]:
        d["repository"] = "-"
    return job


def definition_is_current(job):
    own = yaml.safe_load(open(os.path.join(ROOT, "lava", "sockreuse.yaml")))
    del own["params"]
    return job["actions"][2]["test"]["definitions"][0]["repository"] == own


@pytest.mark.parametrize("job,log", recorded(), ids=lambda v: "" if isinstance(v, list) else
                         v["job_name"])
def test_a_lab_job_lands_like_a_local_run(lab_env, capsys, monkeypatch, job, log):
    runner_exit = bundle.find(lavalog.console(log))[1]  # a case may have failed on the device
    # The job is made again with the QEMU that ran it (s390x's -cpu depends on its version).
    monkeypatch.setattr(qemu, "version", lambda binary: qemu_version(log))
    with fakelava.FakeLava(log, token=TOKEN) as server:
        assert run(server.url, job, lab_env) == runner_exit
    assert [without_urls(j) for j in server.submitted] == [without_urls(job)]
    assert definition_is_current(server.submitted[0])
    out = os.path.join(lab_env, "runs", job["metadata"]["sockreuse.kernel"])
    doc = json.load(open(os.path.join(out, "results.json")))
    cases = [r for r in lavalog.results_in_log(log) if r["definition"] != "lava"]
    assert len(doc["cases"]) == len(cases) - 1  # and sockreuse-run, the runner's own verdict
    for name in ("junit.xml", "results.ktap", "summary.md", "console.log"):
        assert os.path.isfile(os.path.join(out, name))
    vm = json.load(open(os.path.join(out, "vm.json")))
    assert vm["lava"]["job"] == "4201" and vm["lava"]["url"].endswith("/scheduler/job/4201")
    assert vm["error"] is None and vm["exit"] == runner_exit
    said = capsys.readouterr()
    assert "LAVA job 4201 submitted" in said.out and "LAVA job 4201: running" in said.out
    for text in (said.out, said.err, open(os.path.join(out, "vm.json")).read()):
        assert TOKEN not in text
    assert os.listdir(lab_env / "lavacli") == []  # lavacli's configuration directories


def test_a_case_lava_recorded_otherwise_fails_the_run(lab_env, capsys):
    job, log = recorded()[0]
    flipped = json.loads(json.dumps(log))
    first = next(e for e in flipped if e["lvl"] == "results" and e["msg"]["definition"] != "lava")
    first["msg"]["result"] = "fail"
    with fakelava.FakeLava(flipped, token=TOKEN) as server:
        assert run(server.url, job, lab_env) == 1
    assert f"{first['msg']['case']}: LAVA has fail, the device pass" in capsys.readouterr().out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_unreachable_is_one_line(lab_env, capsys):
    job, _ = recorded()[0]
    with pytest.raises(SystemExit) as e:
        run(f"http://127.0.0.1:{free_port()}/RPC2", job, lab_env)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1
    assert err[0].startswith("sockreuse: LAVA server http://127.0.0.1:") and "unreachable" in err[0]


def test_token_refused_is_one_line_without_the_token(lab_env, capsys, monkeypatch):
    job, log = recorded()[0]
    monkeypatch.setenv("LAVA_TOKEN", "wrong-token")
    with fakelava.FakeLava(log, token=TOKEN) as server, pytest.raises(SystemExit) as e:
        run(server.url, job, lab_env)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and "wrong-token" not in err[0]
    assert "refused the token of user 'ci'" in err[0]
    assert not server.submitted


def test_no_token_in_the_environment_is_one_line(lab_env, capsys, monkeypatch):
    monkeypatch.delenv("LAVA_TOKEN")
    with pytest.raises(SystemExit) as e:
        lavaflow.mode("https://lava.example.org/RPC2")
    assert e.value.code == 2 and "LAVA_USER and LAVA_TOKEN" in capsys.readouterr().err


def test_files_the_lab_could_not_download_stop_before_a_job_goes_out(lab_env, capsys,
                                                                     monkeypatch):
    job, log = recorded()[0]
    monkeypatch.setenv("SOCKREUSE_LAVA_FILES_URL", f"file://{lab_env}/elsewhere")
    with fakelava.FakeLava(log, token=TOKEN) as server, pytest.raises(SystemExit) as e:
        run(server.url, job, lab_env)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and not server.submitted
    assert err[0].startswith(f"sockreuse: the lab could not download file://{lab_env}/elsewhere/")
    assert "publish" in err[0] and "SOCKREUSE_LAVA_FILES_URL" in err[0]


def test_a_job_that_failed_to_boot_says_why_with_the_last_lines(lab_env, capsys):
    job, log = recorded("noshell")[0]
    with fakelava.FakeLava(log, token=TOKEN) as server:
        assert run(server.url, job, lab_env) == 1
    line = next(l for l in capsys.readouterr().out.splitlines() if "ERROR" in l)
    assert "LAVA job 4201 ended incomplete" in line and "timed out" in line
    assert "the device's last lines: " in line


def test_a_job_that_never_finishes_is_cancelled(lab_env, capsys, monkeypatch):
    job, log = recorded()[0]
    monkeypatch.setattr(lab, "TIMEOUT_S", 0.3)
    with fakelava.FakeLava(log, token=TOKEN, finishes=False) as server:
        assert run(server.url, job, lab_env) == 1
    assert server.cancelled == ["4201"]
    assert "LAVA job 4201 did not finish within 0.3 s (SOCKREUSE_LAVA_TIMEOUT): cancelled it" \
        in capsys.readouterr().out


DRIVER = """
import pathlib, sys
import pytest
from tests.lava import test_lab
where = pathlib.Path(sys.argv[1])
test_lab.set_up(where, pytest.MonkeyPatch())
test_lab.run(sys.argv[2], test_lab.recorded()[0][0], where)
"""


def test_a_stopped_run_cancels_the_job_it_submitted(tmp_path):
    job, log = recorded()[0]
    with fakelava.FakeLava(log, token=TOKEN, finishes=False) as server:
        p = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path), server.url], cwd=ROOT,
                             env=dict(os.environ), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        while not server.served and time.monotonic() - t0 < 60:
            time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    assert server.cancelled == ["4201"], out + err
    assert "sockreuse: stopped: cancelled LAVA job 4201" in err
    assert p.returncode == 128 + signal.SIGTERM
    assert os.listdir(tmp_path / "lavacli") == []


def test_a_killed_runs_configuration_directories_go_with_the_next_run(lab_env):
    gone = lab_env / "lavacli" / "lavacli-99999999-abc"  # above any pid_max
    live = lab_env / "lavacli" / f"lavacli-{os.getppid()}-abc"
    for d in (gone, live):
        d.mkdir(parents=True)
        (d / "lavacli.yaml").symlink_to("/dev/fd/9")
    lab.Lavacli("http://lava.example", "ci", TOKEN)
    assert not gone.exists() and live.exists()
    home = lab.make_home()
    assert os.path.basename(home).startswith(f"lavacli-{os.getpid()}-")


@pytest.mark.parametrize("message,said", [
    ("Unable to connect: HTTPConnectionPool(host='127.0.0.1', port=33401): Max retries "
     "exceeded (NewConnectionError('<object at 0x7f750a00ad90>'))", "is unreachable"),
    ("Unable to connect: 401 Client Error: Unauthorized for url: http://ci:***@127.0.0.1:8000/RPC2",
     "refused the token"),
])
def test_a_port_with_401_in_it_is_no_refusal(message, said):
    with pytest.raises(lab.LabError) as e:
        lab.Lavacli("http://127.0.0.1:33401/RPC2", "ci", "t0k3n").explain(message)
    assert said in str(e.value)
