"""The report page's checks before drafting and before publishing: dismissing and restoring a
data-check warning (reports/dismissals.py), and the public edition (reports/public.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from reports import dismissals
from reports.forms import WarningDismissForm
from reports.views import _report


def _back_to_checks(report):
    return redirect(reverse("reports:detail", args=[report.pk]) + "#data-checks")


def _form_error(form) -> str:
    """The first error of a form, naming its field: “忽略理由：请填写忽略理由”."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        return f"{label}：{errors[0]}" if label else "该提示已不存在，请刷新页面"
    return ""


@require_POST
def warning_dismiss(request, pk):
    report = _report(request, pk)
    if not dismissals.may_dismiss(request.user, report):
        raise PermissionDenied(dismissals.NOT_ALLOWED)
    form = WarningDismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"没有忽略该提示。{_form_error(form)}")
        return _back_to_checks(report)
    try:
        dismissals.warning_dismiss(
            report=report,
            warning_id=form.cleaned_data["warning"],
            fingerprint=form.cleaned_data["fingerprint"],
            reason=form.cleaned_data["reason"],
            user=request.user,
        )
    except ValidationError as e:
        messages.error(request, f"没有忽略该提示：{e.messages[0]}")
    else:
        messages.success(
            request, f"已忽略该提示（理由：{form.cleaned_data['reason']}），起草“存在的不足”时不再采用"
        )
    return _back_to_checks(report)


@require_POST
def warning_restore(request, pk, dismissal):
    report = _report(request, pk)
    if not dismissals.may_dismiss(request.user, report):
        raise PermissionDenied(dismissals.NOT_ALLOWED)
    try:
        dismissals.warning_restore(report=report, dismissal_id=dismissal, user=request.user)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "已恢复显示该提示")
    return _back_to_checks(report)
