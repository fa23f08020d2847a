"""The model in a real run: results.json explains every case, a kernel that
silently ignores an option shows up as outcomes the model cannot explain,
and --record says which features it inferred."""
import json
import os

from tests.system.harness import CLEAN_RUN, BUILD, load_results, run_runner

SHIM = os.path.join(BUILD, "fault_shim.so")


@CLEAN_RUN
def test_a_run_explains_every_case(clean_run):
    r, out = clean_run
    assert r.returncode == 0, r.stdout[-2000:]
    doc = load_results(out)
    assert doc["model"]["unexplained"] == 0 and doc["model"]["features"]
    # A case skipped here (the VRF cases without CONFIG_NET_VRF) has nothing to explain.
    ran = [c for c in doc["cases"] if c["verdict"] != "skip"]
    assert ran and all(c["explained"] for c in ran)
    assert all("CONFIG_NET_VRF" in c["detail"] for c in doc["cases"] if c["verdict"] == "skip")
    assert all(c["model"]["rules"] for c in doc["cases"])


def test_an_ignored_option_is_unexplained(recorded_table, tmp_path):
    """SO_REUSEADDR never reaches the kernel: the model predicts from what the
    case asked for, so exactly the cases that asked for it are unexplained."""
    r = run_runner(tmp_path, "--expect", str(recorded_table),
                   env={"LD_PRELOAD": SHIM, "SOCKREUSE_IGNORE": "reuseaddr"})
    assert r.returncode == 1
    doc = load_results(tmp_path)
    bad = [c for c in doc["cases"] if c["explained"] is False]
    assert doc["model"]["unexplained"] == len(bad) >= 20
    for c in bad:
        assert '"reuseaddr": true' in json.dumps(c["params"]) or "reuseaddr" in c["id"], c["id"]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.index("## Outcomes the model does not explain") < \
        summary.index("## Cases that need a look")
    assert "case(s) the model does not explain" in r.stdout


def test_record_prints_the_features_it_inferred(recorded_table, tmp_path):
    table = tmp_path / "t.yaml"
    table.write_text(recorded_table.read_text())
    r = run_runner(tmp_path / "run", "--expect", str(table), "--record", "-k", "hash2 or unix")
    assert r.returncode == 0, r.stdout[-2000:]
    line = next(l for l in r.stdout.splitlines() if l.startswith("features (inferred"))
    assert "udp_hash2_wildcard_fix" in line and "reuseport_inet_only" in line
    assert "features: [" in table.read_text()
