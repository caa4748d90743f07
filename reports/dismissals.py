"""Dismissing a data-check warning (reports/quality.py) with a reason, and restoring it: the
brigade's legal officer's business actions, called by the report page's views."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from brigade import access, rules
from reports import policy, quality
from reports.coverage import coverage_of
from reports.models import AnnualReport, WarningDismissal

NOT_ALLOWED = "只有本大队的法制员可以忽略或恢复数据检查提示"
CHANGED = "该提示的情况已有变化（例如又多了记录），请刷新页面，核对后再决定是否忽略"
GONE = "该提示已不存在（记录可能已更正），请刷新页面"


def _require(user, report):
    if not access.may(user, policy.DISMISS, report):
        raise PermissionDenied(NOT_ALLOWED)


@transaction.atomic
def warning_dismiss(
    *, report: AnnualReport, warning_id: str, fingerprint: str, reason: str, user
) -> WarningDismissal:
    """Dismiss the warning `warning_id` of the report's year as the officer saw it (`fingerprint`):
    it is checked again now, and refused when it is gone or has changed since the page showed it."""
    _require(user, report)
    reason = rules.reason_text(reason, what="忽略理由")
    found = quality.checked(brigade_ids=coverage_of(report.brigade).ids, year=report.year)  # as the page
    warning = next((w for w in found["active"] if w["id"] == warning_id), None)
    if warning is None:
        if any(w["id"] == warning_id for w, _ in found["dismissed"]):
            raise ValidationError("该提示已被忽略")
        raise ValidationError(GONE)
    if warning["fingerprint"] != fingerprint:
        raise ValidationError(CHANGED)
    dismissal = (
        WarningDismissal.objects.select_for_update()
        .filter(brigade_id=report.brigade_id, year=report.year, warning_id=warning_id)
        .first()
    ) or WarningDismissal(brigade_id=report.brigade_id, year=report.year, warning_id=warning_id)
    again = dismissal.pk is not None  # dismissed before, shown again since the situation changed
    dismissal.fingerprint, dismissal.text, dismissal.reason = fingerprint, warning["text"], reason
    dismissal.dismissed_by, dismissal.dismissed_at = user, timezone.now()
    dismissal._history_user = user
    dismissal._change_reason = f"{'再次' if again else ''}忽略数据检查提示：{reason}"
    dismissal.save()
    return dismissal


@transaction.atomic
def warning_restore(*, report: AnnualReport, dismissal_id: int, user) -> WarningDismissal:
    """Show a dismissed warning again (the dismissal is deleted; its history stays)."""
    _require(user, report)
    dismissal = (
        WarningDismissal.objects.select_for_update()
        .filter(pk=dismissal_id, brigade_id=report.brigade_id, year=report.year)
        .first()
    )
    if dismissal is None:
        raise ValidationError("该提示已经恢复显示")
    dismissal._history_user = user
    dismissal._change_reason = "恢复显示数据检查提示"
    dismissal.delete()
    return dismissal
