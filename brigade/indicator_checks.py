"""System checks of the indicator declarations (`manage.py check`), after the ledgers' own
(brigade/ledger/checks.py, brigade.E100–E109): an indicator that counts a model that is no ledger,
sums a field it lacks, filters by a mistyped field or lookup or by a value its choice field does
not offer, or has no unit, fails at startup with the indicator's key and the attribute named —
instead of a server error on the dashboard, or worse a silent 0 in the annual report.

The names of reference data (a 违法行为 by name) live in the database: they are checked with
`manage.py check --database` (brigade.E118), as Django checks what needs a connection."""

import re

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, models
from django.db.models import Q

from brigade import figures
from brigade.figures import Indicator, Rate
from brigade.ledger import registry as ledgers

KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")  # area.name: the shape reports/checks.py looks for
NUMBERS = (models.IntegerField, models.DecimalField, models.FloatField)


def _error(item, attribute: str, message: str, number: int) -> checks.Error:
    return checks.Error(
        f"指标 {item.key!r}（{item.label}）的 {attribute}：{message}",
        hint="指标在各应用的 indicators.py 中声明（docs/figures.md）",
        obj=item.key,
        id=f"brigade.E{number:03d}",
    )


def conditions(q: Q):
    """(lookup, value) of every condition in `q`, negated or not."""
    for child in q.children:
        if isinstance(child, Q):
            yield from conditions(child)
        else:
            yield child


def resolve(model, lookup: str):
    """The field `lookup` ends at (through foreign keys) and the lookups applied to it:
    `violation_type__name__in` → (ViolationType.name, ["in"]). None for a missing field."""
    field, rest = None, []
    parts = lookup.split("__")
    for i, part in enumerate(parts):
        if field is not None and not field.is_relation:
            rest = parts[i:]
            break
        try:
            found = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            if field is None:
                return None, []
            rest = parts[i:]
            break
        field = found
        if found.is_relation:
            model = found.related_model
    return field, rest


def _values(value) -> list:
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def _check_where(item: Indicator) -> list[checks.Error]:
    errors = []
    model = item.model
    for lookup, value in conditions(item.where):
        field, rest = resolve(model, lookup)
        if field is None:
            errors.append(
                _error(
                    item,
                    "where",
                    f"{lookup!r}：模型 {model.__name__} 没有字段 {lookup.split('__')[0]!r}",
                    112,
                )
            )
            continue
        unknown = [p for p in rest if field.get_lookup(p) is None and field.get_transform(p) is None]
        if unknown or len(rest) > 1:
            errors.append(
                _error(
                    item, "where", f"{lookup!r}：字段 {field.name!r} 没有查询方式 {'__'.join(rest)!r}", 112
                )
            )
            continue
        if field.choices and rest in ([], ["exact"], ["in"]):
            allowed = [str(v) for v, _ in field.flatchoices]
            for v in _values(value):
                if str(v) not in allowed:
                    errors.append(_error(
                        item, "where",
                        f"{lookup!r} 的值 {v!r} 不是“{field.verbose_name}”的可选值（可选：{'、'.join(allowed)}）", 113,
                    ))  # fmt: skip
    return errors


def check_indicator(item, declared: dict) -> list[checks.Error]:
    """The errors of one declaration; `declared` is key → declaration (for a rate's parts)."""
    errors = []
    if not KEY.match(getattr(item, "key", "") or ""):
        errors.append(_error(item, "key", "应为“领域.名称”形式的小写英文标识（如 violations.drunk）", 117))
    if not str(getattr(item, "label", "") or "").strip():
        errors.append(_error(item, "label", "不能为空（报告和驾驶舱中显示的中文名称）", 115))
    if not str(getattr(item, "unit", "") or "").strip():
        errors.append(_error(item, "unit", "不能为空（如 起、次、人次、元）", 115))
    if isinstance(item, Rate):
        for attribute in ("numerator", "denominator"):
            part = declared.get(getattr(item, attribute))
            if not isinstance(part, Indicator):
                errors.append(
                    _error(item, attribute, f"{getattr(item, attribute)!r} 不是已声明的计数或合计指标", 116)
                )
        return errors
    model = item.model
    ledger = ledgers.for_model(model) if isinstance(model, type) else None
    if ledger is None:
        name = getattr(model, "__name__", repr(model))
        return [*errors, _error(item, "model", f"{name} 不是已声明的台账模型（见各应用的 ledgers.py）", 110)]
    if ledger.date_field is None:
        errors.append(
            _error(
                item, "model", f"台账 {ledger.kind!r} 没有日期字段（date_field），无法按年度、月份统计", 114
            )
        )
    if item.aggregate != "count":
        try:
            field = model._meta.get_field(item.aggregate)
        except FieldDoesNotExist:
            field = None
        if not isinstance(field, NUMBERS):
            errors.append(
                _error(
                    item,
                    "aggregate",
                    f'{item.aggregate!r} 应为 "count" 或模型 {model.__name__} 的数值字段',
                    111,
                )
            )
    return errors + _check_where(item)


@checks.register(checks.Tags.models)
def check_indicators(app_configs=None, **kwargs):
    declared = {item.key: item for item in figures.registry.all()}
    errors = []
    for item in declared.values():
        errors += check_indicator(item, declared)
    return errors


def check_reference_values(item) -> list[checks.Error]:
    """A condition on a reference list by name (violation_type__name="醉驾") names a row of it."""
    errors = []
    if not isinstance(item, Indicator) or not isinstance(item.model, type):
        return errors
    for lookup, value in conditions(item.where):
        field, rest = resolve(item.model, lookup)
        if field is None or field.choices or not lookup.count("__") or rest not in ([], ["exact"], ["in"]):
            continue
        if not isinstance(field, models.CharField) or field.model is item.model:
            continue
        known = set(field.model._default_manager.filter(**{f"{field.name}__in": _values(value)})
                    .values_list(field.name, flat=True))  # fmt: skip
        for v in _values(value):
            if v not in known:
                where = f"{field.model._meta.verbose_name}的{field.verbose_name}"
                errors.append(_error(item, "where", f"{lookup!r} 的值 {v!r} 不在{where}中", 118))
    return errors


@checks.register(checks.Tags.database)
def check_indicator_reference_values(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    try:
        return [e for item in figures.registry.all() for e in check_reference_values(item)]
    except DatabaseError:
        return []  # not migrated yet (the check runs before `migrate` too)
