"""Locked years: once a year's report is finalised, the records of that year stay as the report
states them. One check, used by the form, the delete and restore views and the importer, made in
the writer's own transaction (hold_years)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from brigade import rules
from brigade.models import YearLock


def locked_message(year: int) -> str:
    return (
        f"{year}年度法治政府建设情况报告已定稿，该年度的台账已锁定，不能新增、修改、删除或导入{year}年的记录。"
        f"确需修改的，请本大队法制员在{year}年度报告页面填写理由后解锁。"
    )


def locked_years(brigade_id) -> set[int]:
    return set(YearLock.objects.filter(brigade_id=brigade_id, locked=True).values_list("year", flat=True))


def year_of(value, tz=None) -> int | None:
    """The local calendar year of a date or an aware date-time (`tz`: the current time zone,
    passed by a caller asking for many values, as looking it up each time costs)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if not timezone.is_aware(value):
            return value.year
        return value.astimezone(tz or timezone.get_current_timezone()).year
    return value.year


YEAR_LOCK = 0x4A0C  # advisory lock namespace of a brigade's year (PostgreSQL)


def hold_years(*, brigade_id, years, exclusive=False) -> set[int]:
    """Take the brigade's locks on `years` for the rest of the transaction, then say which of
    them are locked (read once the locks are held).

    Writers of a year's records hold it shared, from their check to their commit; finalising a
    year's report holds it exclusively while it counts the figures and locks the year. So a
    write either commits before the figures are counted (and is in them) or waits for the lock
    and is then refused: never saved in a locked year and missing from its report. On SQLite a
    transaction already holds the database's one write lock (BEGIN IMMEDIATE)."""
    years = sorted({y for y in years if y})
    if years and connection.vendor == "postgresql" and connection.in_atomic_block:
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        with connection.cursor() as cursor:
            for year in years:
                cursor.execute(f"SELECT {function}(%s)", [(YEAR_LOCK << 40) | (int(brigade_id) << 16) | year])
    return set(years) & locked_years(brigade_id)


def check_open(*, brigade_id, ledger, values) -> None:
    """Raise ValidationError when any of the record dates `values` lies in a locked year. Inside
    a transaction the years stay held until it ends (hold_years)."""
    if not ledger.date_field:
        return
    years = {year_of(v) for v in values} - {None}
    if not years:
        return
    closed = sorted(hold_years(brigade_id=brigade_id, years=years))
    if closed:
        raise ValidationError(locked_message(closed[0]), code="locked")


@transaction.atomic
def year_lock(*, brigade, year: int, user, reason: str) -> YearLock:
    lock, _ = YearLock.objects.get_or_create(brigade=brigade, year=year, defaults={"reason": reason})
    lock.locked, lock.reason, lock.changed_by = True, reason, user
    lock._change_reason = reason
    lock.save()
    return lock


@transaction.atomic
def year_unlock(*, brigade, year: int, user, reason: str) -> YearLock:
    reason = rules.reason_text(reason, what="解锁理由")
    lock = YearLock.objects.select_for_update().get(brigade=brigade, year=year)
    lock.locked, lock.reason, lock.changed_by = False, reason, user
    lock._change_reason = reason
    lock.save()
    return lock
