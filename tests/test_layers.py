"""Imports flow one way (docs/README.md): the data apps build on `brigade`, `reports` on the data
apps, and nothing imports `reports`. A module importing against the flow fails here, naming it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_APPS = ("enforcement", "mediation", "publicity")
# What each package may import of the project's own packages.
ALLOWED = {
    "brigade": {"brigade"},
    **{app: {"brigade", app} for app in DATA_APPS},
    "reports": {"brigade", "reports", *DATA_APPS},
}
OWN = set(ALLOWED)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OWN


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package):
    wrong = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # a data migration may name another app's models by label, not import them
        against = _imports(path) - ALLOWED[package]
        if against:
            wrong[str(path.relative_to(ROOT))] = sorted(against)
    assert not wrong, f"imports against the flow (data apps → brigade; reports → data apps): {wrong}"
