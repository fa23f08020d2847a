"""Guests in a pipeline (sockreuse/boot/pipeline.py): the next starts when
the one before releases its slot, never before, and results keep the order."""
import threading
import time

import pytest

from sockreuse.boot import pipeline


def test_the_next_item_starts_when_the_one_before_releases_its_slot():
    events, lock = [], threading.Lock()
    tails = {i: threading.Event() for i in range(3)}

    def start(i, release):
        with lock:
            events.append(("start", i))
        time.sleep(0.05)  # its cases
        with lock:
            events.append(("cases done", i))
        release()
        release()  # twice is once
        assert tails[i].wait(5)  # its tail, still running when the next starts
        return i * 10

    def finish_tails():
        for i in range(3):
            while ("start", min(i + 1, 2)) not in events:
                time.sleep(0.01)
            tails[i].set()

    threading.Thread(target=finish_tails, daemon=True).start()
    assert pipeline.run([0, 1, 2], start, slots=1) == [0, 10, 20]
    for i in (1, 2):
        assert events.index(("cases done", i - 1)) < events.index(("start", i))


def test_a_slot_is_freed_when_start_returns_without_releasing():
    assert pipeline.run(["a", "b"], lambda item, release: item.upper(), slots=1) == ["A", "B"]


def test_an_exception_is_raised_once_every_item_ended():
    ended = []

    def start(item, release):
        if item == 1:
            raise RuntimeError("guest 1 broke")
        ended.append(item)
        return item

    with pytest.raises(RuntimeError, match="guest 1 broke"):
        pipeline.run([0, 1, 2], start, slots=2)
    assert sorted(ended) == [0, 2]
