#!/usr/bin/python3
"""The cross-kernel compatibility report: every results/runs/*/results.json
into results/compat/index.html (one self-contained page) and compat.md.
Rows are cases grouped by rule, columns kernels in version order, cells the
observed outcome coloured by that kernel's verdict; rows whose outcome
changes across kernels are marked with the first kernel that shows it."""
import argparse
import glob
import html
import json
import os
import re
import sys
from collections import OrderedDict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "runner"))

from sockreuse_runner import claims as seed_claims  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "explore"))
from explorer import crosskernel as explorer_compat  # noqa: E402
VERDICTS = ("pass", "fail", "new", "error", "skip")


def version_key(release):
    return [int(x) for x in re.findall(r"\d+", release)[:4]]


def rule_key(rule):
    digits = "".join(c for c in rule if c.isdigit())
    return (int(digits) if digits else 999, rule)


class Kernel:
    def __init__(self, path):
        self.path = path
        try:
            with open(path) as f:
                self.doc = json.load(f)
            self.release = self.doc["kernel"]["release"]
            self.cases = {c["id"]: c for c in self.doc["cases"]}
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"sockreuse: {path}: not a results.json ({e})")
        vm_path = os.path.join(os.path.dirname(path), "vm.json")
        self.vm = json.load(open(vm_path)) if os.path.isfile(vm_path) else None
        self.host = self.vm is None
        self.table = os.path.basename(self.doc["kernel"].get("table") or "none")

    @property
    def accel(self):
        return "host" if self.host else self.vm.get("accelerator", "?")


def load(paths):
    kernels = [Kernel(p) for p in paths]
    kernels.sort(key=lambda k: version_key(k.release))
    return kernels


def rows(kernels):
    """OrderedDict rule -> [(case id, [case record or None per kernel], change)]"""
    ids = {}
    for k in kernels:
        for cid, c in k.cases.items():
            ids.setdefault(cid, c["rule"])
    out = OrderedDict()
    for rule in sorted(set(ids.values()), key=rule_key):
        out[rule] = []
        for cid in sorted(i for i, r in ids.items() if r == rule):
            cells = [k.cases.get(cid) for k in kernels]
            out[rule].append((cid, cells, change_of(kernels, cells)))
    return out


def change_of(kernels, cells):
    """(first kernel with a new outcome, note) when the outcome changes across
    the kernels that ran the case, else None."""
    seen = [(k, c) for k, c in zip(kernels, cells)
            if c and c["verdict"] not in ("error", "skip")]
    if len({c["observed"] for _, c in seen}) <= 1:
        return None
    first = seen[0][1]["observed"]
    for k, c in seen:
        if c["observed"] != first:
            return k.release, c.get("note")
    return None


def claims_status(claim_list, kernels):
    return [(cl, [seed_claims.status(cl, k.cases.get(cl["case"])) for k in kernels])
            for cl in claim_list]


def rel(path, out_dir):
    return os.path.relpath(path, out_dir)


CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{padding:16px 24px;background:#1f2937;color:#fff}
header h1{margin:0 0 4px;font-size:20px}
main{padding:16px 24px}
h2{font-size:17px;margin:24px 0 8px}
table{border-collapse:separate;border-spacing:0;background:#fff}
th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left;white-space:nowrap}
.grid-wrap{overflow:auto;max-height:80vh;border:1px solid #d1d5db}
.grid thead th{position:sticky;top:0;background:#f3f4f6;z-index:2;vertical-align:bottom;white-space:normal;max-width:10em}
.grid td.case,.grid th.case{position:sticky;left:0;background:#fff;z-index:1;font-family:ui-monospace,monospace;font-size:12px;white-space:normal;min-width:16em;max-width:22em}
.grid thead th.case{z-index:3;background:#f3f4f6}
.grid tr.rule td{background:#e0e7ff;font-weight:600;position:sticky;left:0}
td.v{font-family:ui-monospace,monospace;font-size:12px;white-space:normal;max-width:10em;overflow-wrap:anywhere}
.claims td,.claims th{white-space:normal}.claims td.case{font-family:ui-monospace,monospace;font-size:12px}
.pass{background:#dcfce7}.fail{background:#fecaca;font-weight:600}.new{background:#fef3c7}
.error{background:#e9d5ff}.skip{background:#e5e7eb;color:#6b7280}.missing{color:#9ca3af}
tr.changed td.case{border-left:4px solid #f59e0b}
.chg{font-size:11px;color:#92400e;white-space:normal;max-width:360px}
.holds{background:#dcfce7}.nothold{background:#fecaca}.notrun{background:#e5e7eb}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px}
small{color:#6b7280}
#only:checked ~ .grid-wrap tr.same{display:none}
"""


def breakable(text):
    """Escaped, with line-break opportunities after the separators of case ids
    and releases, so long ones wrap there; copying the text is unchanged."""
    return re.sub(r"([.+_-])", r"\1<wbr>", html.escape(text))


def write_html(path, kernels, grid, claims):
    out_dir = os.path.dirname(path)
    e = html.escape
    head = "".join(
        f"<th>{breakable(k.release)}{' (host)' if k.host else ''}<br><small>table {e(k.table)}, "
        f"{e(k.accel)}<br>{k.doc['summary']['pass']}/{k.doc['summary']['total']} pass, "
        f"{k.doc['summary']['fail']} fail, {k.doc['summary']['error']} error</small><br>"
        f"<a href=\"{e(rel(k.path, out_dir))}\">results.json</a></th>" for k in kernels)
    body = []
    for rule, items in grid.items():
        body.append(f"<tr class=rule><td colspan={len(kernels) + 2}>{e(rule)}</td></tr>")
        for cid, cells, change in items:
            tds = "".join(
                f"<td class=\"v {c['verdict']}\" title=\"{e(c['verdict'])}: {e(c.get('detail') or '')[:300]}\">"
                f"{e(c['observed'] or '-')}</td>" if c else "<td class=\"v missing\">not run</td>"
                for c in cells)
            mark = ""
            if change:
                first, note = change
                mark = f"behaviour change from {e(first)}" + (f": {e(note)}" if note else "")
            body.append(f"<tr class=\"{'changed' if change else 'same'}\"><td class=case>{breakable(cid)}</td>"
                        f"{tds}<td class=chg>{mark}</td></tr>")
    summary = ["<table><tr><th>rule</th>" + "".join(f"<th>{e(k.release)}</th>" for k in kernels)
               + "<th>changed rows</th></tr>"]
    for rule, items in grid.items():
        tds = ""
        for i, k in enumerate(kernels):
            ran = [c for _, cells, _ in items if (c := cells[i])]
            ok = sum(c["verdict"] == "pass" for c in ran)
            bad = sum(c["verdict"] in ("fail", "error") for c in ran)
            tds += f"<td class=\"{'fail' if bad else 'pass'}\">{ok}/{len(ran)}</td>"
        summary.append(f"<tr><td>{e(rule)}</td>{tds}<td>{sum(1 for *_, c in items if c)}</td></tr>")
    summary.append("</table>")
    claim_rows = "".join(
        f"<tr><td>{e(cl['seed'])}</td><td style=\"white-space:normal;max-width:420px\">{e(cl['claim'])}</td>"
        f"<td class=case>{breakable(cl['case'])}</td><td>{e(str(cl['claimed']))}</td>"
        + "".join(f"<td class={cls}>{e(txt)}</td>" for cls, txt in per) + "</tr>"
        for cl, per in claims)
    legend = "".join(f"<span class={v}>{v}</span>" for v in VERDICTS)
    changed = sum(1 for items in grid.values() for *_, c in items if c)
    page = f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1">
<title>sockreuse compatibility report</title><style>{CSS}</style></head><body>
<header><h1>sockreuse compatibility report</h1>
<div>{len(kernels)} kernels, {sum(len(v) for v in grid.values())} cases, {changed} behaviour changes</div></header>
<main>
<h2>Per rule</h2>{''.join(summary)}
<h2>Cases</h2>
<p class=legend>{legend} <span class=missing>not run</span> — a cell is the observed outcome, coloured by that kernel's verdict against its own table; an amber edge marks a row whose outcome changes across kernels.</p>
<input type=checkbox id=only> <label for=only>show only behaviour changes</label>
<div class=grid-wrap><table class=grid><thead><tr><th class=case>case</th>{head}<th>change</th></tr></thead>
<tbody>{''.join(body)}</tbody></table></div>
<h2>Seed articles' claims</h2>
<table class=claims><tr><th>seed</th><th>claim</th><th>case</th><th>claimed</th>{''.join(f'<th>{breakable(k.release)}</th>' for k in kernels)}</tr>{claim_rows}</table>
</main></body></html>
"""
    with open(path, "w") as f:
        f.write(page)


def write_md(path, kernels, grid, claims):
    out_dir = os.path.dirname(path)
    lines = ["# sockreuse compatibility report", ""]
    lines.append("| kernel | table | accelerator | pass | fail | new | error | skip | results |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for k in kernels:
        s = k.doc["summary"]
        lines.append(f"| {k.release}{' (host)' if k.host else ''} | {k.table} | {k.accel} | "
                     f"{s['pass']} | {s['fail']} | {s['new']} | {s['error']} | {s['skip']} | "
                     f"[results.json]({rel(k.path, out_dir)}) |")
    lines += ["", "## Per rule (pass / cases run)", "",
              "| rule | " + " | ".join(k.release for k in kernels) + " | changed rows |",
              "|---|" + "---|" * (len(kernels) + 1)]
    for rule, items in grid.items():
        cols = []
        for i in range(len(kernels)):
            ran = [cells[i] for _, cells, _ in items if cells[i]]
            cols.append(f"{sum(c['verdict'] == 'pass' for c in ran)}/{len(ran)}")
        lines.append(f"| {rule} | " + " | ".join(cols) + f" | {sum(1 for *_, c in items if c)} |")
    lines += ["", "## Behaviour changes", ""]
    any_change = False
    for rule, items in grid.items():
        for cid, cells, change in items:
            if not change:
                continue
            any_change = True
            outs = " / ".join(f"{k.release}: `{c['observed']}`" if c else f"{k.release}: not run"
                              for k, c in zip(kernels, cells))
            lines.append(f"- ⚠ **changed** `{cid}` ({rule}) from {change[0]}"
                         + (f" — {change[1]}" if change[1] else "") + f": {outs}")
    if not any_change:
        lines.append("None: every case has the same outcome on every kernel.")
    lines += ["", "## All cases", ""]
    lines.append("| case | " + " | ".join(k.release for k in kernels) + " |")
    lines.append("|---|" + "---|" * len(kernels))
    for rule, items in grid.items():
        lines.append(f"| **{rule}** |" + " |" * len(kernels))
        for cid, cells, change in items:
            cols = [f"{c['observed']}" + ("" if c["verdict"] == "pass" else f" ({c['verdict']})")
                    if c else "not run" for c in cells]
            lines.append(f"| {'⚠ ' if change else ''}`{cid}` | " + " | ".join(cols) + " |")
    lines += ["", "## Seed articles' claims", "",
              "| seed | claim | case | claimed | " + " | ".join(k.release for k in kernels) + " |",
              "|---|---|---|---|" + "---|" * len(kernels)]
    for cl, per in claims:
        lines.append(f"| {cl['seed']} | {cl['claim']} | `{cl['case']}` | `{cl['claimed']}` | "
                     + " | ".join(txt for _, txt in per) + " |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", nargs="*", help="results.json files or run directories")
    p.add_argument("--out", default=os.path.join(REPO, "results", "compat"))
    p.add_argument("--claims", default=os.path.join(REPO, "results", "seed_claims.yaml"))
    a = p.parse_args(argv)
    paths = []
    for r in a.runs or sorted(glob.glob(os.path.join(REPO, "results", "runs", "*"))):
        path = r if r.endswith(".json") else os.path.join(r, "results.json")
        if os.path.isfile(path):
            paths.append(path)
    if not paths:
        raise SystemExit("sockreuse: no results.json to report on: run ./run_tests.sh or --matrix first")
    kernels = load(paths)
    grid = rows(kernels)
    claims = claims_status(seed_claims.load(a.claims), kernels)
    os.makedirs(a.out, exist_ok=True)
    write_html(os.path.join(a.out, "index.html"), kernels, grid, claims)
    write_md(os.path.join(a.out, "compat.md"), kernels, grid, claims)
    explorer_compat.hook(a.out)  # the explorer's cross-kernel section, if there is one
    print(f"sockreuse: wrote {os.path.join(a.out, 'index.html')} and compat.md "
          f"({len(kernels)} kernels)")


if __name__ == "__main__":
    main()
