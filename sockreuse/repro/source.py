"""A reproducer's whole C file: the header comment (what it reproduces, how
to build and run it, what each kernel series should print), the shared
fragments, the topology, the kind's program and main()."""
import json
import os
import re
import textwrap

from sockreuse.paths import REPO

from . import c_prune, csource, suite_facts

RULES_DOC = os.path.join(REPO, "docs", "rules.md")


def rule_text(rule):
    """The rule's row of docs/rules.md in plain words, or '' when it has none."""
    try:
        with open(RULES_DOC, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ""
    m = re.search(r"^\| %s \| (.*?) \|" % re.escape(rule), text, re.M)
    if not m:
        return ""
    words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
    return words.replace("**", "").replace("`", "")


def wrapped(text, indent=" * ", width=78):
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False) or [indent.rstrip()]


def header(what, rule, description, expected, source, params, repro_id):
    """The comment at the top. expected: [(series, token, feature)]."""
    lines = ["/*"]
    lines += wrapped(f"sockreuse reproducer: {what}.")
    if rule:
        lines += [" *"] + wrapped(f"Rule {rule}: {rule_text(rule) or '(see docs/rules.md)'}")
    if description:
        lines += [" *"] + wrapped(f"What it does: {description}")
    lines += [" *",
              " * Build and run (root: it makes network namespaces and veth pairs):",
              " *   cc r.c -o r && sudo ./r",
              " *"]
    lines += wrapped("It needs only libc and the kernel's UAPI headers. It makes two new "
                     "network namespaces (server, client) joined by veth pairs with "
                     "documentation addresses, as the suite does (fixtures/topology.yaml), "
                     "replays the calls, printing one line per call, then "
                     "'outcome: <token>' in the suite's vocabulary (results/vocabulary.yaml). "
                     "Both namespaces go away with the process. Exit status 0 when it ran, "
                     "1 when its own set-up failed (then no outcome line).")
    lines += [" *"] + wrapped(f"Expected outcome per kernel series ({source}):")
    width = max(len(s) for s, _, _ in expected) if expected else 0
    for series, token, feature in expected:
        shown_token = token if token is not None else "(no row: not recorded for this series)"
        lines.append(f" *   {series.ljust(width)}  {shown_token}"
                     + (f"  [{feature}]" if feature else ""))
    lines += [" *"] + wrapped(f"Made by ./run_tests.sh --repro '{repro_id}' from the parameters:")
    lines += wrapped(json.dumps(params, sort_keys=True), indent=" *   ")
    # Nothing of the text may end the comment, or open one inside it (-Wcomment).
    return lines[:1] + [line.replace("*/", "* /").replace("/*", "/ *") for line in lines[1:]] \
        + [" */"]


def c_file(head, program):
    out = head + ["", f"#define PORT {suite_facts.port()} /* the suite's port for every case */",
                  f"#define WAIT_MS {suite_facts.wait_ms()} /* the bound of every wait */", ""]
    for name in program.fragments:
        out += [csource.fragment(name).rstrip("\n"), ""]
    out += csource.topology_data() + [""]
    out += program.c_lines()
    out += ["", "int main(void)", "{",
            "\tsetvbuf(stdout, NULL, _IOLBF, 0);",
            "\tbuild_topology(PAIRS, (int)(sizeof PAIRS / sizeof PAIRS[0]));",
            "\trun();",
            '\tprintf("outcome: %s\\n", outcome);',
            "\treturn 0;", "}"]
    return c_prune.prune("\n".join(out))
