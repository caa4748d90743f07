"""The report page's checks before drafting, signing and publishing: dismissing and restoring a
data-check warning (reports/dismissals.py); the figures of the text checked against the ledger
(reports/stale.py) and the 签发 confirmation; asking for and declining 撤销定稿; and the public
edition (reports/public.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from brigade import access
from brigade.breadcrumbs import report_trail
from brigade.filenames import content_disposition, safe_filename
from reports import dismissals, docx, policy, public, services, stale
from reports import outputs as report_outputs
from reports.forms import PublicEditionForm, WarningDismissForm
from reports.models import AnnualReport
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
    if not access.may(request.user, policy.DISMISS, report):
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
    if not access.may(request.user, policy.DISMISS, report):
        raise PermissionDenied(dismissals.NOT_ALLOWED)
    try:
        dismissals.warning_restore(report=report, dismissal_id=dismissal, user=request.user)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "已恢复显示该提示")
    return _back_to_checks(report)


# ── The figures of the text against the ledger, and 签发 ─────────────────────────────────────────


def _back_to_figures(report):
    return redirect(reverse("reports:detail", args=[report.pk]) + "#stale-figures")


@require_GET
def report_stale(request, pk):
    """The sentences whose figures the ledger no longer gives (reports/stale.py). Drafting again
    reads the year's records (the data check among them): the report page shows at once and
    fetches this part after it, as it does the data check; opened on its own, a page of its own."""
    report = _report(request, pk)
    found = [] if report.is_final else stale.mismatches(report)
    context = {
        "report": report,
        "found": found,
        "unsettled": stale.blocking(found),
        "may_acknowledge": access.may(request.user, policy.ACKNOWLEDGE, report),
        "editable": access.may(request.user, policy.EDIT, report),
    }
    if request.headers.get("X-Fragment"):
        response = render(request, "reports/_stale.html", context)
        response["X-Fragment"] = "stale-figures"
    else:
        trail_to = report_trail(report, ("核对报告中的数字", None))
        response = render(request, "reports/stale.html", {**context, "breadcrumbs": trail_to})
    patch_vary_headers(response, ["X-Fragment"])
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_POST
def figure_acknowledge(request, pk):
    """The legal officer records why a sentence keeps its figures (e.g. 该数字按某某口径核定)."""
    report = _report(request, pk)
    try:
        stale.figure_acknowledge(
            report=report,
            mismatch_id=request.POST.get("mismatch", ""),
            reason=request.POST.get("reason", ""),
            user=request.user,
        )
    except ValidationError as e:
        messages.error(request, f"没有记录：{e.messages[0]}")
    else:
        messages.success(request, "已记录保留原数字的理由；台账数字再有变化时，这句话需要重新核对")
    return _back_to_figures(report)


@require_GET
def report_sign(request, pk):
    """签发's own page: what it locks, who signs and the date, and every sentence whose figures
    the ledger no longer gives; signing takes a ticked box (services.CONFIRMED)."""
    report = _report(request, pk)
    if not access.may(request.user, policy.SIGN, report):
        raise PermissionDenied("只有本单位的领导可以签发报告")
    if report.status != AnnualReport.Status.REVIEW:
        messages.error(request, f"报告当前为“{report.get_status_display()}”，不能签发")
        return redirect("reports:detail", pk=report.pk)
    found = stale.mismatches(report)
    return render(
        request,
        "reports/sign.html",
        {
            "breadcrumbs": report_trail(report, ("签发", None)),
            "report": report,
            "found": found,
            "unsettled": stale.blocking(found),
            "signer": services.signer_name(request.user),
            "today": timezone.localdate(),
            "locks": services.sign_locks(report),
            "return_label": dict(services.moves_for(report, request.user)).get("draft"),
        },
    )


# ── 撤销定稿: the legal officer asks, the leader undoes or declines ─────────────────────────────


def _back_to_workflow(report):
    return redirect(reverse("reports:detail", args=[report.pk]) + "#workflow")


@require_POST
def unfinalise_request(request, pk):
    report = _report(request, pk)
    try:
        services.unfinalise_request(report=report, reason=request.POST.get("reason", ""), user=request.user)
    except ValidationError as e:
        messages.error(request, f"没有提交申请：{e.messages[0]}")
    else:
        messages.success(request, "已提交撤销定稿的申请，等待本单位领导处理")
    return _back_to_workflow(report)


@require_POST
def unfinalise_decline(request, pk, asked):
    report = _report(request, pk)
    try:
        services.unfinalise_decline(
            report=report, request_id=asked, reason=request.POST.get("reason", ""), user=request.user
        )
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "已答复：不同意撤销定稿，报告保持定稿")
    return _back_to_workflow(report)


# ── The public edition (公开版) ────────────────────────────────────────────────────────────────


def _final_report(request, pk):
    report = _report(request, pk)
    if not access.may(request.user, policy.PUBLIC_VIEW, report):
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
    may_confirm = access.may(request.user, policy.PUBLIC_CONFIRM, report)
    if form is None and may_confirm:
        form = PublicEditionForm(initial=keep)
    return render(
        request,
        "reports/public.html",
        {
            "breadcrumbs": report_trail(report, ("公开版", None)),
            "report": report,
            "doc": context,
            "flags": public.public_flags(report, context),
            "edition": edition,
            "form": form,
            "may_confirm": may_confirm,
            "keep": keep,
            "pdf_available": docx.pdf_available(),
        },
    )


@require_POST
def public_edition_confirm(request, pk):
    report = _final_report(request, pk)
    if not access.may(request.user, policy.PUBLIC_CONFIRM, report):
        raise PermissionDenied(public.NOT_ALLOWED)
    form = PublicEditionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "保密审查尚未完成：" + "；".join(e for errors in form.errors.values() for e in errors)
        )
        return public_edition(request, pk, form=form)
    try:
        public.public_edition_confirm(
            report=report,
            user=request.user,
            checks=form.checks(),
            keep_doc_number=form.cleaned_data["keep_doc_number"],
            keep_signer=form.cleaned_data["keep_signer"],
        )
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "已确认公开版保密审查，现在可以下载公开版")
    return redirect("reports:public", pk=report.pk)


@require_POST
def public_flag_override(request, pk):
    """One flag of the automatic check may be published as it stands: the reason is recorded
    (who, when, the text flagged); the checklist is confirmed only once every flag is resolved."""
    report = _final_report(request, pk)
    if not access.may(request.user, policy.PUBLIC_CONFIRM, report):
        raise PermissionDenied(public.NOT_ALLOWED)
    try:
        override = public.flag_override(
            report=report,
            flag_id=request.POST.get("flag", ""),
            reason=request.POST.get("reason", ""),
            user=request.user,
        )
    except ValidationError as e:
        messages.error(request, f"没有记录：{e.messages[0]}")
    else:
        messages.success(request, f"已记录“{override.found}”可以公开的理由")
    query = "&".join(f"{k}=on" for k in ("keep_doc_number", "keep_signer") if request.POST.get(k) == "on")
    return redirect(
        reverse("reports:public", args=[report.pk]) + (f"?{query}" if query else "") + "#public-flags"
    )


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
        job = report_outputs.pdf_job_start(
            user=request.user,
            report=report,
            kind="public_pdf",
            title=f"{report.title[:180]}（公开版PDF）",
            again=reverse("reports:public", args=[report.pk]),
        )
        return redirect("output_detail", pk=job.pk)
    content = public.public_edition_document(report=report, edition=edition, pdf=False)
    name = f"{safe_filename(report.title, max_bytes=120)}（公开版）.docx"
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition(name)  # the title cut, its suffix kept
    return response


@require_POST
def public_edition_pdf(request, pk):
    """Asked for by the public page's button (a GET, a crawler's, queues nothing)."""
    return _public_download(request, pk, pdf=True)


def public_edition_docx(request, pk):
    return _public_download(request, pk, pdf=False)
