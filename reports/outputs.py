"""The report's PDFs (the report, its public edition), made by the worker (brigade/outputs.py): LibreOffice takes seconds to tens of
seconds, which a web request should not wait for.

A PDF is asked for by a POST (a button on the report page or the public page), never by a GET:
a crawler following links queues nothing. One job per version of what it prints: the same
report text (a finalised one: its SHA-256), asked for again while its job is queued, running or
its file still kept, gives that job (`version_key`).

A public edition's PDF records the finalised document and the head it was made for; it is
served only while the 保密审查 confirmed for the report's current finalised document matches
(`_may_public`, asked at every view and download): after 撤销定稿 or a new 签发 it is a 404."""

import hashlib
import json

from django.core.exceptions import PermissionDenied

from brigade import access, outputs
from brigade.breadcrumbs import report_trail
from brigade.models import OutputJob
from reports import docx, public, services
from reports.models import AnnualReport

PDF = "application/pdf"


def version_key(report: AnnualReport, kind: str) -> str:
    """What the PDF prints, as one string: a finalised report's SHA-256 (the public edition's: with
    the head its confirmed review keeps); a draft's text, head, figures table and template."""
    if kind == "public_pdf":
        edition = public.public_edition_current(report)
        if edition is None:
            raise PermissionDenied(public.NOT_CONFIRMED)
        return _public_key(report.final_sha256, edition)
    if report.is_final and report.final_sha256:
        return report.final_sha256
    context = services.report_context(report)
    template = f"{report.template_id}:{report.template.sha256}" if report.template_id else ""
    text = json.dumps([context, template], sort_keys=True, default=str, ensure_ascii=False)
    return "draft:" + hashlib.sha256(text.encode()).hexdigest()


def _public_key(sha256: str, edition) -> str:
    return f"{sha256}:{int(edition.keep_doc_number)}{int(edition.keep_signer)}"


def pdf_job_start(*, user, report: AnnualReport, kind: str, title: str, again: str):
    """Queue one of the report's PDFs for `user` (or give the job already made or being made of
    the same version); its page shows the way back to the report."""
    back = report_trail(report, ("", None))[1:-1]  # 年度报告 › the report
    params = {"report": report.pk, "again": again, "back": back, "version": version_key(report, kind)}
    made = (
        OutputJob.objects.filter(user=user, kind=kind, params=params, status=OutputJob.Status.DONE)
        .exclude(file="")
        .order_by("-finished_at")
        .first()
    )
    if made is not None and not outputs.expired(made):
        return made
    # the requester's own unit (a 支队 user's PDF of a brigade's report is the 支队 user's)
    return outputs.output_job_start(user=user, brigade=user.brigade, kind=kind, title=title, params=params)


def _visible(job) -> AnnualReport | None:
    """The job's report, if its user may still see it."""
    qs = access.scope(AnnualReport.objects.select_related("brigade", "template"), job.user)
    report = qs.filter(pk=job.params["report"]).first()
    return report if report is not None and access.has_view_perm(job.user, "view_report") else None


def _confirmed_for(job, report: AnnualReport) -> bool:
    """The job was made of the report's current finalised document, under the head its current
    confirmed 保密审查 keeps."""
    edition = public.public_edition_current(report)
    return edition is not None and job.params.get("version") == _public_key(report.final_sha256, edition)


def _may_public(job) -> bool:
    report = _visible(job)
    return report is not None and public.may_view(job.user, report) and _confirmed_for(job, report)


def _report(job) -> AnnualReport:
    report = _visible(job)
    if report is None or (job.kind == "public_pdf" and not public.may_view(job.user, report)):
        raise outputs.Refused("您已无权查看这份报告")
    if not docx.pdf_available():
        raise outputs.Refused("服务器未安装 LibreOffice，无法转换为 PDF，请下载 Word 文件")
    return report


def _pdf(make, progress) -> bytes:
    progress(0, 1)
    try:
        pdf = docx.docx_to_pdf(make())
    except docx.TemplateRefused as e:
        raise outputs.Refused(f"所选Word模板无法生成文件：{e}") from e
    except RuntimeError as e:
        raise outputs.Refused("转换为 PDF 失败，请下载 Word 文件") from e
    progress(1, 1)
    return pdf


@outputs.producer("report_pdf", may=lambda job: _visible(job) is not None)
def report_pdf(job, progress) -> outputs.Made:
    """The report as it reads now (a finalised report: its stored document)."""
    report = _report(job)
    return outputs.Made(
        f"{report.title}.pdf", PDF, [_pdf(lambda: services.report_document(report), progress)]
    )


@outputs.producer("public_pdf", may=_may_public)
def public_pdf(job, progress) -> outputs.Made:
    """The public edition, while its 保密审查 is confirmed for the current finalised document."""
    report = _report(job)
    edition = public.public_edition_current(report) if report.is_final else None
    if edition is None or not _confirmed_for(job, report):
        raise outputs.Refused(public.NOT_CONFIRMED)
    try:
        content = public.public_edition_document(report=report, edition=edition, pdf=False)
    except PermissionDenied as e:
        raise outputs.Refused(str(e)) from e
    return outputs.Made(f"{report.title}（公开版）.pdf", PDF, [_pdf(lambda: content, progress)])
