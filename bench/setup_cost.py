"""The set-up cost the old-and-new benches compare (bench/host_suite.py,
bench/commands.py), read off a results.json: one definition, so that their
figures mean the same."""
import statistics


def median_setup_ms(doc):
    """The median set-up per case in ms over the cases that ran (not
    skipped), or None when none did or none recorded it."""
    ms = [c["setup_ms"] for c in doc["cases"]
          if c["verdict"] != "skip" and c.get("setup_ms") is not None]
    return statistics.median(ms) if ms else None
