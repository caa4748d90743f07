"""The report's PDFs (the report, its public edition), made by the worker (brigade/outputs.py): LibreOffice takes seconds to tens of
seconds, which a web request should not wait for.

A PDF is asked for by a POST (a button on the report page or the public page), never by a GET:
a crawler following links queues nothing; the job's page asks again by a POST too (`_again`).
One job per version of what it prints: the same report text (a finalised one: its version
number and SHA-256), asked for again while its job is queued, running or its file still kept,
gives that job (`version_key`).

One rule for every file made of a report (`_void`, asked by brigade.outputs at every view and
download): a file made from a version is served while that version still is what it claims to
be. A draft's PDF is marked 草稿 on every page and named so: it stays what it claims. A finalised
version's PDF is served while that version is the report's current finalised document: after
撤销定稿 or a new 签发 its page says why (`WITHDRAWN`) and nothing is downloaded. The public
edition's PDF is served while the 保密审查 confirmed for the current finalised document matches
the document and the head it was made for. The withdrawn document itself stays downloadable from
the report's version history, named as withdrawn (reports/views.py)."""

import hashlib
import json

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from brigade import access, outputs
from brigade.breadcrumbs import report_trail
from brigade.filenames import safe_filename
from brigade.models import Job
from reports import docx, policy, public, services
from reports.models import AnnualReport, FinalVersion
from reports.pdf import PdfFailed

PDF = "application/pdf"
NO_LIBREOFFICE = "服务器未安装 LibreOffice，无法转换为 PDF，请下载 Word 文件"
WITHDRAWN = "已撤销定稿，该PDF对应的定稿版本已作废；请重新定稿后再生成"
REPLACED = "报告已重新定稿（第{number}版），该PDF对应的定稿版本已作废；请回到报告页面重新生成"
PUBLIC_WITHDRAWN = "已撤销定稿，该公开版PDF对应的定稿版本已作废；请重新定稿并确认保密审查后再生成"
PUBLIC_REPLACED = (
    "报告已重新定稿或重新确认了保密审查，该公开版PDF与现行公开版不一致，已作废；请回到公开版页面重新生成"
)
NOW_FINAL = "报告已定稿，不再生成草稿的PDF；请重新生成定稿的PDF"


def version_key(report: AnnualReport, kind: str) -> str:
    """What the PDF prints, as one string: a finalised report's version and SHA-256 (the public
    edition's: its SHA-256 with the head its confirmed review keeps); a draft's text, head,
    figures table and template."""
    if kind == "public_pdf":
        edition = public.public_edition_current(report)
        if edition is None:
            raise PermissionDenied(public.NOT_CONFIRMED)
        return _public_key(report.final_sha256, edition)
    current = _current_version(report)
    if current is not None:
        return f"final:{current.number}:{current.sha256}"
    if report.is_final and report.final_sha256:
        return report.final_sha256
    context = services.report_context(report)
    template = f"{report.template_id}:{report.template.sha256}" if report.template_id else ""
    text = json.dumps([context, template], sort_keys=True, default=str, ensure_ascii=False)
    return "draft:" + hashlib.sha256(text.encode()).hexdigest()


def _public_key(sha256: str, edition) -> str:
    return f"{sha256}:{int(edition.keep_doc_number)}{int(edition.keep_signer)}"


def _current_version(report: AnnualReport) -> FinalVersion | None:
    """The finalised version the report now is (None for a draft, or after 撤销定稿)."""
    if not report.is_final or not report.final_sha256:
        return None
    versions = report.final_versions.filter(withdrawn_at__isnull=True, sha256=report.final_sha256)
    return versions.order_by("-number").first()


def _claimed(version: str) -> tuple[int | None, str]:
    """The finalised version a report PDF's key names: (number, SHA-256); a job made before the
    number was kept names the SHA-256 alone."""
    if version.startswith("final:"):
        number, sha256 = version[len("final:") :].split(":", 1)
        return int(number), sha256
    return None, version


def pdf_job_start(*, user, report: AnnualReport, kind: str, title: str, again: str):
    """Queue one of the report's PDFs for `user` (or give the job already made or being made of
    the same version); its page shows the way back to the report."""
    back = report_trail(report, ("", None))[1:-1]  # 年度报告 › the report
    params = {"report": report.pk, "again": again, "back": back, "version": version_key(report, kind)}
    made = (
        Job.objects.filter(user=user, kind=kind, params=params, status=Job.Status.DONE)
        .exclude(file="")
        .order_by("-finished_at")
        .first()
    )
    if made is not None and not outputs.expired(made):
        return made
    # the requester's own unit (a 支队 user's PDF of a brigade's report is the 支队 user's)
    return outputs.job_start(user=user, brigade=user.brigade, kind=kind, title=title, params=params)


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
    return report is not None and access.may(job.user, policy.PUBLIC_VIEW, report)


def _void(job) -> str | None:
    """Why the job's PDF no longer is what it claims to be (the one rule, see above); None while
    it is. A report the user may no longer see is `may`'s to refuse."""
    report = _visible(job)
    if report is None:
        return None
    if job.kind == "public_pdf":
        if _confirmed_for(job, report):
            return None
        return PUBLIC_REPLACED if report.is_final else PUBLIC_WITHDRAWN
    version = job.params.get("version", "")
    if version.startswith("draft:"):
        return None  # a draft, marked 草稿 on every page: it claims nothing more
    number, sha256 = _claimed(version)
    current = _current_version(report)
    if current is not None and (current.number, current.sha256) == (number or current.number, sha256):
        return None
    if current is None and number is None and report.is_final and report.final_sha256 == sha256:
        return None  # a report finalised before versions were kept
    if not report.is_final:
        return WITHDRAWN
    return REPLACED.format(number=current.number if current else "")


def _again(job) -> str:
    """A POST here makes the PDF of what the report (its public edition) now is."""
    name = "reports:public_pdf" if job.kind == "public_pdf" else "reports:pdf"
    return reverse(name, args=[job.params["report"]])


def _report(job) -> AnnualReport:
    report = _visible(job)
    if report is None or (job.kind == "public_pdf" and not access.may(job.user, policy.PUBLIC_VIEW, report)):
        raise outputs.Refused("您已无权查看这份报告", retry=False)
    if not docx.pdf_available():
        raise outputs.Refused(NO_LIBREOFFICE, retry=False)
    void = _void(job)  # withdrawn while the job waited: not made of what it no longer is
    if void is not None:
        raise outputs.Refused(void, retry=False)
    return report


def _pdf(make, progress) -> bytes:
    """The document `make()` gives, as PDF. A limit crossed is named (reports/pdf.py); 重试 is
    offered where it may pass: a timeout (the server busy) or a failure that names no limit."""
    progress(0, 1)
    try:
        pdf = docx.docx_to_pdf(make())
    except docx.TemplateRefused as e:
        raise outputs.Refused(f"所选Word模板无法生成文件：{e}", retry=False) from e
    except PermissionDenied as e:
        raise outputs.Refused(str(e), retry=False) from e
    except PdfFailed as e:
        if e.limit in ("time", ""):
            raise outputs.Refused(f"{e}。可以稍后重试；仍不成功请下载 Word 文件", retry=True) from e
        raise outputs.Refused(f"{e}。请下载 Word 文件，或减少、压缩报告中的图片后再生成", retry=False) from e
    except RuntimeError as e:
        raise outputs.Refused("转换为 PDF 失败，可以稍后重试；仍不成功请下载 Word 文件") from e
    if pdf is None:
        raise outputs.Refused(NO_LIBREOFFICE, retry=False)
    progress(1, 1)
    return pdf


def _name(report: AnnualReport, suffix: str) -> str:
    """The file's name: the title cut so that what the file is (草稿, 公开版) stays."""
    return f"{safe_filename(report.title, max_bytes=120)}{suffix}.pdf"


@outputs.producer(
    "report_pdf", title="报告PDF", may=lambda job: _visible(job) is not None, void=_void, again=_again
)
def report_pdf(job, progress) -> outputs.Made:
    """The version of the report the job was asked for: a finalised version's stored document, or
    the draft as it reads now (marked 草稿)."""
    report = _report(job)
    version = job.params.get("version", "")
    if version.startswith("draft:"):
        if report.is_final:
            raise outputs.Refused(NOW_FINAL)
        return outputs.Made(
            _name(report, "（草稿）"), PDF, [_pdf(lambda: services.report_document(report), progress)]
        )
    document = _current_version(report)
    content = bytes(document.docx) if document is not None else services.report_document(report)
    return outputs.Made(_name(report, ""), PDF, [_pdf(lambda: content, progress)])


@outputs.producer("public_pdf", title="公开版PDF", may=_may_public, void=_void, again=_again)
def public_pdf(job, progress) -> outputs.Made:
    """The public edition, while its 保密审查 is confirmed for the current finalised document."""
    report = _report(job)
    edition = public.public_edition_current(report)
    pdf = _pdf(lambda: public.public_edition_document(report=report, edition=edition, pdf=False), progress)
    return outputs.Made(_name(report, "（公开版）"), PDF, [pdf])
