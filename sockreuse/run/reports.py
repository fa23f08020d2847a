"""The report files of one run: results.json, junit.xml, results.ktap and
summary.md, all written from the same list of case records."""
import json
import os
import xml.etree.ElementTree as ET
from collections import Counter, OrderedDict

from sockreuse import files
from sockreuse.expect import claims
from sockreuse.expect.rule_ids import rule_key
from sockreuse.model.features import cause
from sockreuse.run.verdict import VERDICTS



def summarize(cases, wall_s):
    counts = Counter(c["verdict"] for c in cases)
    by_rule = OrderedDict()
    for rule in sorted({c["rule"] for c in cases}, key=rule_key):
        rc = Counter(c["verdict"] for c in cases if c["rule"] == rule)
        by_rule[rule] = {v: rc.get(v, 0) for v in VERDICTS}
    out = {"total": len(cases)}
    out.update({v: counts.get(v, 0) for v in VERDICTS})
    out["by_rule"] = by_rule
    out["wall_s"] = round(wall_s, 2)
    return out


def table_phrase(table, quote=""):
    """kernel.table (session.State.table_doc) in words: the base and the delta
    laid over it, by repository-relative path."""
    if not table:
        return "none"
    parts = [f"{quote}{p}{quote}" for p in (table["base"], table["delta"]) if p]
    return " + ".join(parts) + (" (complete table)" if table.get("complete") else "")


def headline(doc):
    """The one line a person needs: kernel, table, counts, time."""
    k, s = doc["kernel"], doc["summary"]
    return (f"{s['total']} cases on {k['release']} (table {table_phrase(k['table'])}, "
            f"{doc['mode']} mode): {s['pass']} pass, {s['fail']} fail, {s['new']} new, "
            f"{s['error']} error, {s['skip']} skip in {s['wall_s']} s")


def write_all(out_dir, doc, claims_path):
    """Every report file, each replaced whole (files.write_atomic)."""
    files.write_atomic(os.path.join(out_dir, "results.json"), results_json(doc))
    files.write_atomic(os.path.join(out_dir, "junit.xml"), junit(doc))
    files.write_atomic(os.path.join(out_dir, "results.ktap"), ktap(doc))
    files.write_atomic(os.path.join(out_dir, "summary.md"), markdown(doc, claims.load(claims_path)))


def results_json(doc):
    """results.json's text: one case a line, each top-level entry on one line.
    Still greppable and diffable by case, and written by json's C encoder,
    which indent= forgoes: six times faster, and it was most of a TCG
    guest's time between its last case and its report."""
    parts = []
    for key, value in doc.items():
        if key == "cases":
            body = ",\n".join(json.dumps(c) for c in value)
            parts.append(f"{json.dumps(key)}: [\n{body}\n]")
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def junit(doc):
    s = doc["summary"]
    suite = ET.Element("testsuite", name="sockreuse", tests=str(s["total"]),
                       failures=str(s["fail"]), errors=str(s["error"]),
                       skipped=str(s["skip"] + s["new"]),
                       time=str(s["wall_s"]))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="kernel", value=doc["kernel"]["release"])
    ET.SubElement(props, "property", name="table", value=table_phrase(doc["kernel"]["table"]))
    for c in doc["cases"]:
        tc = ET.SubElement(suite, "testcase", classname=c["rule"], name=c["id"],
                           time=str(round(c["duration_ms"] / 1000, 4)))
        if c["verdict"] == "fail":
            ET.SubElement(tc, "failure", message=f"observed {c['observed']}, expected "
                                                 f"{c['expected']}").text = c["detail"]
        elif c["verdict"] == "error":
            ET.SubElement(tc, "error", message="harness error").text = c["detail"]
        elif c["verdict"] == "skip":
            ET.SubElement(tc, "skipped", message=c["detail"])
        elif c["verdict"] == "new":
            ET.SubElement(tc, "skipped", message=f"new: no expected row; observed {c['observed']}")
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def ktap(doc):
    """KTAP as kselftest prints it: a plan, one result line per case, `#`
    diagnostics for failures, the totals line."""
    cases = doc["cases"]
    lines = ["KTAP version 1", f"# sockreuse on {doc['kernel']['release']}", f"1..{len(cases)}"]
    for n, c in enumerate(cases, 1):
        name = c["id"]
        if c["verdict"] == "pass":
            lines.append(f"ok {n} {name}")
        elif c["verdict"] == "skip":
            lines.append(f"ok {n} {name} # SKIP {c['detail']}")
        elif c["verdict"] == "new":
            lines.append(f"ok {n} {name} # SKIP new: no expected row (observed {c['observed']})")
        else:
            lines.append(f"# {name}: observed {c['observed']}, expected {c['expected']}"
                         if c["verdict"] == "fail" else f"# {name}: {c['detail']}")
            lines.append(f"not ok {n} {name}")
    s = doc["summary"]
    lines.append(f"# Totals: pass:{s['pass']} fail:{s['fail']} xfail:0 xpass:0 "
                 f"skip:{s['skip'] + s['new']} error:{s['error']}")
    return "\n".join(lines) + "\n"


def markdown(doc, seed_claims):
    k, s = doc["kernel"], doc["summary"]
    out = [f"# sockreuse on {k['release']}", "", f"**{headline(doc)}**", ""]
    model = doc.get("model")
    if model:
        out += [f"The model explains {s['total'] - s['error'] - s['skip'] - model['unexplained']} "
                f"of {s['total'] - s['error'] - s['skip']} outcomes with the features "
                f"{', '.join(model['features']) or '(none)'} ({model['source']}).", ""]
        unexplained = [c for c in doc["cases"] if c.get("explained") is False]
        if unexplained:
            # A kernel and the model disagreeing is a finding, or a model bug: first.
            out += ["## Outcomes the model does not explain", "",
                    "| case | verdict | observed | model predicts | rules |", "|---|---|---|---|---|"]
            for c in unexplained:
                m = c["model"]
                out.append(f"| `{c['id']}` | {c['verdict']} | `{c['observed']}` | "
                           f"`{m['predicted']}` | {' > '.join(m['rules']) or '(no rule)'} |")
            out.append("")
    notable = [c for c in doc["cases"] if c["verdict"] in ("fail", "error", "new")]
    if notable:
        # What needs a person comes first: failures, then errors, then new rows.
        order = {"fail": 0, "error": 1, "new": 2}
        # cause: the feature of the delta row the case was compared with.
        out += ["## Cases that need a look", "",
                "| case | rule | verdict | observed | expected | cause | detail |",
                "|---|---|---|---|---|---|---|"]
        for c in sorted(notable, key=lambda c: (order[c["verdict"]], c["id"])):
            why = cause(c["feature"]) if c.get("feature") else ""
            out.append(f"| `{c['id']}` | {c['rule']} | {c['verdict']} | `{c['observed']}` | "
                       f"`{c['expected']}` | {why.replace('|', '/')} | "
                       f"{c['detail'].replace('|', '/')[:200]} |")
        out.append("")
    if k.get("table_warning"):
        out += [f"- **warning:** {k['table_warning']}"]
    if k["table"]:
        causes = sorted({c["feature"] for c in doc["cases"] if c.get("feature")})
        out.append(f"- table: {table_phrase(k['table'], '`')}"
                   + ("; the delta rows of this run, by feature: "
                      + "; ".join(cause(f) for f in causes) if causes else ""))
    else:
        out.append("- table: none (every case is new)")
    out.append(f"- mode: {doc['mode']}")
    if k.get("config"):
        # The check against suites/config, as the run said it at its start.
        out += [f"- kernel configuration: {line[len('sockreuse: '):]}"
                for line in k["config"]["lines"]]
    out += ["", "| rule | " + " | ".join(VERDICTS) + " |", "|---|" + "---|" * len(VERDICTS)]
    for rule, counts in s["by_rule"].items():
        out.append(f"| {rule} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
    skipped = Counter(c["detail"] for c in doc["cases"] if c["verdict"] == "skip")
    if skipped:
        out += ["", "## Skipped", ""]
        out += [f"- {n} case(s): {reason}" for reason, n in skipped.most_common()]
    if seed_claims:
        by_id = {c["id"]: c for c in doc["cases"]}
        out += ["", "## Seed articles vs this kernel", "",
                "| seed | claim | case | claimed | on this kernel |", "|---|---|---|---|---|"]
        for cl in seed_claims:
            out.append(f"| {cl['seed']} | {cl['claim']} | `{cl['case']}` | `{cl['claimed']}` | "
                       f"{claims.status(cl, by_id.get(cl['case']))[1]} |")
    return "\n".join(out) + "\n"
