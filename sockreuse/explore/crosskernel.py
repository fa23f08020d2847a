"""The explorer's section of the compatibility report: across the kernels of
a matrix, every pattern of sequences on which they disagree, with the kernels
on each side. Reads each run's explore-outcomes.txt.gz, writes
results/compat/explore.json and puts its section into results/compat/index.html
and compat.md (vm/compat.py calls `hook` after writing those pages, so a
suite matrix run keeps the section). Patterns are explained by
results/explore/notes.yaml: each note names one sequence of its pattern."""
import argparse
import gzip
import html
import json
import os
import re

from . import explore_report, patterns, space

from sockreuse.paths import REPO

OUT = os.path.join(REPO, "results", "compat")
NOTES = os.path.join(REPO, "results", "explore", "notes.yaml")
OUTCOMES = "explore-outcomes.txt.gz"
BEGIN, END = "<!-- explorer: begin -->", "<!-- explorer: end -->"


def version_key(release):
    return [int(x) for x in re.findall(r"\d+", release)[:4]]


def read_run(run_dir):
    """(release, {key: token}) of one run directory, or None without outcomes."""
    path = os.path.join(run_dir, OUTCOMES)
    if not os.path.isfile(path):
        return None
    got = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            if not line.startswith("#"):
                k, _, token = line.rstrip("\n").partition("\t")
                got[k] = token
    return os.path.basename(os.path.normpath(run_dir)), got


def load_notes(path=NOTES):
    if not os.path.isfile(path):
        return []
    import yaml
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or []


def series(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    return f"{m.group(1)}.{m.group(2)}" if m else release


def explains(note, has, outcomes):
    """A note of results/explore/notes.yaml explains a pattern when all the
    pattern's sequences lie inside its `match` and every kernel series it
    names has the outcome it gives ("*": any) on the pattern."""
    for d, vals in (note.get("match") or {}).items():
        if not set(has.get(d, [])) <= set(vals):
            return False
    by_series = {series(r): t for r, t in outcomes.items()}
    for s, token in (note.get("outcomes") or {}).items():
        if s not in by_series or (token != "*" and by_series[s] != token):
            return False
    return True


def side_text(releases, tokens):
    """"ok on 6.1.0-50-amd64; bind:EADDRINUSE on 5.10.0-32-amd64, 6.12..."""
    sides = {}
    for r, t in zip(releases, tokens):
        sides.setdefault(t, []).append(r)
    ordered = sorted(sides.items(), key=lambda kv: (len(kv[1]), kv[0]))
    return "; ".join(f"{t} on {', '.join(rs)}" for t, rs in ordered)


def build(runs, sp, notes=()):
    """The cross-kernel document from [(release, {key: token})]."""
    runs = sorted(runs, key=lambda r: version_key(r[0]))
    releases = [r for r, _ in runs]
    common = set.intersection(*(set(o) for _, o in runs)) if runs else set()
    keys = [sp.key(c) for c in sp.sequences() if sp.key(c) in common]
    differing = {}
    for i, k in enumerate(keys):
        sig = tuple(o[k] for _, o in runs)
        if len(set(sig)) > 1:
            differing[i] = sig
    found = []
    if differing:
        u = patterns.Universe(sp.dims, [tuple(k.split(" ")) for k in keys])
        for sig, cube, n in patterns.group(u, differing):
            match = patterns.match_of(u, cube)
            outcomes = dict(zip(releases, sig))
            note = next((nt["note"] for nt in notes
                         if explains(nt, patterns.present(u, cube), outcomes)), None)
            found.append({"pattern": f"{explore_report.describe_cube(sp, u, cube)}: "
                                     f"{side_text(releases, sig)} — "
                                     f"{explore_report.plural(n, 'sequence')}",
                          "match": match, "count": n,
                          "outcomes": dict(zip(releases, sig)), "note": note})
    return {"kernels": releases, "sequences": len(keys), "differing": len(differing),
            "patterns": found}


def by_difference(doc):
    """[(side text, sequences, [patterns])]: the patterns grouped by what
    differs, the largest difference first, so a reader sees the few kinds of
    difference before their parts."""
    groups = {}
    for p in doc["patterns"]:
        key = side_text(doc["kernels"], [p["outcomes"][r] for r in doc["kernels"]])
        groups.setdefault(key, []).append(p)
    out = [(k, sum(p["count"] for p in ps), ps) for k, ps in groups.items()]
    return sorted(out, key=lambda g: -g[1])


def html_section(doc):
    e = html.escape
    head = "".join(f"<th>{e(r)}</th>" for r in doc["kernels"])
    rows = []
    for text, n, ps in by_difference(doc):
        rows.append(f"<tr class=rule><td colspan={len(doc['kernels']) + 3}>{e(text)} — "
                    f"{n} sequences in {len(ps)} pattern{'s' if len(ps) > 1 else ''}</td></tr>")
        rows += [f"<tr><td style=\"white-space:normal;max-width:60em\">"
                 f"{e(p['pattern'].rsplit(': ', 1)[0])}</td><td>{p['count']}</td>"
                 + "".join(f"<td class=v>{e(p['outcomes'][r])}</td>" for r in doc["kernels"])
                 + f"<td class=chg>{e(p['note'] or 'UNEXPLAINED: a finding until a kernel change explains it')}</td></tr>"
                 for p in ps]
    body = (f"<table class=grid><tr><th>pattern</th><th>sequences</th>{head}<th>why</th></tr>"
            f"{''.join(rows)}</table>" if doc["patterns"] else "<p>None: every kernel gives every "
            "sequence the same outcome.</p>")
    return (f"{BEGIN}<h2>Explorer: where the kernels disagree</h2>"
            f"<p>{doc['sequences']} two-socket sequences (explore/space.yaml) on "
            f"{len(doc['kernels'])} kernels; {doc['differing']} differ, in "
            f"{len(doc['patterns'])} patterns (<a href=\"explore.json\">explore.json</a>).</p>"
            f"{body}{END}\n")


def md_section(doc):
    lines = [BEGIN, "## Explorer: where the kernels disagree", "",
             f"{doc['sequences']} two-socket sequences (explore/space.yaml) on "
             f"{len(doc['kernels'])} kernels; {doc['differing']} differ, in "
             f"{len(doc['patterns'])} patterns ([explore.json](explore.json)).", ""]
    if not doc["patterns"]:
        lines.append("None: every kernel gives every sequence the same outcome.")
    for text, n, ps in by_difference(doc):
        lines += [f"### {text} — {n} sequences in {len(ps)} pattern{'s' if len(ps) > 1 else ''}", ""]
        for p in ps:
            lines.append(f"- {p['pattern'].rsplit(': ', 1)[0]} — {p['count']} sequences; why: "
                         f"{p['note'] or 'UNEXPLAINED (a finding until a kernel change explains it)'}")
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def put(path, section, before=None):
    """Replaces the section in the file, or inserts it (before `before`, or at the end)."""
    text = open(path, encoding="utf-8").read() if os.path.isfile(path) else ""
    pat = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    if pat.search(text):
        text = pat.sub(lambda _: section, text, count=1)
    elif before and before in text:
        text = text.replace(before, section + before, 1)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def hook(out_dir=OUT):
    """For vm/compat.py: puts the last cross-kernel explorer section (if any)
    back into the pages it has just rewritten."""
    path = os.path.join(out_dir, "explore.json")
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    put(os.path.join(out_dir, "index.html"), html_section(doc), before="</main>")
    put(os.path.join(out_dir, "compat.md"), md_section(doc))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", nargs="*", help="run directories (results/runs/<release>)")
    p.add_argument("--out", default=OUT)
    a = p.parse_args(argv)
    dirs = a.runs or sorted(os.path.join(REPO, "results", "runs", d)
                            for d in os.listdir(os.path.join(REPO, "results", "runs")))
    runs = [r for r in (read_run(d) for d in dirs) if r]
    if len(runs) < 2:
        raise SystemExit("sockreuse: the explorer's cross-kernel section needs the outcomes of "
                         "two kernels or more: run ./run_tests.sh --matrix --explore")
    doc = build(runs, space.load(), load_notes())
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "explore.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    hook(a.out)
    unexplained = sum(1 for x in doc["patterns"] if not x["note"])
    print(f"sockreuse: wrote {os.path.join(a.out, 'explore.json')}: {doc['differing']} of "
          f"{doc['sequences']} sequences differ across {len(runs)} kernels, in "
          f"{len(doc['patterns'])} patterns ({unexplained} unexplained)")


if __name__ == "__main__":
    main()
