"""Where the repository's own folders are, found from this package's place in
it (the same layout on a host and at /opt/sockreuse in a guest)."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "results")
EXPECTED = os.path.join(RESULTS, "expected")  # the expected tables
BUILD = os.path.join(REPO, "build")


def shown(path):
    """A table's path as reports show it: relative to the repository, or its
    name when it lies elsewhere (never a host's or a guest's absolute path)."""
    if path is None:
        return None
    full = os.path.abspath(path)
    if full.startswith(REPO + os.sep):
        return os.path.relpath(full, REPO)
    return os.path.basename(full)
