"""Where the repository's own folders are, found from this package's place in
it (the same layout on a host and at /opt/sockreuse in a guest)."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "results")
BUILD = os.path.join(REPO, "build")
