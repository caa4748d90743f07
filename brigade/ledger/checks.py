"""System checks of the ledger declarations (`manage.py check`), as Django's admin checks each
ModelAdmin: a mistyped field in `fields`, `key`, `date_field`, `filters`, `list_display` or
`search` fails at startup with the ledger and the attribute named, instead of becoming a server
error on a list page. The model must keep what the machinery relies on: its history, its brigade,
an ordering for the list's pages, and its key unique per brigade in the database (E108–E109, E124–E125);
an example value may only be given for one of its columns (E126)."""

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from brigade.ledger import Ledger, registry


def _error(ledger: Ledger, attribute: str, message: str, number: int) -> checks.Error:
    return checks.Error(
        f"台账 {ledger.kind!r}（{type(ledger).__name__}）的 {attribute}：{message}",
        obj=type(ledger),
        id=f"brigade.E{number:03d}",
    )


def _field(model, path: str):
    """The model field at the end of `path` (`violation_type__group`), or None."""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field


def _forward(model, path: str) -> bool:
    """Every hop of `path` before its last field is a foreign key of the record it leaves."""
    for hop in path.split("__")[:-1]:
        field = model._meta.get_field(hop)
        if not (field.many_to_one or field.one_to_one) or field.auto_created:
            return False
        model = field.related_model
    return True


def check_ledger(ledger: Ledger) -> list[checks.Error]:
    errors = []
    model = getattr(ledger, "model", None)
    if not (isinstance(model, type) and issubclass(model, models.Model)):
        return [_error(ledger, "model", "不是 Django 模型", 100)]
    if not getattr(ledger, "kind", "") or not ledger.kind.isidentifier():
        errors.append(_error(ledger, "kind", "应为小写英文标识（用于网址和命令行）", 101))
    fields = list(getattr(ledger, "fields", ()))
    if not fields:
        errors.append(_error(ledger, "fields", "不能为空", 102))
    concrete = {f.name for f in model._meta.concrete_fields}
    for name in fields:
        if name not in concrete:
            errors.append(_error(ledger, "fields", f"模型 {model.__name__} 没有字段 {name!r}", 102))
        elif name in ("id", "brigade", "created_at", "updated_at"):
            errors.append(_error(ledger, "fields", f"{name!r} 由系统填写，不能作为 Excel 列", 102))
    for name in ledger.key:
        if name not in fields:
            errors.append(_error(ledger, "key", f"{name!r} 不在 fields 中", 103))
    if ledger.key_optional and len(ledger.key) != 1:
        errors.append(_error(ledger, "key_optional", "只适用于单个字段的键", 103))
    if ledger.date_field is not None:
        field = _field(model, ledger.date_field)
        if ledger.date_field not in fields or not isinstance(field, models.DateField):
            errors.append(
                _error(ledger, "date_field", f"{ledger.date_field!r} 应是 fields 中的日期或日期时间字段", 104)
            )
    for path in ledger.filters:
        field = _field(model, path)
        if field is None:
            errors.append(_error(ledger, "filters", f"{path!r} 不是模型 {model.__name__} 的字段", 105))
        elif not (field.choices or field.is_relation):
            errors.append(
                _error(ledger, "filters", f"{path!r} 既不是选项字段也不是外键，无法作为筛选项", 105)
            )
    for name in getattr(ledger, "examples", {}):
        if name not in fields:
            errors.append(_error(ledger, "examples", f"{name!r} 不在 fields 中", 126))
    for name in ledger.list_display:
        if name not in fields:
            errors.append(_error(ledger, "list_display", f"{name!r} 不在 fields 中", 106))
    for path in ledger.search:
        field = _field(model, path)
        if not isinstance(field, models.CharField | models.TextField):
            errors.append(_error(ledger, "search", f"{path!r} 不是模型 {model.__name__} 的文字字段", 107))
        elif not _forward(model, path):
            # Across a one-to-many hop a record would be listed once per match.
            errors.append(_error(ledger, "search", f"{path!r} 只能经外键到所引用记录的文字字段", 107))
    if not hasattr(model, "history"):
        errors.append(_error(ledger, "model", f"{model.__name__} 没有修改历史（HistoricalRecords）", 108))
    if not any(f.name == "brigade" for f in model._meta.concrete_fields):
        errors.append(_error(ledger, "model", f"{model.__name__} 没有所属大队字段 brigade", 109))
    if not model._meta.ordering:
        # A list page pages through the records: without an order a page may repeat or skip one.
        errors.append(
            _error(ledger, "model", f"{model.__name__} 的 Meta 没有 ordering（列表分页需要固定次序）", 124)
        )
    if (
        ledger.key
        and set(ledger.key) <= set(fields)
        and not any(
            isinstance(c, models.UniqueConstraint) and list(c.fields) == ["brigade", *ledger.key]
            for c in model._meta.constraints
        )
    ):
        # The key is what an import matches on and what two clerks may race to save: the database
        # holds it unique per brigade, so a race ends in a message, never a second record.
        fields = ", ".join(repr(f) for f in ["brigade", *ledger.key])
        errors.append(
            _error(ledger, "key", f"{model.__name__} 的 Meta 应有 UniqueConstraint(fields=[{fields}])", 125)
        )
    return errors


@checks.register(checks.Tags.models)
def check_ledgers(app_configs=None, **kwargs):
    errors = []
    for ledger in registry.all():
        errors += check_ledger(ledger)
    return errors
