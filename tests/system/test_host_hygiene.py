"""A full run changes nothing on the host: links, addresses, routes,
namespaces, nsfs mounts, net.* sysctls, processes and temporary files are the
same before and after."""
import pytest

from tests.system.harness import load_results, run_runner
from tests.system.host_state import differences, snapshot

# It compares the whole host before and after: alone, with no other test's
# suite processes or files about (tests/conftest.py).
pytestmark = pytest.mark.solo


def test_full_run_leaves_the_host_as_it_was(recorded_table, tmp_path):
    before = snapshot()
    r = run_runner(tmp_path, "--expect", str(recorded_table))
    assert r.returncode == 0, r.stdout[-3000:]
    assert load_results(tmp_path)["summary"]["total"] >= 120
    after = snapshot()
    assert differences(before, after) == []
