"""The store is the lowest layer: nothing under store/ imports the layers built on it."""

from __future__ import annotations

import ast
from pathlib import Path

import heliograph.store

STORE = Path(heliograph.store.__file__).parent
# The packages that use the store; an import of one from the store would be a cycle.
LAYERS_ABOVE = ("alerts", "api", "app", "asynclog", "cli", "gateway", "hql", "pipeline", "ui")
ABOVE_THE_STORE = frozenset(f"heliograph.{name}" for name in (*LAYERS_ABOVE, "webhooks"))


def imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            modules.append(node.module or "")
    return modules


def test_the_store_imports_no_layer_above_it():
    upward = [
        f"{path.name}: {module}"
        for path in sorted(STORE.glob("*.py"))
        for module in imported_modules(path)
        if ".".join(module.split(".")[:2]) in ABOVE_THE_STORE
    ]
    assert upward == []
    assert len(list(STORE.glob("*.py"))) > 10, "the store's modules were found"
