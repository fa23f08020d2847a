"""compat.md: the compatibility report as Markdown, for a CI artefact or a
pull request. Same content as the page, without the interactive diff view.
Written once, whole."""
import os


from sockreuse.report.compat import (EXPLORER_UNNAMED, cause_text, explorer_sentence,
                                    feature_title, finding_sentence, kernel_list)
from sockreuse import files


def write(path, report):
    kernels, grid, causes, claims = (report[k] for k in ("kernels", "grid", "causes", "claims"))
    out_dir = os.path.dirname(os.path.abspath(path))
    rel = lambda p: os.path.relpath(p, out_dir)  # noqa: E731
    lines = ["# sockreuse compatibility report", "", "## Findings", ""]
    lines += [f"- **the model does not explain** `{c['id']}` on {k.release}: observed "
              f"`{c['observed']}`, predicted `{c['model']['predicted']}` "
              f"({' > '.join(c['model']['rules'])})" for k, c in report["unexplained"]]
    lines += ([f"- {finding_sentence(c, kernels)}" for c in causes]
              or ["- None: every case has the same outcome on every kernel."])
    explorer = report.get("explorer")
    lines += [f"- {explorer_sentence(c, explorer)}" for c in (explorer or {}).get("causes", ())]
    lines += ["", "| kernel | arch | table | accelerator | pass | fail | new | error | skip | "
              "results |", "|---|---|---|---|---|---|---|---|---|---|"]
    for k in kernels:
        s = k.doc["summary"]
        lines.append(f"| {k.release}{' (host)' if k.host else ''} | {k.arch} | {k.table} | "
                     f"{k.how} | "
                     f"{s['pass']} | {s['fail']} | {s['new']} | {s['error']} | {s['skip']} | "
                     f"[results.json]({rel(k.path)}) |")
    lines += ["", "## Per rule (pass / cases run)", "",
              "| rule | " + " | ".join(k.release for k in kernels) + " | changed rows |",
              "|---|" + "---|" * (len(kernels) + 1)]
    for rule, rows in grid.items():
        cols = []
        for i in range(len(kernels)):
            ran = [r.cells[i] for r in rows if r.cells[i]]
            cols.append(f"{sum(c['verdict'] == 'pass' for c in ran)}/{len(ran)}")
        lines.append(f"| {rule} | " + " | ".join(cols) + f" | {sum(1 for r in rows if r.change)} |")
    lines += ["", "## Behaviour changes by cause", ""]
    for c in causes:
        before, after = c.split
        lines += [f"### {c.title}", "", cause_text(c.feature, c.features(kernels)), "",
                  f"Before: {kernel_list(before)}. After: {kernel_list(after)}.", "",
                  "| case | " + " | ".join(k.release for k in kernels) + " |",
                  "|---|" + "---|" * len(kernels)]
        for r in c.rows:
            lines.append(f"| `{r.id}` | " + " | ".join(
                f"`{cell['observed']}`" if cell else "not run" for cell in r.cells) + " |")
        lines.append("")
    if not causes:
        lines.append("None: every case has the same outcome on every kernel.")
    lines += explorer_section(explorer)
    lines += ["", "## All cases", "", "| case | " + " | ".join(k.release for k in kernels) + " |",
              "|---|" + "---|" * len(kernels)]
    for rule, rows in grid.items():
        lines.append(f"| **{rule}** |" + " |" * len(kernels))
        for r in rows:
            cols = [f"{c['observed']}" + ("" if c["verdict"] == "pass" else f" ({c['verdict']})")
                    if c else "not run" for c in r.cells]
            lines.append(f"| {'⚠ ' if r.change else ''}`{r.id}` | " + " | ".join(cols) + " |")
    lines += ["", "## Seed articles' claims", "",
              "| seed | claim | case | claimed | " + " | ".join(k.release for k in kernels) + " |",
              "|---|---|---|---|" + "---|" * len(kernels)]
    for cl, per in claims:
        lines.append(f"| {cl['seed']} | {cl['claim']} | `{cl['case']}` | `{cl['claimed']}` | "
                     + " | ".join(txt for _, txt in per) + " |")
    files.write_atomic(path, "\n".join(lines) + "\n")


def explorer_section(doc):
    """The explorer's cross-kernel patterns, one subsection per cause
    (feature): a line per pattern, what the kernels say inside it under it."""
    if not doc:
        return []
    ks = doc["kernels"]
    n = len(doc["causes"])
    lines = ["", "## Explorer: where the kernels disagree", "",
             f"{doc['sequences']} sequences (explore/space.yaml) on {len(ks)} kernels; "
             f"{doc['differing']} differ, in {len(doc['patterns'])} patterns from {n} "
             f"cause{'s' if n != 1 else ''} ([explore.json](explore.json)).", ""]
    if not doc["causes"]:
        lines += ["None: every kernel gives every sequence the same outcome.", ""]
    for c in doc["causes"]:
        lines += [f"### {feature_title(c['feature'])}", "",
                  cause_text(c["feature"], unnamed=EXPLORER_UNNAMED), ""]
        for p in (doc["patterns"][i] for i in c["patterns"]):
            lines.append(f"- {p['description'].replace('|', '/')} ({p['count']:,})")
            lines += [f"  - {s['sides']} ({s['count']:,})" for s in p["sides"]]
        lines.append("")
    return lines
