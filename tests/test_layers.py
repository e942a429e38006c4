"""The package's structure, checked: which layer may import which, no import cycles, no file over 300 lines.

Lower layers never import higher ones (``db`` knows nothing of queries, the network or training; the
report is a view that runs no model), so each can be read, tested and replaced on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "relpool"
MAX_LINES = 300

# Each top-level module or package, and the relpool packages it may import.
BASE = {"errors", "suggest", "arrays", "files"}
ALLOWED = {
    "errors": set(),
    "suggest": set(),
    "arrays": set(),
    "files": {"errors"},
    "tasks": {"errors"},
    "tracking": {"errors"},
    "db": {"errors", "suggest"},
    "encode": {"db", "errors", "arrays"},
    "graph": {"db", "arrays"},
    "query": {"db", "tasks", "errors", "suggest"},
    "nn": {"graph", "tasks"},
    "synth": {"db", "tasks", "errors", "files"},
    "autofeat": {"db", "encode", "query"},
    "baselines": {"autofeat", "db", "encode", "query", "tasks", "errors", "files"},
    "report": {"db", "query", "tasks", "files", "errors"},
    "train": {"autofeat", "baselines", "db", "encode", "graph", "nn", "query", "tasks", "tracking", *BASE},
    "workflow": {"autofeat", "db", "query", "tasks", "train", "baselines", "report", *BASE},
    "sinks": {"db", "errors", "files"},
    "api": {"sinks", "tracking", "train", "workflow"},
    "serve": {"query", "train", "errors"},
    "commands": {
        "api",
        "db",
        "query",
        "report",
        "serve",
        "sinks",
        "synth",
        "tasks",
        "train",
        "workflow",
        "errors",
        "files",
    },
    "cli": {"commands", "errors", "train"},
    "__init__": {"api", "errors", "train"},
    "__main__": {"cli"},
}


def _modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in SRC.rglob("*.py")
    }


def _imports(path: Path, module: str) -> set[str]:
    """relpool modules ``path`` imports, at any depth (lazy imports inside functions count too; imports for
    type checkers only, under ``if TYPE_CHECKING:``, do not run and do not count)."""
    out = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for guard in ast.walk(tree)
        if isinstance(guard, ast.If) and isinstance(guard.test, ast.Name) and guard.test.id == "TYPE_CHECKING"
        for stmt in guard.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("relpool"):
                out.add(base)
                out.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("relpool"))
    return out


MODULES = _modules()
GRAPH = {m: {i for i in _imports(p, m) if i in MODULES and i != m} for m, p in MODULES.items()}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_the_layers_below_it(module):
    own = _top(module)
    assert own in ALLOWED, f"{module}: a new top-level module; give it a place in ALLOWED"
    wrong = sorted(i for i in GRAPH[module] if _top(i) != own and _top(i) not in ALLOWED[own])
    assert not wrong, f"{module} imports {wrong}, above or beside its layer ({own} may import {sorted(ALLOWED[own])})"


def test_no_import_cycles():
    """Tarjan's strongly connected components over every import, lazy ones included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            # a package importing its own submodules (its __init__ re-exporting them) is not a cycle of design
            if len(component) > 1 and not all(
                c.startswith(min(component, key=len) + ".") or c == min(component, key=len) for c in component
            ):
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_source_file_is_over_300_lines(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module]} has {lines} lines; split it by job"
