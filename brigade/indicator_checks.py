"""System checks of the indicator declarations (`manage.py check`), after the ledgers' own
(brigade/ledger/checks.py, brigade.E100–E109): an indicator that counts a model that is no ledger,
sums a field it lacks, filters by a mistyped field or lookup or by a value its choice field does
not offer, or has no unit, fails at startup with the indicator's key and the attribute named —
instead of a server error on the dashboard, or worse a silent 0 in the annual report.

What a figure means is checked too (brigade.E119–E122): a workload has no direction, an outcome
has one, and every direction carries its reason; so a count that merely follows another (回访
follows 接警) can never be listed as a shortcoming. The fields a figure is broken down by must be
its model's own columns (E123).

The names of reference data (a 违法行为 by name) live in the database: they are checked with
`manage.py check --database` (brigade.E118), as Django checks what needs a connection."""

import re

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, models
from django.db.models import Q

from brigade import figures
from brigade.figures import KINDS, OUTCOME, RATE, WORKLOAD, Indicator, Rate
from brigade.ledger import registry as ledgers

KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")  # area.name: the shape reports/checks.py looks for
NUMBERS = (models.IntegerField, models.DecimalField, models.FloatField)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
SENSE = {True: "越高越好", False: "越低越好"}


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
                    errors.append(
                        _error(
                            item,
                            "where",
                            f"{lookup!r} 的值 {v!r} 不是“{field.verbose_name}”的可选值（可选：{'、'.join(allowed)}）",
                            113,
                        )
                    )
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
    errors += _check_sense(item)
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
    return errors + _check_where(item) + _check_by(item)


def _check_sense(item) -> list[checks.Error]:
    """What the figure means (docs/figures.md, 指标的三类): a workload has no direction, an
    outcome has one, and a direction has its one-line Chinese reason."""
    kind = getattr(item, "kind", None)
    higher = getattr(item, "higher_is_better", None)
    if kind not in (*KINDS, RATE) or (kind == RATE) != isinstance(item, Rate):
        return [_error(item, "kind", f'{kind!r} 应为 "workload"（工作量）或 "outcome"（结果）', 122)]
    if not (higher is True or higher is False or higher is None):
        return [_error(item, "higher_is_better", f"{higher!r} 应为 True、False 或 None（better=）", 119)]
    if kind == WORKLOAD and higher is not None:
        return [
            _error(
                item,
                "higher_is_better",
                f'工作量（kind="workload"）随需求多少而定，不分好坏，不能声明方向（better={higher}）；'
                '跟随另一个数字的计数（如回访跟随接警）由比率评判，确有好坏的结果声明为 kind="outcome"',
                119,
            )
        ]
    if kind == OUTCOME and higher is None:
        return [
            _error(
                item,
                "higher_is_better",
                '结果（kind="outcome"）必须声明方向（better=True 越高越好，或 better=False 越低越好）；'
                '没有好坏方向的数字是工作量（kind="workload"）',
                120,
            )
        ]
    why = getattr(item, "why", "")
    if higher is not None:
        if not isinstance(why, str) or not why.strip():
            return [
                _error(item, "why", f'声明了方向（{SENSE[higher]}），须用一句中文写明理由（why="……"）', 121)
            ]
        if "\n" in why.strip() or not CHINESE.search(why):
            return [_error(item, "why", f"{why!r} 应为一行中文（为什么{SENSE[higher]}）", 121)]
    return []


def _check_by(item: Indicator) -> list[checks.Error]:
    """Each breakdown field is a column of the model's own: a value or a foreign key."""
    by, model = getattr(item, "by", ()), item.model
    if isinstance(by, str) or not isinstance(by, tuple | list):
        return [_error(item, "by", f'{by!r} 应为字段名的元组（如 by=("kind",)）', 123)]
    errors = []
    for name in by:
        if name == figures.MONTH:
            errors.append(_error(item, "by", f"{name!r}：按月分解总是可用，不必声明", 123))
            continue
        try:
            field = model._meta.get_field(name) if isinstance(name, str) else None
        except FieldDoesNotExist:
            field = None
        if field is None:
            errors.append(_error(item, "by", f"{name!r}：模型 {model.__name__} 没有字段 {name!r}", 123))
        elif not field.concrete or (field.is_relation and not field.many_to_one):
            errors.append(
                _error(
                    item,
                    "by",
                    f"{name!r}：“{getattr(field, 'verbose_name', name)}”不是模型 {model.__name__} "
                    "自己的一列（只能按普通字段或外键分解）",
                    123,
                )
            )
    if all(isinstance(name, str) for name in by) and len(set(by)) != len(by):
        errors.append(_error(item, "by", f"{tuple(by)!r} 中有重复的字段", 123))
    return errors


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
        known = set(
            field.model._default_manager.filter(**{f"{field.name}__in": _values(value)}).values_list(
                field.name, flat=True
            )
        )
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
