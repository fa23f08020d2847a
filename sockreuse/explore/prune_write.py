"""Rewrites explore/triples-kept.txt.xz, the triples' prune computed by the
model (sockreuse/explore/prune.py): run after changing the space file's
triples section, the model's bind rules or a table's features.

    /usr/bin/python3 -m sockreuse.explore.prune_write"""
import os

from sockreuse.explore import prune, space
from sockreuse.paths import REPO


def main():
    sp = space.load()
    tri = sp.triples
    n = prune.write(tri, space.read(sp.path), tri.dims.index(space.PRUNE_AFTER) + 1)
    print(f"wrote {os.path.relpath(prune.CACHE, REPO)}: {n} kept settings of sockets 1 and 2; "
          f"{tri.count()} triples")


if __name__ == "__main__":
    main()
