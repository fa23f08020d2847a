"""Explorer baselines: results/explore/<series>.txt.xz, one per kernel
series (or <release>.txt.xz for one exact release), for the pairs, and
results/explore/triples/<series>.txt.xz for the three-socket sequences: a
file per shape and kernel, so that recording one never rewrites another. Inside, xz-compressed
UTF-8 text: `#` comment lines (kept when re-recorded, except the generated
ones), then one line per sequence, "<key>\t<outcome token>", in the space's
order. The key is the sequence's values separated by spaces, in the order of
explore/space.yaml's dimensions (explorer.space.parse_key reads it)."""
import lzma
import os

from sockreuse.expect import table_choice
from sockreuse.errors import RunnerError

from sockreuse.paths import REPO
DIR = os.path.join(REPO, "results", "explore")
SUFFIX = ".txt.xz"
# A pairs' baseline is about 0.5 MB; the triples' (1.17 million lines) is
# larger: 4 MB leaves room for both without letting a broken recording
# (every key distinct noise) into the repository.
MAX_BYTES = 4 << 20
GENERATED = ("# kernel:", "# recorded from:", "# sequences:", "# format:", "#   ")


class BaselineError(Exception):
    pass


def series_of(release):
    """The release's series name ("6.12")."""
    try:
        return table_choice.series_name(release)
    except RunnerError as e:
        raise BaselineError(str(e)) from None


def select(release, directory=DIR):
    """(path, warning): the exact release's baseline, the series', or the
    nearest older series' with a warning; (None, None) when none fits."""
    try:
        path, nearest = table_choice.find(release, directory, SUFFIX)
    except RunnerError as e:
        raise BaselineError(str(e)) from None
    if not nearest:
        return path, None
    return path, (f"no explorer baseline for kernel {release}: comparing with the nearest "
                  f"older series, {os.path.relpath(path, REPO)}; differences may be real kernel "
                  "changes. Record one: ./run_tests.sh --explore --record")


def shape_dir(directory, shape):
    """Where a shape's baselines are: the pairs' in `directory`, others in a subfolder."""
    return directory if shape == "pairs" else os.path.join(directory, shape)


def shape_file(path, shape):
    """A shape's file beside a pairs' baseline given by path (--expect)."""
    return path if shape == "pairs" else os.path.join(os.path.dirname(path), shape,
                                                       os.path.basename(path))


def name_of(path):
    base = os.path.basename(path)
    return base[:-len(SUFFIX)] if base.endswith(SUFFIX) else base


def read(path):
    """(outcomes {key: token}, comment lines)."""
    try:
        with lzma.open(path, "rt", encoding="utf-8") as f:
            text = f.read()
    except (OSError, lzma.LZMAError) as e:
        raise BaselineError(f"{path}: cannot read the baseline: {e}")
    lines = text.split("\n")
    comments = [line for line in lines if line.startswith("#")]
    rows = [line for line in lines if line and not line.startswith("#")]
    try:
        outcomes = dict(line.split("\t") for line in rows)
    except ValueError:
        bad = next(n for n, line in enumerate(lines, 1)
                   if line and not line.startswith("#") and line.count("\t") != 1)
        raise BaselineError(f"{path}:{bad}: a line is '<key>\\t<token>'")
    if len(outcomes) != len(rows):
        raise BaselineError(f"{path}: {len(rows) - len(outcomes)} duplicate keys")
    return outcomes, comments


PAIR_DIMS = ("proto", "state", "when", "a1", "o1", "d1", "a2", "o2", "d2", "euid")


def write(path, kernel, release, outcomes, order, comments=(), dims=PAIR_DIMS):
    """outcomes {key: token} written in `order` (the space's key order)."""
    kept = [c for c in comments if c.startswith("#") and not c.startswith(GENERATED)]
    head = kept or ["# sockreuse explorer baseline: the outcome of every sequence of "
                    "explore/space.yaml on one kernel series.",
                    "# Review it like a table (README \"Explorer\") before committing."]
    head += [f"# kernel: {kernel}", f"# recorded from: {release}",
             f"# sequences: {len(outcomes)}",
             "# format: <key> TAB <outcome token>; the key's values are, in order:",
             f"#   {' '.join(dims)} (explore/space.yaml)"]
    lines = head + [f"{k}\t{outcomes[k]}" for k in order if k in outcomes]
    data = ("\n".join(lines) + "\n").encode()
    packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    if len(packed) > MAX_BYTES:
        raise BaselineError(f"{path}: {len(packed)} bytes compressed, more than the "
                            f"{MAX_BYTES} allowed")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(packed)
    return len(packed)
