"""sockreuse's Python side, one package; its subpackages follow a run's flow:

    kernels  -> boot    -> run     -> report
    (get a     (a QEMU    (the pytest  (the cross-kernel
    kernel,    guest,     runner: one  compatibility
    rootfs)    landing)   item a case) report)

with `expect` (the expected tables, the outcome vocabulary, the seed claims)
read by `run`; `model` (the executable rules that explain outcomes) and
`explore` (the explorer's driver and its patterns) as their own subpackages;
and `lava` beside `boot`: a guest run as a LAVA job. `errors`, `files`,
`paths` and `progress` are shared by all; `cli` is ./run_tests.sh's command
line, read and checked in one place, whose validators the entry points share. Dependencies point one way; the
self-test tests/static/test_imports.py fails on an import cycle, an edit of
the import path or two modules of one name.

Run its commands from the repository root: /usr/bin/python3 -m sockreuse.<...>.
"""
