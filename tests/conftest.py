"""Two marks. `heavy`: scheduled first (below). `solo`: a test that compares the whole host before and after a
run (processes, files, namespaces) cannot share the machine with other tests.
./run_tests.sh --selftest runs the other tests side by side (pytest-xdist),
then the solo ones alone."""


def pytest_configure(config):
    config.addinivalue_line("markers", "solo: run alone, after the tests that run side by side")
    config.addinivalue_line("markers", "heavy: a minute or more of one core; scheduled first")


def pytest_collection_modifyitems(config, items):
    """The `heavy` tests (a minute or more of one core each) first: side by
    side, pytest-xdist hands tests out in collection order, so a heavy test
    collected last would run alone at the end while the other core idles."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


def pytest_terminal_summary(terminalreporter):
    """How many pure checks passed before with the same inputs (tests/pure_checks.py)."""
    cached = sum(1 for r in terminalreporter.stats.get("passed", [])
                 if r.when == "call" and ("verdict", "cached") in r.user_properties)
    if cached:
        terminalreporter.write_line(
            f"{cached} pure check(s) passed earlier with the same inputs (.cache/verdicts/; "
            "SOCKREUSE_NO_VERDICT_CACHE=1 runs them)")
