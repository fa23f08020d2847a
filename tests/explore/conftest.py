"""The explorer's modules import the runner's (atomic writes, the model): both
folders on the path, whichever of these tests runs alone."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for folder in ("runner", "explore"):
    if os.path.join(ROOT, folder) not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, folder))
