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
        "reports.dashboard": set(dashboard.DASHBOARD.keys),
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
def check_dashboard(app_configs=None, **kwargs):
    """The dashboard's declaration (reports/dashboard.py) can be drawn: a trend is a count by month
    (a rate has no monthly sum), and a breakdown's field is one its indicator declares (`by`)."""
    from brigade.figures import Rate, registry
    from reports.dashboard import DASHBOARD

    errors = []
    for trend in DASHBOARD.trends:
        for key in trend.keys:
            if key in registry.keys() and isinstance(registry.get(key), Rate):
                errors.append(
                    checks.Error(
                        f"驾驶舱趋势图“{trend.title}”中的 {key!r} 是比率，不能按月相加",
                        hint="趋势图只画件数、人次等计数指标",
                        id="reports.E004",
                    )
                )
    for b in DASHBOARD.breakdowns:
        if b.key not in registry.keys():
            continue
        by = getattr(registry.get(b.key), "by", ())
        if b.field not in by:
            errors.append(
                checks.Error(
                    f"驾驶舱构成表“{b.title}”按 {b.field!r} 分组，但指标 {b.key!r} 没有声明这个分组字段",
                    hint=f"在指标的 by=(...) 中声明；现有：{', '.join(by) or '无'}",
                    id="reports.E003",
                )
            )
    return errors


def _keys_named_by(func) -> set[str]:
    """Indicator keys a drafter's source names, itself or in the module constants it reads."""
    module = inspect.getmodule(func)
    tree = ast.parse(_dedented(func))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    found = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value)
    }
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, list | tuple | dict) and name.isupper():
            found |= {k for k in re.findall(r"'([a-z_]+\.[a-z_]+)'", repr(value)) if KEY.match(k)}
    return found


def _dedented(func) -> str:
    import textwrap

    return textwrap.dedent(inspect.getsource(func))


@checks.register()
def check_documents(app_configs=None, **kwargs):
    """Every declared document (reports/documents.py) is whole: known levels and period rule,
    parts with unique keys under a heading, drafters that are callables of the drafting facts,
    the keys each part states declared as indicators and naming every key its drafter states,
    the template a file that exists, the roles known."""
    from brigade.figures import registry
    from reports import documents

    declared = set(registry.keys())
    errors = []

    def error(doc, text, hint, code):
        errors.append(checks.Error(f"文书 {doc.kind!r}：{text}", hint=hint, id=f"reports.{code}"))

    for doc in documents.all_kinds():
        if not doc.levels or set(doc.levels) - set(documents.LEVELS):
            error(doc, f"适用层级 {doc.levels!r} 不对", f"可选：{', '.join(documents.LEVELS)}", "E010")
        if doc.period not in documents.PERIODS:
            error(doc, f"期间规则 {doc.period!r} 不对", f"可选：{', '.join(documents.PERIODS)}", "E011")
        for role in (doc.drafts, doc.signs):
            if role not in documents.ROLE_PERMISSIONS:
                error(
                    doc, f"角色权限 {role!r} 不对", f"可选：{', '.join(documents.ROLE_PERMISSIONS)}", "E012"
                )
        if not doc.template.is_file():
            error(doc, f"Word模板 {doc.template} 不存在", "模板放在 reports/templates_docx/", "E013")
        if not callable(doc.opening):
            error(doc, "开头段 opening 不是函数", "opening(*, coverage, year, addressee) -> str", "E014")
        keys = [p.key for p in doc.parts]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            error(doc, f"部分 {key!r} 重复", "每个部分的 key 唯一", "E015")
        for n, part in enumerate(doc.parts):
            if part.level not in (documents.LEVEL1, documents.LEVEL2) or (
                part.level == documents.LEVEL2 and not any(p.level == documents.LEVEL1 for p in doc.parts[:n])
            ):
                error(
                    doc, f"部分 {part.key!r} 的层级不对", "LEVEL1 是“一、”，LEVEL2 是其下的“（一）”", "E016"
                )
            if part.drafter is not None and not callable(part.drafter):
                error(
                    doc,
                    f"部分 {part.key!r} 的起草函数 {part.drafter!r} 不是函数",
                    "写函数本身，不写字符串",
                    "E017",
                )
                continue
            for key in sorted(set(part.states) - declared):
                error(
                    doc,
                    f"部分 {part.key!r} 陈述了未声明的指标 {key!r}",
                    "指标在各应用的 indicators.py 中声明",
                    "E018",
                )
            if part.drafter is not None:
                for key in sorted(_keys_named_by(part.drafter) - set(part.states)):
                    error(
                        doc,
                        f"部分 {part.key!r} 的起草函数 {part.drafter_name} 陈述了指标 {key!r}，声明中未列出",
                        "在该部分的 states 中列出它陈述的每个指标",
                        "E019",
                    )
    return errors
