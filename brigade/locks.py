"""Locked years: once a year's report is finalised, the records of that year stay as the report
states them. One check, used by the form, the delete and restore views and the importer."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
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


def year_of(value) -> int | None:
    """The local calendar year of a date or an aware date-time."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).year if timezone.is_aware(value) else value.year
    return value.year


def check_open(*, brigade_id, ledger, values) -> None:
    """Raise ValidationError when any of the record dates `values` lies in a locked year."""
    if not ledger.date_field:
        return
    years = {year_of(v) for v in values} - {None}
    if not years:
        return
    closed = sorted(years & locked_years(brigade_id))
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
