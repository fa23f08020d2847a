"""Writes one standalone C reproducer to stdout (what ./run_tests.sh --repro
ID runs): ID is a case id (build/sockreuse_suite --list-cases) or an
explorer key, the values of a sequence separated by spaces (10 for a pair,
15 for a triple; docs/explorer.md#the-key).

    /usr/bin/python3 -m sockreuse.repro.reproduce ID [--suite-bin PATH]

Bad input is one `sockreuse:` line and exit status 2 (sockreuse/errors.py)."""
import difflib
import os
import sys

from sockreuse import cli
from sockreuse.errors import RunnerError
from sockreuse.explore import baseline, space
from sockreuse.model import sequences
from sockreuse.paths import BUILD
from sockreuse.run import suite

from . import bind_steps, delivery_steps, ephemeral_steps, explorer_steps  # noqa: F401
from . import timewait_steps  # noqa: F401  (the modules above register the writers)
from . import expected, source, writers

SUITE_BIN = os.path.join(BUILD, "sockreuse_suite")


def writer_for(kind, what):
    fn = writers.WRITERS.get(kind)
    if fn is None:
        raise RunnerError(f"no reproducer for kind {kind} yet ({what}); covered: "
                          f"{', '.join(sorted(writers.WRITERS))}")
    return fn


def program_of(fn, params, what):
    try:
        return fn(params)
    except writers.Unsupported as e:
        raise RunnerError(f"no reproducer for {what} yet: {e}")


def for_case(case_id, binary):
    cases = {c["id"]: c for c in suite.list_cases(binary)}
    case = cases.get(case_id)
    if case is None:
        near = difflib.get_close_matches(case_id, list(cases), n=3)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise RunnerError(f"no case '{case_id}' (list them: {os.path.relpath(binary)} "
                          f"--list-cases; an explorer key has 10 or 15 values, "
                          f"docs/explorer.md#the-key){hint}")
    params = case["params"]
    what = f"case {case_id}"
    program = program_of(writer_for(params.get("kind"), what), params, what)
    head = source.header(what, case.get("rule"), case.get("description"),
                         expected.for_case(case_id), expected.source_of(None), params, case_id)
    return source.c_file(head, program)


def for_key(text):
    key = " ".join(text.split())
    try:
        sp = space.load()
        shape = sp.shape_of(key)
        seq = sp.parse_key(key)
    except space.SpaceError as e:
        raise RunnerError(str(e))
    if not shape.allowed(seq):
        raise RunnerError(f"key '{key}' breaks a constraint of explore/space.yaml: no sequence "
                          "the explorer runs")
    params = sequences.explore_params(seq, sp.doc)
    what = f"explorer sequence '{key}'"
    program = program_of(writer_for(params["kind"], what), params, what)
    description = "; ".join(f"{d}: {shape.label(d, v)}" for d, v in seq.items())
    try:
        rows = expected.for_key(key, shape.shape)
    except baseline.BaselineError as e:
        raise RunnerError(str(e))
    head = source.header(what, None, description, rows, expected.source_of(shape.shape),
                         params, key)
    return source.c_file(head, program)


def main(argv=None):
    p = cli.OneLineParser(prog="reproduce", description=__doc__.split("\n\n")[0])
    p.add_argument("id")
    p.add_argument("--suite-bin", default=SUITE_BIN)
    a = p.parse_args(argv)
    try:
        text = for_key(a.id) if " " in a.id.strip() else for_case(a.id.strip(), a.suite_bin)
    except RunnerError as e:
        print(f"sockreuse: {e}", file=sys.stderr)
        return e.code
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
