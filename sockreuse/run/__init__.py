"""The pytest runner: one item per case, verdicts, and the per-run reports."""
