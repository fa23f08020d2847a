"""clang-tidy's verdicts on translation units it already found clean, kept in
.cache/tidy/ so that --selftest re-checks only what changed (clang-tidy over
every file took 5.6 minutes of the self-test, docs/measurements.md).

A verdict is keyed by everything clang-tidy's answer depends on: its version,
the committed .clang-tidy, the file's compile command, and the translation
unit as the preprocessor expands it (every header it includes, the project's
and the system's, byte for byte). Only clean verdicts are kept: a file with
findings is checked again every time."""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, ".cache", "tidy")


def _commands(build):
    with open(os.path.join(build, "compile_commands.json")) as f:
        return {os.path.realpath(e["file"]): e for e in json.load(f)}


def _argv(entry):
    """The compile command without its output (-o FILE) and -c."""
    argv = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != "-c":
            out.append(a)
    return out


def key(entry, build, tidy_version, config):
    """The verdict's key, or None when the file cannot be expanded (then it
    is simply checked). The flags count (compiler warnings are clang-tidy
    findings too), with the build folder's path, a fresh temporary folder
    each run, written as a placeholder."""
    argv = _argv(entry)
    r = subprocess.run(argv + ["-E", "-P"], cwd=entry["directory"], capture_output=True)
    if r.returncode != 0:
        return None
    flags = " ".join(argv).replace(os.path.realpath(build), "<build>").replace(build, "<build>")
    h = hashlib.sha256()
    for part in (tidy_version.encode(), config, flags.encode(), r.stdout):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def split(sources, build, jobs):
    """(unchecked sources, {source: key}) — the sources without a clean
    verdict for their current key, and every source's key (None: uncacheable)."""
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True,
                             text=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy"), "rb") as f:
        config = f.read()
    commands = _commands(build)

    def one(s):
        entry = commands.get(os.path.realpath(s))
        return key(entry, str(build), version, config) if entry else None

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        keys = dict(zip(sources, pool.map(one, sources)))
    todo = [s for s in sources if not keys[s] or not os.path.exists(os.path.join(CACHE, keys[s]))]
    return todo, keys


def remember_clean(sources, keys):
    os.makedirs(CACHE, exist_ok=True)
    for s in sources:
        if keys.get(s):
            with open(os.path.join(CACHE, keys[s]), "w") as f:
                f.write(os.path.relpath(s, ROOT) + "\n")
