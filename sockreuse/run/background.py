"""The selected cases running in the background while pytest reports the ones
already finished: each item waits only for its own case. pytest's own work
per item (hooks, capture, the report) took about 2 ms a case on the host
and several times that under TCG, after the whole batch had ended; now it
overlaps the batch (docs/measurements.md)."""
import threading

from sockreuse.run import suite


class Batch:
    def __init__(self, binary, chunks, repeat):
        self.repeat = repeat
        self.total = sum(map(len, chunks)) * repeat
        self._by_id = {}
        self._runs = 0  # results arrived: counted, not summed, as every item asks
        self._done = False
        self.failure = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(binary, chunks), daemon=True)
        self._thread.start()

    def _run(self, binary, chunks):
        try:
            _, failure = suite.run_batch(binary, chunks, self.repeat, on_result=self._arrived)
        except Exception as e:  # reported by every item still waiting, not lost in a thread
            failure = f"the batch broke: {e}"
        with self._cond:
            self.failure, self._done = failure, True
            self._cond.notify_all()

    def _arrived(self, rec):
        with self._cond:
            self._by_id.setdefault(rec["id"], []).append(rec)
            self._runs += 1
            self._cond.notify_all()

    def done_runs(self):
        with self._cond:
            return self._runs

    def results(self, case_id, tick=None, every_s=5):
        """The case's results once all its runs are in (or the batch ended
        without them: then what there is, maybe nothing). `tick()` is
        called every `every_s` while waiting, for progress lines, outside
        the lock."""
        while True:
            with self._cond:
                runs = self._by_id.get(case_id, ())
                if len(runs) >= self.repeat or self._done:
                    return list(runs)
                woken = self._cond.wait(timeout=every_s)
            if not woken and tick:
                tick()
