"""The report's PDFs (the report, its public edition), made by the worker (brigade/outputs.py): LibreOffice takes seconds to tens of
seconds, which a web request should not wait for."""

from django.core.exceptions import PermissionDenied

from brigade import access, outputs
from brigade.breadcrumbs import report_trail
from reports import docx, public, services
from reports.models import AnnualReport

PDF = "application/pdf"


def pdf_job_start(*, user, report: AnnualReport, kind: str, title: str, again: str):
    """Queue one of the report's PDFs for `user`; its page shows the way back to the report."""
    back = report_trail(report, ("", None))[1:-1]  # 年度报告 › the report
    params = {"report": report.pk, "again": again, "back": back}
    # the requester's own unit (a 支队 user's PDF of a brigade's report is the 支队 user's)
    return outputs.output_job_start(user=user, brigade=user.brigade, kind=kind, title=title, params=params)


def _visible(job) -> AnnualReport | None:
    """The job's report, if its user may still see it."""
    qs = access.scope(AnnualReport.objects.select_related("brigade", "template"), job.user)
    report = qs.filter(pk=job.params["report"]).first()
    return report if report is not None and access.has_view_perm(job.user, "view_report") else None


def _may_public(job) -> bool:
    report = _visible(job)
    return report is not None and public.may_view(job.user, report)


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
    try:
        content = public.public_edition_document(report=report, edition=edition, pdf=False)
    except PermissionDenied as e:
        raise outputs.Refused(str(e)) from e
    return outputs.Made(f"{report.title}（公开版）.pdf", PDF, [_pdf(lambda: content, progress)])
