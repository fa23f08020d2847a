"""Where a guest's time goes, read from its console as the lines arrive: the
host's clock when the guest's init reported in, when the runner started its
cases, when the last case run ended, when the runner exited, and when the
last report line had crossed the console. vm.json keeps them as `phases_s`
(seconds from QEMU's start) and `spent_s` (the differences), so any guest run
is its own breakdown (docs/measurements.md "Where a guest's time goes").

The lines are the ones the guest prints anyway; the resolution is that of
qemu.run's polling of the console file (0.2 s)."""
import re
import time

from sockreuse.boot import bundle

# name, what the line starts with (after any kernel timestamp), in order.
MARKERS = (
    ("booted", "sockreuse-guest: up"),
    ("runner", "sockreuse: running "),
    ("runner_exit", "sockreuse: KTAP"),
    ("sent", bundle.TAG + "end "),
)
ALL_RUNS = re.compile(r"sockreuse: (\d+)/(\d+) case runs, ")
# The differences vm.json keeps, each from one phase to the next seen.
SPANS = (("boot", None, "booted"), ("runner_start", "booted", "runner"),
         ("cases", "runner", "cases_done"), ("reports", "cases_done", "runner_exit"),
         ("console", "runner_exit", "sent"), ("power_off", "sent", "off"))


class Phases:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.t0 = clock()
        self.at = {}

    def see(self, line):
        for name, start in MARKERS:
            if name not in self.at and line.startswith(start):
                self.at[name] = self.clock() - self.t0
        m = ALL_RUNS.match(line)
        if m and m.group(1) == m.group(2) and "cases_done" not in self.at:
            self.at["cases_done"] = self.clock() - self.t0

    def done(self):
        self.at["off"] = self.clock() - self.t0

    def as_json(self):
        """(phases_s, spent_s): the first only of what was seen, the second
        only of spans whose both ends were."""
        at = {k: round(v, 2) for k, v in self.at.items()}
        spent = {}
        for name, a, b in SPANS:
            if b in at and (a is None or a in at):
                spent[name] = round(at[b] - (at[a] if a else 0.0), 2)
        return at, spent
