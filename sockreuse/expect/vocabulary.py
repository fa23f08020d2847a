"""The outcome vocabulary (results/vocabulary.yaml): every token a case may
print, each with its meaning. A token outside it is a suite bug."""
import os
import re
from dataclasses import dataclass

import yaml

from sockreuse import files
from sockreuse.errors import EXIT_USAGE, RunnerError

from sockreuse.paths import REPO
PATH = os.path.join(REPO, "results", "vocabulary.yaml")
CONFLICT = "EADDRINUSE"


@dataclass
class Entry:
    name: str      # the word, or the form ("<call>:<ERRNO>")
    meaning: str
    pattern: re.Pattern


class Vocabulary:
    def __init__(self, entries, path):
        self.entries = entries
        self.path = path

    def entry(self, token):
        """The entry a token belongs to, or None."""
        return next((e for e in self.entries if e.pattern.fullmatch(token)), None)

    def knows(self, token):
        return self.entry(token) is not None


def load(path=PATH):
    try:
        with open(path, encoding="utf-8") as f:
            raw = files.yaml_doc(f)
    except OSError as e:
        raise RunnerError(f"{path}: cannot read the outcome vocabulary: {e.strerror}", EXIT_USAGE)
    except yaml.YAMLError as e:
        # PyYAML's own message spans lines; the runner's errors are one line.
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        raise RunnerError(f"{path}:{mark.line + 1 if mark else 1}: the outcome vocabulary is "
                          f"not valid YAML ({getattr(e, 'problem', None) or 'syntax error'}): "
                          "fix the file", EXIT_USAGE)
    if not isinstance(raw, (list, type(None))):
        raise RunnerError(f"{path}: the outcome vocabulary must be a list of entries, each "
                          "`word` or `form` with `pattern`, and `meaning`", EXIT_USAGE)
    entries = []
    for i, item in enumerate(raw or [], 1):
        if not isinstance(item, dict) or "meaning" not in item or \
                ("word" in item) == ("form" in item) or ("form" in item) != ("pattern" in item):
            raise RunnerError(f"{path}: entry {i} must have `meaning` and either `word`, or "
                              "`form` with `pattern`", EXIT_USAGE)
        name = str(item.get("word", item.get("form")))
        try:
            pattern = re.compile(item["pattern"] if "form" in item else re.escape(name))
        except (re.error, TypeError) as e:
            raise RunnerError(f"{path}: entry {i} ({name}): `pattern` must be a regular "
                              f"expression: {e}", EXIT_USAGE)
        entries.append(Entry(name, str(item["meaning"]), pattern))
    return Vocabulary(entries, path)


def is_conflict(token):
    """A token reporting an address conflict, which needs a positive control."""
    return CONFLICT in (token or "")
