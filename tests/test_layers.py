"""Imports flow one way (docs/README.md): the data apps build on `brigade`, `reports` on the data
apps, and nothing imports `reports`; `sheets` (spreadsheet I/O) imports nothing of the project and
everything may import it. A module importing against the flow (by an import statement or by a
dotted path in a string) fails here, naming it."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_APPS = ("enforcement", "mediation", "publicity")
# What each package may import of the project's own packages.
ALLOWED = {
    "sheets": {"sheets"},
    "brigade": {"brigade", "sheets"},
    **{app: {"brigade", app, "sheets"} for app in DATA_APPS},
    "reports": {"brigade", "reports", *DATA_APPS, "sheets"},
    # The project package puts the apps together: it may name them all, and nothing names it.
    "fazhi": {"fazhi", "brigade", "reports", *DATA_APPS, "sheets"},
}
OWN = set(ALLOWED)


# Anywhere outside the project package (fazhi/: settings, root URLconf, WSGI) a dotted path in a
# string is an import too (import_module, include, a lazy reference) and counts as one.
COMPOSITION_ROOT: set[str] = set()
DOTTED = re.compile(r"^([a-z_]+)\.[a-z_.]+$")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and (m := DOTTED.match(node.value))
        ):
            found.add(m.group(1))
    return found & OWN


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package):
    wrong = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts or str(path.relative_to(ROOT)) in COMPOSITION_ROOT:
            continue  # a data migration may name another app's models by label, not import them
        against = _imports(path) - ALLOWED[package]
        if against:
            wrong[str(path.relative_to(ROOT))] = sorted(against)
    assert not wrong, f"imports against the flow (data apps → brigade; reports → data apps): {wrong}"


def test_the_sheets_package_loads_no_django():
    """Every module of sheets, its tests' helpers too, imported in a fresh interpreter loads neither
    Django nor the project: the child that reads an upload starts in a tenth of a second."""
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "sheets").rglob("*.py")
        if path.name != "__init__.py" and not path.name.startswith("test_")
    )
    assert {"sheets.read", "sheets.writer", "sheets.child"} <= set(modules), modules
    code = (
        f"import {', '.join(modules)}; import sys; "
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'django', 'brigade', 'reports'}); "
        "assert not loaded, loaded"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
