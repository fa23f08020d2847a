"""The report files of one run: results.json, junit.xml, results.ktap and
summary.md, all written from the same list of case records."""
import json
import os
import xml.etree.ElementTree as ET
from collections import Counter, OrderedDict

from . import claims

VERDICTS = ("pass", "fail", "new", "error", "skip")


def rule_key(rule):
    digits = "".join(c for c in rule if c.isdigit())
    return (int(digits) if digits else 999, rule)


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


def write_all(out_dir, doc, claims_path):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    write_junit(os.path.join(out_dir, "junit.xml"), doc)
    write_ktap(os.path.join(out_dir, "results.ktap"), doc)
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(markdown(doc, claims.load(claims_path)))


def write_junit(path, doc):
    s = doc["summary"]
    suite = ET.Element("testsuite", name="sockreuse", tests=str(s["total"]),
                       failures=str(s["fail"]), errors=str(s["error"]),
                       skipped=str(s["skip"] + s["new"]),
                       time=str(s["wall_s"]))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="kernel", value=doc["kernel"]["release"])
    ET.SubElement(props, "property", name="table", value=str(doc["kernel"]["table"]))
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
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_ktap(path, doc):
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
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def markdown(doc, seed_claims):
    k, s = doc["kernel"], doc["summary"]
    out = [f"# sockreuse on {k['release']}", ""]
    out.append(f"- table: `{k['table']}`" if k["table"] else "- table: none (every case is new)")
    if k.get("table_warning"):
        out.append(f"- **warning:** {k['table_warning']}")
    out.append(f"- mode: {doc['mode']}")
    out.append(f"- {s['total']} cases in {s['wall_s']} s: " +
               ", ".join(f"{s[v]} {v}" for v in ("pass", "fail", "new", "error", "skip")))
    out += ["", "| rule | " + " | ".join(VERDICTS) + " |", "|---|" + "---|" * len(VERDICTS)]
    for rule, counts in s["by_rule"].items():
        out.append(f"| {rule} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
    notable = [c for c in doc["cases"] if c["verdict"] in ("fail", "error", "new")]
    if notable:
        out += ["", "## Cases that need a look", "",
                "| case | rule | verdict | observed | expected | detail |", "|---|---|---|---|---|---|"]
        for c in notable:
            out.append(f"| `{c['id']}` | {c['rule']} | {c['verdict']} | `{c['observed']}` | "
                       f"`{c['expected']}` | {c['detail'].replace('|', '/')[:200]} |")
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
