"""index.html: the compatibility report as one self-contained page (no
network, no external script): findings first, behaviour changes grouped by
cause (collapsed), the explorer's cross-kernel patterns grouped by cause, a
two-kernel diff view, the full grid, the seed claims. Written once, whole."""
import html
import json
import os
import re


from sockreuse.report.compat import (EXPLORER_UNNAMED, UNEXPLAINED_NAME, cause_text,
                                    explorer_sentence, feature_title, finding_sentence,
                                    kernel_list)
from sockreuse import files
from sockreuse.run.verdict import VERDICTS

e = html.escape

CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{padding:16px 24px;background:#1f2937;color:#fff}
header h1{margin:0 0 4px;font-size:20px}
main{padding:16px 24px;max-width:1320px}
h2{font-size:17px;margin:24px 0 8px}
table{border-collapse:separate;border-spacing:0;background:#fff}
th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left;white-space:nowrap}
.findings li{margin:4px 0}.findings .unexplained{color:#991b1b;font-weight:600}
details.cause{background:#fff;border:1px solid #e5e7eb;border-left:4px solid #f59e0b;margin:6px 0;padding:4px 10px}
details.cause.unexplained{border-left-color:#dc2626}
details.cause summary{cursor:pointer;font-weight:600}
details.cause p{margin:6px 0;color:#374151}
details.cause table{margin:4px 0 8px}
.xgrid td.pat{white-space:normal;min-width:28em;max-width:52em}
details.cause td.v{white-space:nowrap;max-width:none;overflow-wrap:normal}
.findings strong,details.cause summary strong{font-family:ui-monospace,monospace;font-size:13px}
.xgrid tr.rule td{background:#e0e7ff;font-weight:600;white-space:normal}
.grid-wrap{overflow:auto;max-height:80vh;border:1px solid #d1d5db}
.grid thead th{position:sticky;top:0;background:#f3f4f6;z-index:2;vertical-align:bottom;white-space:normal;max-width:10em}
.grid td.case,.grid th.case{position:sticky;left:0;background:#fff;z-index:1;font-family:ui-monospace,monospace;font-size:12px;white-space:normal;min-width:16em;max-width:22em}
.grid thead th.case{z-index:3;background:#f3f4f6}
.grid tr.rule td{background:#e0e7ff;font-weight:600;position:sticky;left:0}
td.v{font-family:ui-monospace,monospace;font-size:12px;white-space:normal;max-width:10em;overflow-wrap:anywhere}
td.case{font-family:ui-monospace,monospace;font-size:12px;white-space:normal}
.claims td,.claims th{white-space:normal}
.pass{background:#dcfce7}.fail{background:#fecaca;font-weight:600}.new{background:#fef3c7}
.error{background:#e9d5ff}.skip{background:#e5e7eb;color:#6b7280}.missing{color:#9ca3af}
tr.changed td.case{border-left:4px solid #f59e0b}
.chg{font-size:11px;color:#92400e;white-space:normal;max-width:360px}
.holds{background:#dcfce7}.nothold{background:#fecaca}.notrun{background:#e5e7eb}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px}
#diff select{font:inherit;margin:0 6px}#diff .count{color:#374151;margin-left:8px}
#diff td.v{max-width:22em}.why{font:11px system-ui,sans-serif;color:#4b5563;margin-top:2px}
small{color:#6b7280}
#only:checked ~ .grid-wrap tr.same{display:none}
"""

# The diff view: pick two kernels, see the rows whose outcomes differ. The
# page's address may pick them: index.html#diff=<release A>,<release B>.
SCRIPT = """
const data = JSON.parse(document.getElementById('data').textContent);
const a = document.getElementById('diff-a'), b = document.getElementById('diff-b');
data.kernels.forEach((k, i) => { for (const s of [a, b]) s.add(new Option(k, i)); });
const want = decodeURIComponent(location.hash).match(/^#diff=(.+),(.+)$/);
a.value = want && data.kernels.includes(want[1]) ? data.kernels.indexOf(want[1]) : 0;
b.value = want && data.kernels.includes(want[2]) ? data.kernels.indexOf(want[2])
                                                 : data.kernels.length - 1;
function cell(c) {
  const td = document.createElement('td');
  td.className = 'v ' + (c ? c[1] : 'missing');
  td.textContent = c ? c[0] : 'not run';
  if (c && c[2]) {
    const why = document.createElement('div');
    why.className = 'why'; why.textContent = c[2];
    td.append(why);
  }
  return td;
}
function render() {
  const i = +a.value, j = +b.value, body = document.getElementById('diff-rows');
  body.replaceChildren();
  document.getElementById('diff-ha').textContent = data.kernels[i];
  document.getElementById('diff-hb').textContent = data.kernels[j];
  let n = 0;
  for (const row of data.rows) {
    const x = row.cells[i], y = row.cells[j];
    if (!x || !y || x[0] === y[0]) continue;
    const tr = document.createElement('tr');
    const id = document.createElement('td');
    id.className = 'case'; id.textContent = row.id;
    const why = document.createElement('td');
    why.className = 'chg'; why.textContent = row.cause || '';
    tr.append(id, cell(x), cell(y), why);
    body.append(tr); n++;
  }
  document.getElementById('diff-count').textContent =
      n + (n === 1 ? ' row differs' : ' rows differ');
}
a.onchange = b.onchange = render;
render();
"""


def breakable(text):
    """Escaped, with line-break opportunities after the separators of case ids
    and releases, so long ones wrap there; copying the text is unchanged."""
    return re.sub(r"([.+_-])", r"\1<wbr>", e(text))


def rule_chain(c):
    m = c.get("model") if c else None
    return " > ".join(m["rules"]) if m and m.get("rules") else ""


def cell_td(c):
    if not c:
        return "<td class=\"v missing\">not run</td>"
    why = rule_chain(c)
    title = f"{c['verdict']}" + (f"; rules: {why}" if why else "") + \
        f"; {(c.get('detail') or '')[:300]}"
    return f"<td class=\"v {c['verdict']}\" title=\"{e(title)}\">{e(c['observed'] or '-')}</td>"


def named(text, feature):
    """text, escaped, with the cause's name in it (its feature, or
    UNEXPLAINED) in bold."""
    name = feature or UNEXPLAINED_NAME
    head, found, tail = text.partition(name)
    return f"{e(head)}<strong>{e(name)}</strong>{e(tail)}" if found else e(text)


def findings(causes, kernels, unexplained, explorer):
    items = "".join(
        f"<li class=unexplained>The model does not explain {e(c['id'])} on {e(k.release)}: "
        f"observed {e(c['observed'])}, predicted {e(str(c['model']['predicted']))} "
        f"({e(rule_chain(c))})</li>" for k, c in unexplained)
    items += "".join(f"<li class=\"{'' if c.explained else 'unexplained'}\">"
                     f"{named(finding_sentence(c, kernels), c.feature)}</li>" for c in causes)
    items += "".join(f"<li class=\"{'unexplained' if c['feature'] is None else ''}\">"
                     f"{named(explorer_sentence(c, explorer), c['feature'])}</li>"
                     for c in (explorer or {}).get("causes", ()))
    if not items:
        return "<p>None: every case has the same outcome on every kernel, as the model says.</p>"
    return f"<ul class=findings>{items}</ul>"


def cause_blocks(kernels, causes):
    heads = "".join(f"<th>{breakable(k.release)}</th>" for k in kernels)
    out = []
    for c in causes:
        before, after = c.split
        rows = "".join(f"<tr><td class=case>{breakable(r.id)}</td>"
                       + "".join(cell_td(x) for x in r.cells) + "</tr>" for r in c.rows)
        out.append(
            f"<details class=\"cause{'' if c.explained else ' unexplained'}\">"
            f"<summary>{named(c.title, c.feature)} — "
            f"{len(c.rows)} row{'s' if len(c.rows) != 1 else ''}; "
            f"{e(kernel_list(after))} {'differs' if len(after) == 1 else 'differ'} from "
            f"{e(kernel_list(before))}</summary>"
            f"<p>{e(cause_text(c.feature, c.features(kernels)))}</p>"
            f"<table><tr><th>case</th>{heads}</tr>{rows}</table></details>")
    return "".join(out)


def explorer_section(doc):
    """The explorer's cross-kernel patterns, one block per cause (feature):
    a row per pattern line, under it a row per outcome the kernels give
    inside it."""
    if not doc:
        return ""
    ks = doc["kernels"]
    heads = "".join(f"<th>{breakable(r)}</th>" for r in ks)
    blocks = []
    for c in doc["causes"]:
        rows = []
        for p in (doc["patterns"][i] for i in c["patterns"]):
            rows.append(f"<tr class=rule><td colspan={len(ks) + 2}>{e(p['description'])}</td></tr>")
            rows += [f"<tr><td class=pat>{e(s['sides'])}</td><td>{s['count']}</td>"
                     + "".join(f"<td class=v>{e(s['outcomes'][r])}</td>" for r in ks) + "</tr>"
                     for s in p["sides"]]
        n = len(c["patterns"])
        blocks.append(
            f"<details class=\"cause{'' if c['feature'] else ' unexplained'}\">"
            f"<summary>{named(feature_title(c['feature']), c['feature'])} — "
            f"{c['sequences']} sequences in {n} pattern{'s' if n != 1 else ''}</summary>"
            f"<p>{e(cause_text(c['feature'], unnamed=EXPLORER_UNNAMED))}</p>"
            f"<table class=xgrid><tr><th>pattern</th><th>sequences</th>{heads}</tr>"
            f"{''.join(rows)}</table></details>")
    body = "".join(blocks) or "<p>None: every kernel gives every sequence the same outcome.</p>"
    return (f"<h2 id=explorer>Explorer: where the kernels disagree</h2>"
            f"<p>{doc['sequences']} sequences (explore/space.yaml) on "
            f"{len(ks)} kernels; {doc['differing']} differ, in {len(doc['patterns'])} patterns "
            f"from {len(doc['causes'])} cause{'s' if len(doc['causes']) != 1 else ''} "
            f"(<a href=\"explore.json\">explore.json</a>).</p>{body}")


def cause_name(row):
    if not row.change:
        return ""
    return row.change.feature or UNEXPLAINED_NAME


def diff_data(kernels, grid):
    rows = [{"id": r.id, "cause": cause_name(r),
             "cells": [[c["observed"], c["verdict"], rule_chain(c)] if c else None
                       for c in r.cells]}
            for rs in grid.values() for r in rs]
    text = json.dumps({"kernels": [k.release for k in kernels], "rows": rows})
    return text.replace("</", "<\\/")


def write(path, report):
    kernels, grid, causes, claims = (report[k] for k in ("kernels", "grid", "causes", "claims"))
    out_dir = os.path.dirname(os.path.abspath(path))
    head = "".join(
        f"<th>{breakable(k.release)}{' (host)' if k.host else ''}<br><small>{e(k.arch)}, "
        f"table {e(k.table)}, {e(k.how)}<br>{k.doc['summary']['pass']}/{k.doc['summary']['total']} pass, "
        f"{k.doc['summary']['fail']} fail, {k.doc['summary']['error']} error</small><br>"
        f"<a href=\"{e(os.path.relpath(k.path, out_dir))}\">results.json</a></th>"
        for k in kernels)
    body = []
    for rule, rows in grid.items():
        body.append(f"<tr class=rule><td colspan={len(kernels) + 2}>{e(rule)}</td></tr>")
        for r in rows:
            mark = (f"<span title=\"{e(feature_title(r.change.feature))}\">"
                    f"{breakable(cause_name(r))}</span>" if r.change else "")
            body.append(f"<tr class=\"{'changed' if r.change else 'same'}\"><td class=case>"
                        f"{breakable(r.id)}</td>{''.join(cell_td(c) for c in r.cells)}"
                        f"<td class=chg>{mark}</td></tr>")
    summary = ["<table><tr><th>rule</th>" + "".join(f"<th>{e(k.release)}</th>" for k in kernels)
               + "<th>changed rows</th></tr>"]
    for rule, rows in grid.items():
        tds = ""
        for i in range(len(kernels)):
            ran = [c for r in rows if (c := r.cells[i])]
            ok = sum(c["verdict"] == "pass" for c in ran)
            bad = sum(c["verdict"] in ("fail", "error") for c in ran)
            tds += f"<td class=\"{'fail' if bad else 'pass'}\">{ok}/{len(ran)}</td>"
        summary.append(f"<tr><td>{e(rule)}</td>{tds}<td>{sum(1 for r in rows if r.change)}</td></tr>")
    summary.append("</table>")
    claim_rows = "".join(
        f"<tr><td>{e(cl['seed'])}</td><td style=\"max-width:420px\">{e(cl['claim'])}</td>"
        f"<td class=case>{breakable(cl['case'])}</td><td>{e(str(cl['claimed']))}</td>"
        + "".join(f"<td class={cls}>{e(txt)}</td>" for cls, txt in per) + "</tr>"
        for cl, per in claims)
    legend = "".join(f"<span class={v}>{v}</span>" for v in VERDICTS)
    changed = sum(len(c.rows) for c in causes)
    page = f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1">
<title>sockreuse compatibility report</title><style>{CSS}</style></head><body>
<header><h1>sockreuse compatibility report</h1>
<div>{len(kernels)} kernels on {", ".join(sorted({k.arch for k in kernels}))}, {sum(len(v) for v in grid.values())} cases, {changed} rows change across kernels, from {len(causes)} cause{'s' if len(causes) != 1 else ''}</div></header>
<main>
<h2>Findings</h2>{findings(causes, kernels, report["unexplained"], report.get("explorer"))}
<h2>Behaviour changes by cause</h2>{cause_blocks(kernels, causes) or '<p>None.</p>'}
{explorer_section(report.get("explorer"))}
<h2 id=diff-title>Two kernels side by side</h2>
<div id=diff>Compare <select id=diff-a></select> with <select id=diff-b></select><span class=count id=diff-count></span>
<table><thead><tr><th>case</th><th id=diff-ha></th><th id=diff-hb></th><th>cause</th></tr></thead><tbody id=diff-rows></tbody></table></div>
<h2>Per rule</h2>{''.join(summary)}
<h2>Cases</h2>
<p class=legend>{legend} <span class=missing>not run</span> — a cell is the observed outcome, coloured by that kernel's verdict against its own table; an amber edge marks a row whose outcome changes across kernels.</p>
<input type=checkbox id=only> <label for=only>show only behaviour changes</label>
<div class=grid-wrap><table class=grid><thead><tr><th class=case>case</th>{head}<th>cause</th></tr></thead>
<tbody>{''.join(body)}</tbody></table></div>
<h2>Seed articles' claims</h2>
<table class=claims><tr><th>seed</th><th>claim</th><th>case</th><th>claimed</th>{''.join(f'<th>{breakable(k.release)}</th>' for k in kernels)}</tr>{claim_rows}</table>
</main>
<script type=application/json id=data>{diff_data(kernels, grid)}</script>
<script>{SCRIPT}</script>
</body></html>
"""
    files.write_atomic(path, page)
