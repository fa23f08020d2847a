"""What a long run tells the person watching: progress lines with the time
since start, and one-line errors that say what to do."""
import sys
import threading
import time

T0 = time.monotonic()
_lock = threading.Lock()


def say(msg):
    with _lock:
        print(f"[{time.monotonic() - T0:6.1f} s] {msg}", flush=True)


def fail(msg, code=2):
    print(f"sockreuse: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)
