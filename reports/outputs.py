"""The report's PDF, made by the worker (brigade/outputs.py): LibreOffice takes seconds to tens of
seconds, which a web request should not wait for."""

from brigade import access, outputs
from reports import docx, services
from reports.models import AnnualReport

PDF = "application/pdf"


@outputs.producer("report_pdf")
def report_pdf(job, progress) -> outputs.Made:
    """The report as it reads now (a finalised report: its stored document) as PDF, for a user
    who may still see it."""
    user = job.user
    report = (
        access.scope(AnnualReport.objects.select_related("brigade", "template"), user)
        .filter(pk=job.params["report"])
        .first()
    )
    if report is None or not access.has_view_perm(user, "view_report"):
        raise outputs.Refused("您已无权查看这份报告")
    if not docx.pdf_available():
        raise outputs.Refused("服务器未安装 LibreOffice，无法转换为 PDF，请下载 Word 文件")
    progress(0, 1)
    try:
        pdf = docx.docx_to_pdf(services.report_document(report))
    except docx.TemplateRefused as e:
        raise outputs.Refused(f"所选Word模板无法生成文件：{e}") from e
    except RuntimeError as e:
        raise outputs.Refused("转换为 PDF 失败，请下载 Word 文件") from e
    progress(1, 1)
    return outputs.Made(f"{report.title}.pdf", PDF, [pdf])
