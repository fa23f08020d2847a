"""The sockreuse pytest runner: one item per case of the suite binary, verdicts
against the expected table of the running kernel, reports."""
