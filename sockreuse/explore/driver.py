"""./run_tests.sh --explore: every sequence of explore/space.yaml (or the -k
slice) on the running kernel, compared with the nearest baseline under
results/explore/; writes results/runs/<release>/explore.json, the Explorer
section of summary.md and explore-outcomes.txt.gz (every sequence's key and
outcome). Exits 0 when nothing differs, 1 when something differs or broke."""
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from sockreuse.paths import EXPECTED, REPO

from sockreuse.explore import baseline, explore_report, patterns, select, space
from sockreuse.model import explore_check
from sockreuse.expect import table_choice
from sockreuse import files
from sockreuse.expect import tables
from sockreuse.expect import vocabulary
from sockreuse import cli
from sockreuse.errors import EXIT_FAILED
from sockreuse.errors import EXIT_USAGE, RunnerError

# Every bad input is bad usage (sockreuse/errors.py has the table).
EXIT_NO_MATCH = EXIT_NO_BASELINE = EXIT_NO_BINARY = EXIT_USAGE
OUTCOMES = "explore-outcomes.txt.gz"
# Every sequence that differed or broke, with the executor's detail (e.g. who
# held the port when a first socket's bind() was refused: explore/holders.h).
DETAILS = "explore-details.txt"


def model_section(sp_path, release, observed):
    """explore.json's `model`: how many sequences the model of the rules does
    not explain, as minimal patterns, with the features it used (the kernel's
    expected table's, or inferred from these outcomes when it has none)."""
    space_doc = space.read(sp_path)
    path, _ = table_choice.select(release, EXPECTED)
    declared = tables.load_delta(path).features if path else None
    if declared is None:
        features = explore_check.infer_features(space_doc, observed)
        source = "inferred from these outcomes"
    else:
        features, source = sorted(declared), f"declared by {os.path.basename(path)}"
    wrong = explore_check.unexplained(space_doc, observed, features)
    return {"features": features, "source": source, "unexplained": len(wrong)}, wrong


def fail(msg, code):
    print(f"sockreuse: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_args(argv):
    p = cli.OneLineParser(prog="run_tests.sh --explore", description=__doc__)
    p.add_argument("-k", dest="select", default="",
                   help="run a slice: e.g. 'tcp and timewait and not euid:other'")
    p.add_argument("-j", "--jobs", default=str(os.cpu_count() or 1),
                   help="shards (processes, each with its own topology)")
    p.add_argument("--record", action="store_true",
                   help="write the observed outcomes as this kernel's baseline")
    p.add_argument("--expect", help="compare with (or record into) this baseline file")
    p.add_argument("--baseline-dir", default=baseline.DIR)
    p.add_argument("--results-dir", help="default results/runs/<release>")
    p.add_argument("--kernel-release", help="pretend this `uname -r` (tests)")
    p.add_argument("--explore-bin", default=os.path.join(REPO, "build", "sockreuse_explore"))
    p.add_argument("--shuffle", type=int, metavar="SEED",
                   help="run the sequences in a random order (self-test of order independence)")
    p.add_argument("--wait-scale", help="multiply every harness wait bound (10 s) by this")
    p.add_argument("--space", default=space.SPACE_FILE)
    p.add_argument("--outcomes-only", action="store_true",
                   help="run and write the outcomes, compare with nothing (a guest whose "
                        "baseline the host records: sockreuse/boot/matrix.py)")
    p.add_argument("--from-outcomes", metavar="FILE",
                   help="take the outcomes from a run's explore-outcomes.txt.gz instead of "
                        "running (with --record and --kernel-release: record a guest's run)")
    p.add_argument("--no-lock", action="store_true",
                   help="do not lock the results folder (a guest whose host holds the lock)")
    a = p.parse_args(argv)
    try:
        a.jobs = cli.positive_int("-j", a.jobs, " of shards")
        cli.wait_scale_setting(a.wait_scale)
    except RunnerError as e:
        fail(str(e), e.code)
    return a


def execute(binary, sp, keys, jobs, results_dir):
    """Runs the executor; returns {key: (status, token, control, detail)}.
    Its input and output stay in the results folder when it fails."""
    workdir = tempfile.mkdtemp(prefix="explore-work-", dir=results_dir)
    inp, out = os.path.join(workdir, "explore-input.txt"), os.path.join(workdir, "explore-out.txt")
    with open(inp, "w") as f:
        f.write("\n".join(space.legend(sp)) + "\n")
        # A triple's key has 15 values (explore/input.h: its `tri` line).
        f.writelines(f"{'tri' if k.count(' ') == 14 else 'seq'} {i} {k}\n"
                     for i, k in enumerate(keys))
    r = subprocess.run([binary, "--input", inp, "--output", out, "--shards", str(jobs)])
    if r.returncode != 0:
        fail(f"the explorer executor failed (exit {r.returncode}); see the lines above; its "
             f"input and the shards' outcomes so far are kept in "
             f"{os.path.relpath(workdir, os.getcwd())}", EXIT_FAILED)
    results = {}
    with open(out) as f:
        for line in f:
            i, status, token, control, detail = line.rstrip("\n").split("\t", 4)
            results[keys[int(i)]] = (status, token, control, detail)
    shutil.rmtree(workdir)
    if len(results) != len(keys):
        fail(f"the executor returned {len(results)} results for {len(keys)} sequences",
             EXIT_FAILED)
    return results


def read_outcomes(path, keys):
    """A run's outcomes file as executor results (every one status ok)."""
    got = {}
    try:
        with gzip.open(path, "rt") as f:
            for line in f:
                if not line.startswith("#"):
                    k, _, token = line.rstrip("\n").partition("\t")
                    got[k] = ("ok", token, "ok", "")
    except OSError as e:
        fail(f"{path}: cannot read the outcomes: {e}", EXIT_USAGE)
    missing = [k for k in keys if k not in got]
    if missing:
        fail(f"{path} has no outcome for {len(missing)} sequences (first: '{missing[0]}')",
             EXIT_USAGE)
    return got


def write_outcomes(path, keys, observed):
    with gzip.open(path, "wt", compresslevel=1) as f:
        f.write("# key TAB outcome token (explore/space.yaml; README \"Explorer\")\n")
        f.writelines(f"{k}\t{observed[k]}\n" for k in keys if k in observed)


def write_details(path, differing, results, errors):
    """DETAILS: one line per differing or broken sequence, key TAB observed TAB
    expected TAB control TAB detail; returns [(key, line text)] of those the
    executor said something about. A clean run removes an earlier run's file,
    which would otherwise read as this run's."""
    if not differing:
        if os.path.exists(path):
            os.remove(path)
        return []
    said = []
    with open(path, "w") as f:
        f.write("# key TAB observed TAB expected TAB control TAB detail "
                "(docs/explorer.md, \"When a run fails\")\n")
        for k, (obs, exp) in sorted(differing.items()):
            _, _, control, detail = results[k]
            detail = errors.get(k, detail)
            f.write(f"{k}\t{obs}\t{exp}\t{control}\t{detail}\n")
            if detail:
                said.append((k, f"{obs} (expected {exp}): {detail}"))
    return said


def harness_problem(status, token, control, detail, vocab):
    """Why a result cannot stand as an observation, or None (as the suite's
    verdict.py does for a case)."""
    if status == "error":
        return detail
    if not vocab.knows(token):
        return f"outcome token '{token}' is not in {os.path.relpath(vocab.path, REPO)}"
    if vocabulary.is_conflict(token) and control != "ok":
        return (f"positive control failed: with the blocker gone the same call gave "
                f"'{control or 'nothing'}'")
    return None


class Shape:
    """One shape's part of a run: its Space, every key in the space's order,
    the selected keys, and its baseline (pairs in the baseline folder,
    triples in its triples/ folder: baseline.shape_dir)."""

    def __init__(self, sp, order, keys):
        self.space, self.order, self.keys = sp, order, keys
        self.base_path, self.warning, self.expected, self.comments = None, None, {}, []
        self.base_name = None
        self._u = None

    def find_baseline(self, a, release):
        directory = baseline.shape_dir(a.baseline_dir, self.space.shape)
        if a.outcomes_only:
            return
        if a.expect:
            self.base_path = baseline.shape_file(os.path.abspath(a.expect), self.space.shape)
        else:
            self.base_path, self.warning = baseline.select(release, directory)
        if self.base_path and os.path.isfile(self.base_path):
            self.expected, self.comments = baseline.read(self.base_path)
        elif not (a.record or a.outcomes_only):
            fail(f"no explorer baseline of the {self.space.shape} for kernel {release} in "
                 f"{os.path.relpath(directory, REPO)}: record one with ./run_tests.sh "
                 "--explore --record (then review it)", EXIT_NO_BASELINE)
        self.base_name = baseline.name_of(self.base_path) if self.base_path else None

    def record(self, a, series, release, observed):
        """Merges this shape's observed outcomes into its baseline (this
        kernel's file only; another kernel's is never rewritten)."""
        path = self.base_path if (a.expect or (self.base_path and self.warning is None)) else \
            os.path.join(baseline.shape_dir(a.baseline_dir, self.space.shape),
                         series + baseline.SUFFIX)
        old = dict(self.expected) if path == self.base_path else {}
        merged = dict(old)
        merged.update({k: observed[k] for k in self.keys if k in observed})
        known = set(self.order)
        stale = [k for k in merged if k not in known]
        for k in stale:
            del merged[k]
        try:
            size = baseline.write(path, series, release, merged, self.order,
                                  self.comments if path == self.base_path else (),
                                  dims=self.space.dims)
        except baseline.BaselineError as e:
            fail(str(e), EXIT_FAILED)
        changed = sum(1 for k in self.keys if k in observed and old.get(k) != observed[k])
        print(f"sockreuse: wrote {os.path.relpath(path, REPO)}: {len(merged)} {self.space.shape}, "
              f"{changed} changed, {len(stale)} removed, {size} bytes; review the changes "
              "(the patterns below) before committing")
        self.expected, self.base_name = old, (baseline.name_of(path) + " (before recording)")

    def universe(self):
        if self._u is None:
            self._u = patterns.Universe(self.space.dims, [tuple(k.split(" ")) for k in self.keys])
        return self._u

    def differing(self, observed, errors, skipped):
        """{index in keys: (observed, expected)}."""
        out = {}
        for i, k in enumerate(self.keys):
            if k in skipped:
                continue
            if k in errors:
                out[i] = ("error", self.expected.get(k, "none"))
            elif self.expected and self.expected.get(k) != observed[k]:
                out[i] = (observed[k], self.expected.get(k, "none"))
        return out


def main(argv=None):
    a = parse_args(argv)
    t0 = time.monotonic()
    if not a.from_outcomes and not os.access(a.explore_bin, os.X_OK):
        fail(f"no explorer binary at {a.explore_bin}: build it with ./run_tests.sh",
             EXIT_NO_BINARY)
    try:
        sp = space.load(a.space)
        preds = select.compile_shapes(a.select, sp.shapes())
    except (space.SpaceError, select.SelectError) as e:
        fail(str(e), EXIT_USAGE)
    # Each shape (pairs, triples) with its keys in the space's order and the selected ones.
    shapes = []
    for shp, pred in zip(sp.shapes(), preds):
        if pred is None:  # the expression names a dimension this shape lacks, in every branch
            continue
        combos = list(shp.sequences())
        order = [" ".join(c) for c in combos]
        chosen = [k for c, k in zip(combos, order) if pred(c)] if a.select else order
        if chosen:
            shapes.append(Shape(shp, order, chosen))
    keys = [k for s in shapes for k in s.keys]
    if not keys:
        fail(f"-k '{a.select}' selects no sequence of {os.path.relpath(a.space, REPO)}",
             EXIT_NO_MATCH)
    release = a.kernel_release or os.uname().release
    try:
        series = baseline.series_of(release)
        for s in shapes:
            s.find_baseline(a, release)
    except baseline.BaselineError as e:
        fail(str(e), EXIT_USAGE)
    warning = next((s.warning for s in shapes if s.warning), None)
    if warning:
        print(f"\nsockreuse: WARNING: {warning}\n", file=sys.stderr)
    results_dir = a.results_dir or os.path.join(REPO, "results", "runs", release)
    os.makedirs(results_dir, exist_ok=True)
    if not a.no_lock:  # held until the process ends, like the suite's own run
        files.FolderLock(results_dir, "the results folder").__enter__()

    run_keys = list(keys)
    if a.shuffle is not None:
        random.Random(a.shuffle).shuffle(run_keys)
    if a.from_outcomes:
        results = read_outcomes(a.from_outcomes, keys)
    else:
        print(f"sockreuse: running {len(keys)} explorer sequences in {a.jobs} shards",
              file=sys.stderr, flush=True)
        t_exec = time.monotonic()
        results = execute(a.explore_bin, sp, run_keys, a.jobs, results_dir)
    # The executor's own rate: sequences run per second, input and output included.
    ran_s = time.monotonic() - (t_exec if not a.from_outcomes else t0)

    vocab = vocabulary.load()
    known_tokens = {}

    class CachedVocab:  # one regex search per distinct token, not per sequence
        path = vocab.path

        @staticmethod
        def knows(token):
            if token not in known_tokens:
                known_tokens[token] = vocab.knows(token)
            return known_tokens[token]
    observed, errors, skipped = {}, {}, {}
    for k in keys:
        status, token, control, detail = results[k]
        if status == "skip":
            skipped[k] = detail
            continue
        problem = harness_problem(status, token, control, detail, CachedVocab)
        if problem:
            errors[k] = problem
        else:
            observed[k] = token
    outcomes_path = os.path.join(results_dir, OUTCOMES)
    if not a.from_outcomes or os.path.abspath(a.from_outcomes) != outcomes_path:
        write_outcomes(outcomes_path, keys, observed)

    if a.record:
        if errors:
            fail(f"{len(errors)} sequences had harness errors; nothing recorded "
                 f"(first: {next(iter(errors.items()))})", EXIT_FAILED)
        for s in shapes:
            s.record(a, series, release, observed)

    diffs, model = [], {"skipped": "outcomes only"}
    if not a.outcomes_only:
        model = {"features": None, "unexplained": 0}
    per_shape = [(s, s.differing(observed, errors, skipped)) for s in shapes]
    differing_n = sum(len(d) for _, d in per_shape)
    # Written before the patterns, whose search is the heavy part: a device
    # that cannot finish it still says which sequences broke and why.
    said = write_details(os.path.join(results_dir, DETAILS),
                         {s.keys[i]: pair for s, d in per_shape for i, pair in d.items()},
                         results, errors)
    for s, differing in per_shape:
        if a.outcomes_only:
            # A device's run (guest.py): the host that reads its outcomes
            # compares and finds the patterns; a 1 GiB guest has no memory
            # for a universe of 1.17M triples.
            continue
        if differing:
            diffs += [dict(d, shape=s.space.shape) for d in explore_report.differences(
                s.space, s.universe(), differing, [s.expected.get(k, "none") for k in s.keys])]
        mine = {k: observed[k] for k in s.keys if k in observed}
        part, wrong = model_section(a.space, release, mine)
        model.update(features=part["features"], source=part["source"])
        model["unexplained"] += part["unexplained"]
        model.setdefault("by_shape", {})[s.space.shape] = part["unexplained"]
        if wrong:
            index = {k: i for i, k in enumerate(s.keys)}
            # The model predicts no outcome for the others: a line is exact
            # among the sequences with its observed outcome.
            model.setdefault("patterns", []).extend(explore_report.differences(
                s.space, s.universe(), {index[k]: pair for k, pair in wrong.items()},
                [observed.get(k, "error") for k in s.keys], side=0))
    base_name = ", ".join(f"{s.base_name} ({s.space.shape})" for s in shapes)
    doc = {"kernel": {"release": release, "series": series, "warning": warning},
           "sequences": len(keys) - len(skipped), "baseline": base_name,
           "shapes": {s.space.shape: len(s.keys) for s in shapes},
           "differences": diffs, "model": model}
    wall = time.monotonic() - t0
    first_errors = {}
    for k, why in errors.items():
        first_errors.setdefault(why.split(":")[0], (k, why))
    extra = {"select": a.select, "differing": differing_n, "errors": len(errors),
             "skipped": len(skipped), "wall_s": round(wall, 1),
             # Outcomes read from a guest's run say nothing of this host's rate.
             "rate": None if a.from_outcomes else int(len(keys) / ran_s) if ran_s > 0 else 0,
             "shards": None if a.from_outcomes else a.jobs,
             "skip_reason": next(iter(skipped.values()), None),
             "error_examples": list(first_errors.values())[:10],
             "details_file": DETAILS if differing_n else None, "detail_examples": said[:10]}
    explore_report.write_json(os.path.join(results_dir, "explore.json"), doc)
    explore_report.write_summary(os.path.join(results_dir, "summary.md"), explore_report.markdown(doc, extra))

    ran = (f"outcomes read from {os.path.basename(a.from_outcomes)} ({wall:.1f} s here; the "
           "run's own rate is in its log)" if a.from_outcomes else
           f"in {ran_s:.1f} s ({extra['rate']} sequences/s, {a.jobs} shards; {wall:.1f} s in all)")
    print(f"sockreuse: explorer: {len(keys)} sequences on {release} ("
          + ", ".join(f"{len(s.keys)} {s.space.shape}" for s in shapes) + f"), {ran}; "
          f"baseline {base_name}: "
          f"{differing_n} differ in {len(diffs)} patterns, {len(errors)} errors, "
          f"{len(skipped)} skipped")
    for d in diffs[:40]:
        print(f"  {d['pattern']}")
    if len(diffs) > 40:
        print(f"  ... and {len(diffs) - 40} more patterns in explore.json")
    if "unexplained" in model:
        print(f"sockreuse: the model explains {len(observed) - model['unexplained']} of "
              f"{len(observed)} sequences (features {', '.join(model['features']) or 'none'}, "
              f"{model['source']})")
    for d in model.get("patterns", [])[:20]:
        print(f"  unexplained: {d['pattern']}")
    for k, text in said[:10]:
        print(f"  {k}: {text}")
    where = os.path.relpath(results_dir, os.getcwd())
    print(f"report: {where}/explore.json")
    if differing_n:
        print(f"every outcome: {where}/{OUTCOMES}; every differing or broken sequence with "
              f"its detail: {where}/{DETAILS}")
    if a.record:
        return 0
    return EXIT_FAILED if differing_n or errors else 0


if __name__ == "__main__":
    sys.exit(main())
