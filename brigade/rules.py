"""Validation rules, each written once.

Field rules are Django validators on the model field: ModelForm runs them for the browser and
the importer runs the same callables for every cell. Row rules compare two fields of one record;
`LedgerRecord.clean()` runs them on one record (`check_row`), the importer on a chunk of rows
at once (`check_rows`); a rule's `failing` is the one place its logic is written."""

import datetime
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

EARLIEST = datetime.date(1900, 1, 1)


def reason_text(value: str, *, what: str = "理由") -> str:
    """A reason a person wrote (unlocking a year, un-finalising a report): its text, trimmed,
    or a ValidationError when it says nothing readable. Invisible characters (zero-width
    spaces, format marks) do not count: at least two Chinese characters or four letters or
    digits must remain."""
    text = "".join(
        ch for ch in (value or "") if unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp")
    ).strip()
    visible = [ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] in "LN"]
    wide = sum(1 for ch in visible if unicodedata.east_asian_width(ch) == "W")
    if wide < 2 and len(visible) < 4:
        raise ValidationError(f"请写明{what}（至少两个汉字或四个字母、数字）", code="reason")
    return text


def not_in_future(value):
    """Dates and date-times of things that happened: not after today, and not before 1900
    (a mistyped year, or one no database time zone can convert)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day < EARLIEST:
        raise ValidationError("不能早于1900年1月1日，请检查年份", code="too_early")
    if isinstance(value, datetime.datetime):
        if value > timezone.now():
            raise ValidationError("不能晚于当前时间", code="future")
    elif value > timezone.localdate():
        raise ValidationError("不能晚于今天", code="future")


def positive(value):
    if value is not None and value <= 0:
        raise ValidationError("必须大于0", code="positive")


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _day(model, name):
    """A field as a day in the database (a date-time's local date), to compare with a date."""
    field = model._meta.get_field(name)
    return TruncDate(name) if isinstance(field, models.DateTimeField) else F(name)


def _filled(model, name) -> Q:
    """The record's `name` holds something: not NULL, and for text not empty, for a number not 0."""
    field = model._meta.get_field(name)
    empty = "" if isinstance(field, models.CharField | models.TextField) else 0
    return Q(**{f"{name}__isnull": False}) & ~Q(**{name: empty})


@dataclass(frozen=True)
class NotBefore:
    """`field` (a later date) must not lie before `other` (the earlier one)."""

    field: str
    other: str
    message: str

    def failing(self, column) -> list[int]:
        """The positions of the rows that break the rule, `column(name)` giving a field's values."""
        return [
            i
            for i, (a, b) in enumerate(zip(column(self.field), column(self.other), strict=True))
            if a is not None and b is not None and _as_date(a) < _as_date(b)
        ]

    def where(self, model) -> Q:
        """The records of `model` that break the rule, as a database condition."""
        return Q(**{f"{self.field}__isnull": False, f"{self.other}__isnull": False}) & Q(
            **{f"{self.field}__lt": _day(model, self.other)}
        )


@dataclass(frozen=True)
class NotMore:
    """`field` must not exceed `other` (整改 ≤ 发现, 合格 ≤ 检查)."""

    field: str
    other: str
    message: str

    def failing(self, column) -> list[int]:
        return [
            i
            for i, (a, b) in enumerate(zip(column(self.field), column(self.other), strict=True))
            if a is not None and b is not None and a > b
        ]

    def where(self, model) -> Q:
        return Q(**{f"{self.field}__gt": F(self.other)})


@dataclass(frozen=True)
class PositiveWhen:
    """`field` must be filled and above 0 when `when` is one of `values` (罚款 ⇒ 罚款金额 > 0)."""

    field: str
    when: str
    values: tuple
    message: str

    def failing(self, column) -> list[int]:
        values, amounts = self.values, column(self.field)
        return [i for i, when in enumerate(column(self.when)) if when in values and not (amounts[i] or 0) > 0]

    def where(self, model) -> Q:
        return Q(**{f"{self.when}__in": self.values}) & (
            Q(**{f"{self.field}__isnull": True}) | Q(**{f"{self.field}__lte": 0})
        )


@dataclass(frozen=True)
class EmptyWhen:
    """`field` must be empty or 0 when `when` is one of `values` (警告 ⇒ no 罚款金额)."""

    field: str
    when: str
    values: tuple
    message: str

    def failing(self, column) -> list[int]:
        values, amounts = self.values, column(self.field)
        return [i for i, when in enumerate(column(self.when)) if when in values and amounts[i]]

    def where(self, model) -> Q:
        return Q(**{f"{self.when}__in": self.values}) & _filled(model, self.field)


def check_row(row_rules, row) -> dict[str, list[str]]:
    """Run a model's row rules over a mapping of field → value; return field → messages."""
    return check_rows(row_rules, lambda name: (row.get(name),)).get(0, {})


def check_rows(row_rules, column) -> dict[int, dict[str, list[str]]]:
    """Run a model's row rules over many rows at once (an import's chunk), `column(name)` giving
    a field's values in row order; return position → field → messages, for the rows that fail."""
    errors: dict[int, dict[str, list[str]]] = {}
    for rule in row_rules:
        for position in rule.failing(column):
            errors.setdefault(position, {}).setdefault(rule.field, []).append(rule.message)
    return errors


@dataclass(frozen=True)
class RecordCheck:
    """One rule a stored record can be checked against in the database: `key` names it for good
    (a list filter, a dismissed warning), `where` selects the records that break it."""

    key: str
    field: str
    message: str
    where: Q


def record_checks(model, fields) -> list[RecordCheck]:
    """The rules of `model` as database conditions: its row rules (each one's `where`), and the
    bounds its `fields` declare (MinValue/MaxValue validators, `positive`, `not_in_future`).
    Records saved before a rule existed, or written around the forms and the importer, are
    found by these without loading a row."""
    found = []
    for rule in model.row_rules:
        if hasattr(rule, "where"):
            other = getattr(rule, "other", None) or getattr(rule, "when", "")
            found.append(
                RecordCheck(
                    f"{type(rule).__name__}.{rule.field}.{other}", rule.field, rule.message, rule.where(model)
                )
            )
    for name in fields:
        field = model._meta.get_field(name)
        label = str(field.verbose_name)
        for v in field._validators:  # those declared, not the database's integer range
            limit = getattr(v, "limit_value", None)
            if isinstance(v, MinValueValidator) and not callable(limit):
                found.append(
                    RecordCheck(f"min.{name}", name, f"{label}不能小于{limit}", Q(**{f"{name}__lt": limit}))
                )
            elif isinstance(v, MaxValueValidator) and not callable(limit):
                found.append(
                    RecordCheck(f"max.{name}", name, f"{label}不能大于{limit}", Q(**{f"{name}__gt": limit}))
                )
            elif v is positive:
                found.append(
                    RecordCheck(f"positive.{name}", name, f"{label}必须大于0", Q(**{f"{name}__lte": 0}))
                )
            elif v is not_in_future:
                if isinstance(field, models.DateTimeField):
                    late = Q(**{f"{name}__gt": timezone.now()})
                else:
                    late = Q(**{f"{name}__gt": timezone.localdate()})
                found.append(RecordCheck(f"future.{name}", name, f"{label}不能晚于今天", late))
    return found
