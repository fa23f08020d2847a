"""The suite's verdicts as LAVA test case results: the one mapping, used on
the device to report each case (lava-report) and on the host to check what
LAVA recorded against the device's own results.json.

    cases.py RESULTS_JSON    one line per case, by rule:
                             rule TAB case TAB LAVA result TAB what was seen
"""
import json
import sys

# LAVA knows pass, fail, skip and unknown. A harness error is a failure a lab
# must see; a case without an expected row has no verdict to give yet.
LAVA_RESULT = {"pass": "pass", "fail": "fail", "error": "fail", "skip": "skip", "new": "unknown"}


def lava_result(verdict):
    return LAVA_RESULT.get(verdict, "unknown")


def record(case):
    """The line that goes into the case's log in LAVA."""
    seen = f"observed {case['observed'] or '-'}, expected {case['expected'] or '-'}: {case['verdict']}"
    if case["verdict"] in ("fail", "error", "skip") and case.get("detail"):
        seen += f" ({' '.join(case['detail'].split())[:200]})"
    return seen


def rows(doc):
    for case in sorted(doc["cases"], key=lambda c: (c["rule"], c["id"])):
        yield case["rule"], case["id"], lava_result(case["verdict"]), record(case)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: cases.py RESULTS_JSON")
    with open(argv[1]) as f:
        doc = json.load(f)
    for row in rows(doc):
        print("\t".join(row))


if __name__ == "__main__":
    main(sys.argv)
