"""The `solo` mark: a test that compares the whole host before and after a
run (processes, files, namespaces) cannot share the machine with other tests.
./run_tests.sh --selftest runs the other tests side by side (pytest-xdist),
then the solo ones alone."""


def pytest_configure(config):
    config.addinivalue_line("markers", "solo: run alone, after the tests that run side by side")
