"""The import rules of docs/architecture.md, checked on the source: layers point one way, no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("streams", "detectors", "alerts")
KAFKA_CLIENTS = ("faust", "aiokafka", "kafka")
MAY_IMPORT = {"detectors": {"detectors"}, "alerts": {"alerts", "detectors"}, "streams": set(PACKAGES)}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Every absolute import of the module, and whether it sits at module level."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
    return found


MODULES = _modules()


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_the_layers_below(package: str) -> None:
    wrong = [
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        if name.split(".")[0] == package
        for imported, _ in _imports(path)
        if imported.split(".")[0] in PACKAGES
        and imported.split(".")[0] not in MAY_IMPORT[package]
        or package != "streams"
        and imported.split(".")[0] in KAFKA_CLIENTS
    ]
    assert wrong == []


def test_no_import_cycles_and_no_project_imports_inside_functions() -> None:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    inside = []
    for name, path in MODULES.items():
        for imported, at_top in _imports(path):
            if imported in MODULES:
                graph[name].add(imported)
                if not at_top:
                    inside.append(f"{name} imports {imported} inside a function")
    assert inside == []
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in graph:
        if start not in state:
            visit(start, [start])
    assert cycles == []
