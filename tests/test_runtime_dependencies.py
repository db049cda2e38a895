"""`make demo` installs the runtime dependencies only: every package that code under src/
imports must come with them (declared in pyproject.toml, or required by one that is), not
only with the dev tools the test suite runs with."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "heliograph"


def imported_top_names() -> dict[str, str]:
    """Each top-level module imported under src/ (outside heliograph), with one place."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                found.setdefault(top, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions() -> set[str]:
    """The declared runtime dependencies and everything they require, transitively."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pending = [Requirement(text) for text in declared]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = _canonical(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        wanted = set(requirement.extras)
        for text in distribution(requirement.name).requires or []:
            required = Requirement(text)
            marker = required.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in wanted or {""}):
                pending.append(required)
    return seen


def test_every_package_src_imports_is_installed_by_make_demo():
    provided_by = packages_distributions()
    runtime = runtime_distributions()
    missing = []
    for module, where in imported_top_names().items():
        if module == "heliograph" or module in sys.stdlib_module_names:
            continue
        owners = {_canonical(owner) for owner in provided_by.get(module, [])}
        if not owners & runtime:
            missing.append(f"{module} ({where}; from {sorted(owners) or 'nothing installed'})")
    assert not missing, "imported under src/ but not a runtime dependency: " + ", ".join(missing)


def test_the_check_sees_an_import_that_only_the_dev_tools_bring():
    # playwright comes with the dev extras only: were src/ to import it, the check must say so.
    owners = {_canonical(owner) for owner in packages_distributions()["playwright"]}
    assert owners and not owners & runtime_distributions()
