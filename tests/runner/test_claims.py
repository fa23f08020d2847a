"""results/seed_claims.yaml names real cases, and every seed case backs a claim."""
import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join(ROOT, "build", "sockreuse_suite")


@pytest.fixture(scope="module")
def case_ids():
    if not os.access(SUITE, os.X_OK):
        pytest.skip(f"no suite binary at {SUITE}: run ./run_tests.sh --selftest")
    out = subprocess.run([SUITE, "--list-cases"], capture_output=True, text=True,
                         check=True).stdout
    return {json.loads(line)["id"] for line in out.splitlines() if line.strip()}


def test_every_claim_names_a_case_and_an_outcome(case_ids):
    claims = yaml.safe_load(open(os.path.join(ROOT, "results", "seed_claims.yaml")))
    for cl in claims:
        assert set(cl) == {"seed", "claim", "case", "claimed"}, cl
        assert cl["case"] in case_ids, f"claim names no case: {cl}"
        assert str(cl["claimed"]).strip(), cl


def test_every_seed_case_backs_a_claim(case_ids):
    claims = yaml.safe_load(open(os.path.join(ROOT, "results", "seed_claims.yaml")))
    cited = {cl["case"] for cl in claims}
    assert sorted(i for i in case_ids if i.startswith("seed") and i not in cited) == []
