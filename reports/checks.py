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
    from reports import dashboard, drafting, shortcomings

    declared = set(registry.keys())
    used = {
        "reports.dashboard": set(dashboard.KEY_FIGURES + dashboard.COMPARE)
        | {k for _, keys in dashboard.TRENDS for k in keys}
        | {key for _, key, _ in dashboard.BREAKDOWNS},
        "reports.drafting": _keys_named_in(drafting),
        "reports.shortcomings": _keys_named_in(shortcomings),
    }
    return [
        checks.Error(
            f"{where} 使用了未声明的指标 {key!r}",
            hint="指标在各应用的 indicators.py 中声明",
            id="reports.E001",
        )
        for where, keys in used.items()
        for key in sorted(keys - declared)
    ]


@checks.register()
def check_report_plan(app_configs=None, **kwargs):
    """Every part of the report's plan that the system drafts names a drafting function that exists."""
    from reports import drafting, shortcomings

    modules = {"drafting": drafting, "shortcomings": shortcomings}
    errors = []
    for part in drafting.DRAFTED:
        module, _, name = part.drafter.partition(":")
        if not callable(getattr(modules.get(module), name, None)):
            errors.append(checks.Error(
                f"reports.drafting.PLAN 的第 {part.key} 部分由 {part.drafter!r} 起草，但没有这个函数",
                hint="写作 “drafting:函数名” 或 “shortcomings:函数名”", id="reports.E002",
            ))  # fmt: skip
    return errors
