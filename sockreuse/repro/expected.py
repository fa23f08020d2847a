"""What a reproducer should print on each kernel series, for its header: a
case's row in each series' effective table (results/expected/base.yaml with
the series' delta laid over it, by sockreuse.expect), an explorer key's
line in each series' baseline (results/explore/, and triples/ for a
three-socket key)."""
import lzma
import os

from sockreuse.expect import show_table, table_choice, tables, vocabulary
from sockreuse.explore import baseline
from sockreuse.paths import EXPECTED, shown


def for_case(case_id, expected_dir=EXPECTED):
    """[(series, token or None, feature or None)]: base first, then every
    series with a delta, oldest first."""
    vocab = vocabulary.load()
    base = tables.load_base(table_choice.base_path(expected_dir), vocab)
    out = []
    for series in ["base", *show_table.deltas(expected_dir)]:
        table = base if series == "base" else tables.merge(
            base, tables.load_delta(os.path.join(expected_dir, series + ".yaml"), base, vocab))
        row = table.rows.get(case_id)
        out.append((series, row.expected if row else None, row.feature if row else None))
    return out


def token_in(path, key):
    """The key's token in one baseline file (its format: baseline.py), or
    None. A streamed search, not baseline.read(): a triples' file has a
    million lines and the header wants one of them."""
    needle = ("\n" + key + "\t").encode()
    tail = b"\n"
    try:
        with lzma.open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 22)
                if not chunk:
                    return None
                text = tail + chunk
                at = text.find(needle)
                if at >= 0:
                    rest = text[at + len(needle):]
                    while b"\n" not in rest:
                        more = f.read(1 << 16)
                        if not more:
                            break
                        rest += more
                    return rest.split(b"\n", 1)[0].decode()
                tail = text[-len(needle):]
    except (OSError, lzma.LZMAError) as e:
        raise baseline.BaselineError(f"{shown(path)}: cannot read the baseline: {e}")


def for_key(key, shape, directory=baseline.DIR):
    """[(series, token or None, None)] from every baseline of the key's shape."""
    folder = baseline.shape_dir(directory, shape)
    names = sorted((baseline.name_of(n) for n in os.listdir(folder)
                    if n.endswith(baseline.SUFFIX)), key=table_choice.version_key) \
        if os.path.isdir(folder) else []
    return [(name, token_in(os.path.join(folder, name + baseline.SUFFIX), key), None)
            for name in names]


def source_of(shape):
    """Where the expected outcomes come from, as the header says it."""
    if shape is None:
        return f"{shown(os.path.join(EXPECTED, 'base.yaml'))} + each series' delta"
    return shown(baseline.shape_dir(baseline.DIR, shape)) + "/<series>" + baseline.SUFFIX
