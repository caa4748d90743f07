"""A valid record of every ledger, as a clerk fills its form, made from its declaration: each
column's example (brigade/ledger/columns.py, or the declaration's `examples` where a field needs
its own), the same examples the import template's guide shows. A new ledger is covered by the
suite over the registry (tests/brigade/test_ledgers.py) without an entry here."""

import datetime

from django.utils import timezone

from brigade import rules
from brigade.ledger import Column, DateColumn, DateTimeColumn, LookupColumn, registry


def form_value(value) -> str:
    """A value as the form posts it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def example_record(ledger) -> dict:
    """Every column's example. A reference (违法行为) is named by its declared example: its type's
    example is only the template's word for a name; an optional one is left blank."""
    record = {}
    for col in ledger.columns:
        if isinstance(col, LookupColumn):
            assert col.given_example or not col.required, (
                f"{type(ledger).__name__}.examples: 必填的“{col.header}”要声明一个示例名称"
            )
            record[col.name] = col.given_example or ""
        else:
            record[col.name] = form_value(col.example())
    return record


def text_columns(ledger) -> list[Column]:
    """The free-text columns (no choices, no reference, no number or date)."""
    return [c for c in ledger.columns if type(c) is Column and c.choices is None]


def distinct_field(ledger) -> str:
    """A text field that tells records apart: the key's, or else the first text column."""
    texts = text_columns(ledger)
    return next((c.name for c in texts if c.name in ledger.key), texts[0].name)


def blanks(ledger) -> dict:
    """Every optional column left blank, but one a row rule requires of this record (罚款 ⇒ 罚款金额)."""
    record = GOOD[ledger.kind]
    needed = {
        rule.field
        for rule in getattr(ledger.model, "row_rules", ())
        if isinstance(rule, rules.PositiveWhen) and record[rule.when] in rule.values
    }
    return {c.name: "" for c in ledger.columns if not c.required and c.name not in needed}


def choice_filter(ledger) -> tuple[str, str, str] | None:
    """The first declared filter on a choice of the record itself: (field, a value, another)."""
    for path in ledger.filters:
        col = next((c for c in ledger.columns if c.name == path), None)
        if col is not None and col.choices and len(col.choices) > 1:
            return path, col.choices[0], col.choices[1]
    return None


def a_year_earlier(kind) -> dict:
    """The record's dates a year earlier (every date column, so that cross-column rules hold)."""
    earlier = {}
    for col in registry.get(kind).columns:
        if isinstance(col, DateColumn | DateTimeColumn) and GOOD[kind][col.name]:
            year = GOOD[kind][col.name][:4]
            earlier[col.name] = f"{int(year) - 1}{GOOD[kind][col.name][4:]}"
    return earlier


def year_of(kind) -> int:
    """The year the record falls in (its date field's)."""
    return int(GOOD[kind][registry.get(kind).date_field][:4])


# kind → a valid form submission, and the field that tells two records apart
GOOD = {ledger.kind: example_record(ledger) for ledger in registry.all()}
DISTINCT = {ledger.kind: distinct_field(ledger) for ledger in registry.all()}


def good(kind) -> dict:
    """GOOD[kind] as the form posts it: a reference by its id."""
    data = dict(GOOD[kind])
    for col in registry.get(kind).columns:
        if isinstance(col, LookupColumn) and data[col.name]:
            assert not col.scoped, "a brigade's own record has no example common to every brigade"
            data[col.name] = col.target._default_manager.get(**{col.lookup_field: data[col.name]}).pk
    return data


def make(kind, brigade, /, **changes):
    """A record saved through the ledger's own form, as a clerk would enter it."""
    data = good(kind) | changes
    form = registry.get(kind).form_class(data=data, brigade=brigade)
    assert form.is_valid(), form.errors
    return form.save()


def refused(kind, brigade, /, **changes) -> dict:
    """The form's errors for the example record with `changes`, nothing saved."""
    form = registry.get(kind).form_class(data=good(kind) | changes, brigade=brigade)
    assert not form.is_valid(), "the form took it"
    return form.errors


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def in_two_hours() -> str:
    return (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
