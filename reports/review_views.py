"""The report page's checks before drafting and before publishing: dismissing and restoring a
data-check warning (reports/dismissals.py), and the public edition (reports/public.py)."""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from brigade.breadcrumbs import report_trail
from reports import dismissals, docx, public
from reports import outputs as report_outputs
from reports.forms import PublicEditionForm, WarningDismissForm
from reports.views import DOCX, _report


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


# ── The public edition (公开版) ────────────────────────────────────────────────────────────────


def _final_report(request, pk):
    report = _report(request, pk)
    if not public.may_view(request.user, report):
        raise Http404("记录不存在或不属于本单位")
    return report


def public_edition(request, pk, form=None):
    """The public edition as a web page, its automatic check, and the 保密审查 checklist."""
    report = _final_report(request, pk)
    if not report.is_final:
        messages.error(request, public.NOT_FINAL)
        return redirect("reports:detail", pk=report.pk)
    edition = public.public_edition_current(report)
    if form is not None:
        keep = {
            "keep_doc_number": form.data.get("keep_doc_number") == "on",
            "keep_signer": form.data.get("keep_signer") == "on",
        }
    elif edition is not None:
        keep = {"keep_doc_number": edition.keep_doc_number, "keep_signer": edition.keep_signer}
    else:
        keep = {
            "keep_doc_number": request.GET.get("keep_doc_number") == "on",
            "keep_signer": request.GET.get("keep_signer") == "on",
        }
    context = public.public_context(report, **keep)
    may_confirm = public.may_confirm(request.user, report)
    if form is None and may_confirm:
        form = PublicEditionForm(initial=keep)
    return render(request, "reports/public.html", {
        "breadcrumbs": report_trail(report, ("公开版", None)),
        "report": report,
        "doc": context,
        "flags": public.public_flags(report, context),
        "edition": edition,
        "form": form,
        "may_confirm": may_confirm,
        "keep": keep,
        "pdf_available": docx.pdf_available(),
    })  # fmt: skip


@require_POST
def public_edition_confirm(request, pk):
    report = _final_report(request, pk)
    if not public.may_confirm(request.user, report):
        raise PermissionDenied(public.NOT_ALLOWED)
    form = PublicEditionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "保密审查尚未完成：" + "；".join(e for errors in form.errors.values() for e in errors)
        )
        return public_edition(request, pk, form=form)
    try:
        public.public_edition_confirm(
            report=report, user=request.user, checks=form.checks(),
            keep_doc_number=form.cleaned_data["keep_doc_number"], keep_signer=form.cleaned_data["keep_signer"],
        )  # fmt: skip
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "已确认公开版保密审查，现在可以下载公开版")
    return redirect("reports:public", pk=report.pk)


def _public_download(request, pk, *, pdf: bool):
    report = _final_report(request, pk)
    edition = public.public_edition_current(report) if report.is_final else None
    if edition is None:
        messages.error(request, public.NOT_CONFIRMED if report.is_final else public.NOT_FINAL)
        return redirect("reports:public" if report.is_final else "reports:detail", pk=report.pk)
    if pdf and not docx.pdf_available():
        messages.error(request, "服务器未安装 LibreOffice，无法转换为 PDF，请下载公开版的 Word 文件")
        return redirect("reports:public", pk=report.pk)
    if pdf:  # made by the worker (reports/outputs.py); its page follows it, then downloads
        job = report_outputs.pdf_job_start(user=request.user, report=report, kind="public_pdf",
                                           title=f"{report.title}（公开版PDF）",
                                           again=reverse("reports:public_pdf", args=[report.pk]))  # fmt: skip
        return redirect("output_detail", pk=job.pk)
    content = public.public_edition_document(report=report, edition=edition, pdf=False)
    name = f"{report.title}（公开版）.docx"
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def public_edition_pdf(request, pk):
    return _public_download(request, pk, pdf=True)


def public_edition_docx(request, pk):
    return _public_download(request, pk, pdf=False)
