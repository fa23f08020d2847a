"""The Python side is one package: no file edits sys.path, no two modules
share a name, and the package's imports form no cycle (read with ast, so
lazy imports inside functions count too)."""
import ast
import os
import subprocess
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "sockreuse"


def python_files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                          "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [p for p in out.split() if os.path.exists(os.path.join(ROOT, p))]


def module_name(path):
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path):
    """What `path` imports, as (module, name) pairs: `import a.b` gives
    ("a.b", None), `from a import b` gives ("a", "b"), relative ones resolved."""
    tree = ast.parse(open(os.path.join(ROOT, path)).read(), path)
    me = module_name(path)
    package = me if path.endswith("__init__.py") else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((a.name, None) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.update((base, a.name) for a in node.names)
    return {(m, n) for m, n in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def empty_init(path):
    """A package's __init__ with no imports of its own: importing one of its
    modules runs it, but it cannot close a cycle."""
    if not path.endswith("__init__.py"):
        return False
    tree = ast.parse(open(os.path.join(ROOT, path)).read(), path)
    return not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))


def graph(files):
    modules = {module_name(p): p for p in files if p.startswith(PACKAGE + "/")}
    edges = defaultdict(set)
    for name, path in modules.items():
        for base, attr in imports_of(path):
            # `from pkg import mod` depends on mod; `from mod import f` on mod.
            target = f"{base}.{attr}" if attr and f"{base}.{attr}" in modules else base
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules and target != name and not empty_init(modules[target]):
                edges[name].add(target)
    return modules, edges


def cycles(modules, edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    return out


def test_no_file_edits_sys_path():
    edits = []
    for path in python_files():
        tree = ast.parse(open(os.path.join(ROOT, path)).read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "path" \
                    and isinstance(node.value, ast.Name) and node.value.id == "sys":
                edits.append(f"{path}:{node.lineno}")
    assert edits == [], "sys.path is used (run modules with python3 -m from the root): " \
        + ", ".join(edits)


def test_no_two_modules_share_a_name():
    """Across the repository (the package, bench/, tests/): a module's name
    says which one it is. pytest's conftest.py and packages' __init__.py are
    named by convention."""
    by_name = defaultdict(list)
    for path in python_files():
        name = os.path.basename(path)[:-3]
        if name not in ("__init__", "conftest"):
            by_name[name].append(path)
    assert {n: p for n, p in by_name.items() if len(p) > 1} == {}


def test_the_package_has_no_import_cycle():
    modules, edges = graph(python_files())
    assert len(modules) > 50  # the walk found the package
    assert cycles(modules, edges) == []


def test_the_cycle_check_can_fail():
    modules = {"a": "", "b": "", "c": ""}
    assert cycles(modules, {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert cycles(modules, {"a": {"b"}, "b": {"c"}}) == []


def test_no_import_renames_a_module_of_the_package():
    """A module's name says what it is: `from sockreuse.x import y as z`
    would hide it."""
    renamed = []
    modules, _ = graph(python_files())
    for path in python_files():
        tree = ast.parse(open(os.path.join(ROOT, path)).read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and \
                    (node.level or (node.module or "").startswith(PACKAGE)):
                base = node.module or ""
                if node.level:
                    me = module_name(path)
                    pkg = me if path.endswith("__init__.py") else me.rpartition(".")[0]
                    base = ".".join(pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                                    + ([base] if base else []))
                renamed += [f"{path}:{node.lineno} {a.name} as {a.asname}"
                            for a in node.names if a.asname and f"{base}.{a.name}" in modules]
    assert renamed == []
