"""System checks: every indicator key the dashboard and the drafting name is declared, so a
mistyped key fails `manage.py check` instead of silently dropping a figure or a paragraph."""

import ast
import inspect
import re

from django.core import checks

KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _keys_named_in(module) -> set[str]:
    """String constants of a module's source that have the shape of an indicator key."""
    tree = ast.parse(inspect.getsource(module))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value)
    }


@checks.register()
def check_indicator_keys(app_configs=None, **kwargs):
    from brigade.figures import registry
    from reports import dashboard, drafting

    declared = set(registry.keys())
    used = {
        "reports.dashboard": set(dashboard.KEY_FIGURES + dashboard.COMPARE)
        | {k for _, keys in dashboard.TRENDS + dashboard.BREAKDOWNS for k in keys},
        "reports.drafting": _keys_named_in(drafting),
    }
    return [
        checks.Error(f"{where} 使用了未声明的指标 {key!r}", hint="指标在各应用的 indicators.py 中声明", id="reports.E001")
        for where, keys in used.items()
        for key in sorted(keys - declared)
    ]
