"""The explorer's section of the compatibility report, as data: across the
kernels of a matrix, every sequence on which they disagree, grouped by the
model feature that explains it, each group as a few pattern lines with the
kernels on each side. Reads each run's explore-outcomes.txt.gz and writes
results/compat/explore.json; the compatibility report
(sockreuse/report/compat_report.py --explore) builds it before it writes its
pages, and without --explore takes an explore.json made from the same
outcome files. Sequences are explained by results/explore/notes.yaml: each
entry names the feature (a key of sockreuse/model/features.py FEATURES)
behind the sequences it matches."""
import gzip
import hashlib
import json
import os
import re

from . import explore_report, patterns, predicates, space

from sockreuse import files
from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.model.features import FEATURES
from sockreuse.paths import REPO
from sockreuse.expect.table_choice import version_key

NOTES = os.path.join(REPO, "results", "explore", "notes.yaml")
OUTCOMES = "explore-outcomes.txt.gz"
JSON = "explore.json"
NOTE_KEYS = {"match", "outcomes", "feature"}


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


def sources(run_dirs):
    """{release: sha256 of its outcomes file}: which runs a section is of."""
    out = {}
    for d in run_dirs:
        path = os.path.join(d, OUTCOMES)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[os.path.basename(os.path.normpath(d))] = hashlib.sha256(f.read()).hexdigest()
    return out


def load_notes(path=None):
    """The entries of notes.yaml, each checked: `match`, `outcomes` and a
    `feature` that FEATURES has."""
    path = path or NOTES
    if not os.path.isfile(path):
        return []
    import yaml
    try:
        with open(path, encoding="utf-8") as f:
            notes = files.yaml_doc(f) or []
    except (OSError, yaml.YAMLError) as e:
        raise RunnerError(f"{path}: cannot read the explorer's notes: {e}", EXIT_USAGE)
    if not isinstance(notes, list):
        raise RunnerError(f"{path}: must be a list of entries (match, outcomes, feature)",
                          EXIT_USAGE)
    for i, nt in enumerate(notes, 1):
        if not isinstance(nt, dict) or set(nt) - NOTE_KEYS or "feature" not in nt:
            raise RunnerError(f"{path}: entry {i} must have `feature` and may have `match` and "
                              f"`outcomes`, nothing else (put prose in a comment above it)",
                              EXIT_USAGE)
        if nt["feature"] not in FEATURES:
            raise RunnerError(f"{path}: entry {i} names feature '{nt['feature']}', which "
                              f"sockreuse/model/features.py does not define: name one of "
                              f"{', '.join(sorted(FEATURES))}", EXIT_USAGE)
    return notes


def series(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    return f"{m.group(1)}.{m.group(2)}" if m else release


def explains(note, key_values, outcomes):
    """A note of results/explore/notes.yaml explains a differing sequence
    when its values lie inside the note's `match` and every kernel series
    the note names has the outcome it gives ("*": any)."""
    for d, vals in (note.get("match") or {}).items():
        if key_values.get(d) not in vals:
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


def cause_of(notes, dims, key, outcomes):
    """The feature of the first note that explains the sequence (notes.yaml
    lists the narrower first), or None."""
    values = dict(zip(dims, key.split(" ")))
    return next((nt["feature"] for nt in notes if explains(nt, values, outcomes)), None)


def build(runs, sp, notes=()):
    """The cross-kernel document from [(release, {key: token})], over every
    shape of the space (pairs, then triples) whose keys the runs share: every
    differing sequence goes to the cause (feature) whose note explains it;
    each cause's sequences are then covered exactly by a few pattern lines
    per shape, each line with what the kernels say inside it."""
    runs = sorted(runs, key=lambda r: version_key(r[0]))
    releases = [r for r, _ in runs]
    common = set.intersection(*(set(o) for _, o in runs)) if runs else set()
    found, causes, total, differing_n = [], {}, 0, 0
    for shape in sp.shapes():
        # A shape the runs share no key of (triples before their baselines) costs nothing.
        width = len(shape.dims) - 1
        if not any(k.count(" ") == width for k in common):
            continue
        keys = [k for k in (shape.key(c) for c in shape.sequences()) if k in common]
        total += len(keys)
        by_cause = {}
        for i, k in enumerate(keys):
            sig = tuple(o[k] for _, o in runs)
            if len(set(sig)) > 1:
                feature = cause_of(notes, shape.dims, k, dict(zip(releases, sig)))
                by_cause.setdefault(feature, {})[i] = sig
        if not by_cause:
            continue
        u = patterns.Universe(shape.dims, [tuple(k.split(" ")) for k in keys])
        u.add_predicates(predicates.masks(u, shape))
        # A line is exact among the sequences with its outcome on the newest
        # kernel, which it states.
        newest = [runs[-1][1][k] for k in keys]
        for feature, part in by_cause.items():
            differing_n += len(part)
            cause = causes.setdefault(feature, {"feature": feature, "sequences": 0,
                                                "patterns": []})
            cause["sequences"] += len(part)
            for rule, m, counts in patterns.group(u, part, len(releases) - 1, newest):
                description = explore_report.describe(shape, u, rule, m)
                sides = [{"sides": side_text(releases, sig), "count": n,
                          "outcomes": dict(zip(releases, sig))} for sig, n in counts.items()]
                text = explore_report.outcome_text(counts, lambda sig: side_text(releases, sig))
                cause["patterns"].append(len(found))
                found.append({"pattern": f"{description}: {text}", "description": description,
                              "match": patterns.match_of(u, rule, m),
                              "predicates": patterns.predicates_of(rule),
                              "count": sum(counts.values()), "sides": sides,
                              "outcomes": sides[0]["outcomes"], "feature": feature,
                              **({"shape": shape.shape} if shape.shape != "pairs" else {})})
    ordered = sorted(causes.values(),
                     key=lambda c: (c["feature"] is not None, -c["sequences"], c["feature"] or ""))
    return {"kernels": releases, "sequences": total, "differing": differing_n,
            "patterns": found, "causes": ordered}


def compute(run_dirs, out_dir, notes_path=None):
    """Builds the section from the runs' outcomes and writes explore.json;
    None when fewer than two runs have outcomes."""
    notes = load_notes(notes_path)
    runs = [r for r in (read_run(d) for d in run_dirs) if r]
    if len(runs) < 2:
        return None
    doc = dict(build(runs, space.load(), notes), sources=sources(run_dirs))
    explore_report.write_json(os.path.join(out_dir, JSON), doc)
    return doc


def current(run_dirs, out_dir):
    """The explore.json in out_dir if it was made from exactly these runs'
    outcome files (the same releases, the same bytes), else None and why."""
    path = os.path.join(out_dir, JSON)
    if not os.path.isfile(path):
        return None, None
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return None, f"{path} is unreadable ({e})"
    have = sources(run_dirs)
    if not isinstance(doc, dict) or doc.get("sources") != have or len(have) < 2:
        return None, f"{path} was made from other runs' outcomes than these"
    return doc, None
