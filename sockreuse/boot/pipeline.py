"""Local guests in a pipeline: at most `slots` guests run their cases at a
time, and a guest's slot passes to the next guest as soon as its last case
run has ended. A guest's tail (its runner writing the reports, the bundle
crossing the console, power off: 7-9 s under TCG, on one vCPU) then overlaps
the next guest's boot and runner start (11-13 s, also mostly one vCPU),
where one at a time left a core idle for both (docs/measurements.md
"Guests and the matrix")."""
import threading


class Once:
    """Calls `fn` the first time it is called, never again."""

    def __init__(self, fn):
        self._fn, self._lock, self._done = fn, threading.Lock(), False

    def __call__(self):
        with self._lock:
            if self._done:
                return
            self._done = True
        self._fn()


def run(items, start, slots):
    """start(item, release) for each item, in order, each in a thread of its
    own once a slot is free; `release()` frees the item's slot early (it is
    freed at the latest when start returns). Returns start's results in the
    items' order; an exception raised by one is raised here once all ended."""
    free = threading.Semaphore(max(1, slots))
    results, errors = [None] * len(items), [None] * len(items)
    threads = []

    def work(i, item, release):
        try:
            results[i] = start(item, release)
        except BaseException as e:  # raised in the caller's thread below
            errors[i] = e
        finally:
            release()

    for i, item in enumerate(items):
        free.acquire()
        t = threading.Thread(target=work, args=(i, item, Once(free.release)), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results
