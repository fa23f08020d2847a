"""A guest's timeline from the console lines it prints anyway."""
from sockreuse.boot import bundle, phases


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


CONSOLE = [
    (6.0, "sockreuse-guest: up 6.1.0-50-amd64"),
    (9.5, "sockreuse: running 789 cases in 2 suite processes"),
    (20.0, "sockreuse: 400/789 case runs, 10.5 s"),
    (46.5, "sockreuse: 789/789 case runs, 37.0 s"),
    (47.0, "sockreuse: 789/789 case runs, 37.5 s"),
    (49.0, "sockreuse: KTAP"),
    (50.0, bundle.TAG + "begin 6.1.0-50-amd64 0 10 abc"),
    (52.0, bundle.TAG + "end 6.1.0-50-amd64"),
]


def test_each_phase_is_stamped_once_and_spans_are_its_differences():
    clock = Clock()
    t = phases.Phases(clock)
    for at, line in CONSOLE:
        clock.now = 100.0 + at
        t.see(line)
    clock.now = 153.0
    t.done()
    at, spent = t.as_json()
    assert at == {"booted": 6.0, "runner": 9.5, "cases_done": 46.5, "runner_exit": 49.0,
                  "sent": 52.0, "off": 53.0}
    assert spent == {"boot": 6.0, "runner_start": 3.5, "cases": 37.0, "reports": 2.5,
                     "console": 3.0, "power_off": 1.0}


def test_a_guest_that_never_reports_in_has_only_its_end():
    clock = Clock()
    t = phases.Phases(clock)
    t.see("[    0.000000] Linux version 6.1.0")
    clock.now = 280.0
    t.done()
    assert t.as_json() == ({"off": 180.0}, {})
