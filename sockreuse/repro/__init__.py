"""Standalone C reproducers: one case, or one explorer sequence, as a single
C file (libc and the kernel's UAPI headers only) that builds the suite's
topology itself, replays the calls and prints their results and the
outcome in the suite's vocabulary (docs/reproducers.md).
`/usr/bin/python3 -m sockreuse.repro.reproduce ID` writes it."""
