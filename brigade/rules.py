"""Validation rules, each written once.

Field rules are Django validators on the model field: ModelForm runs them for the browser and
the importer runs the same callables for every cell. Row rules compare two fields of one record;
`LedgerRecord.clean()` and the importer both run them through `check_row`."""

import datetime
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST = datetime.date(1900, 1, 1)


def reason_text(value: str, *, what: str = "理由") -> str:
    """A reason a person wrote (unlocking a year, un-finalising a report): its text, trimmed,
    or a ValidationError when it says nothing readable. Invisible characters (zero-width
    spaces, format marks) do not count: at least two Chinese characters or four letters or
    digits must remain."""
    text = "".join(ch for ch in (value or "") if unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp")).strip()
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


@dataclass(frozen=True)
class NotBefore:
    """`field` (a later date) must not lie before `other` (the earlier one)."""

    field: str
    other: str
    message: str

    def __call__(self, row):
        a, b = row.get(self.field), row.get(self.other)
        if a is not None and b is not None and _as_date(a) < _as_date(b):
            return self.field, self.message
        return None


@dataclass(frozen=True)
class NotMore:
    """`field` must not exceed `other` (整改 ≤ 发现, 合格 ≤ 检查)."""

    field: str
    other: str
    message: str

    def __call__(self, row):
        a, b = row.get(self.field), row.get(self.other)
        if a is not None and b is not None and a > b:
            return self.field, self.message
        return None


@dataclass(frozen=True)
class PositiveWhen:
    """`field` must be filled and above 0 when `when` is one of `values` (罚款 ⇒ 罚款金额 > 0)."""

    field: str
    when: str
    values: tuple
    message: str

    def __call__(self, row):
        if row.get(self.when) in self.values and not (row.get(self.field) or 0) > 0:
            return self.field, self.message
        return None


@dataclass(frozen=True)
class EmptyWhen:
    """`field` must be empty or 0 when `when` is one of `values` (警告 ⇒ no 罚款金额)."""

    field: str
    when: str
    values: tuple
    message: str

    def __call__(self, row):
        if row.get(self.when) in self.values and row.get(self.field):
            return self.field, self.message
        return None


def check_row(row_rules, row) -> dict[str, list[str]]:
    """Run a model's row rules over a mapping of field → value; return field → messages."""
    errors: dict[str, list[str]] = {}
    for rule in row_rules:
        hit = rule(row)
        if hit:
            errors.setdefault(hit[0], []).append(hit[1])
    return errors
