"""A PDF made from a version of the report is served while that version still is what it claims to
be: after 撤销定稿 the signed report's PDF is not downloaded and its page says why; the withdrawn
document stays in the version history, named as withdrawn. Every link on a PDF job's page works."""

import datetime
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from brigade import outputs
from brigade.models import Job
from reports import docx, services
from reports import outputs as report_outputs
from tests.conftest import login


@pytest.fixture
def fake_pdf(monkeypatch):
    """LibreOffice stood in for: what matters here is which file is served."""
    monkeypatch.setattr(docx, "pdf_available", lambda: True)
    monkeypatch.setattr(docx, "docx_to_pdf", lambda content: b"%PDF-1.7 fake")


@pytest.fixture
def final(brigade, legal, leader):
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    report.refresh_from_db()
    assert report.is_final
    return report


def _made(client, report, capture) -> Job:
    with capture(execute=True):
        response = client.post(reverse("reports:pdf", args=[report.pk]))
    job = Job.objects.get(pk=response["Location"].strip("/").split("/")[-1])
    assert job.status == Job.Status.DONE, job.message
    return job


def _downloaded(client, job) -> bytes | None:
    response = client.get(reverse("output_download", args=[job.pk]))
    return b"".join(response.streaming_content) if response.status_code == 200 else None


def test_the_signed_reports_pdf_is_not_served_after_unfinalising(
    final, legal, leader, fake_pdf, django_capture_on_commit_callbacks
):
    client = login(legal)
    job = _made(client, final, django_capture_on_commit_callbacks)
    assert _downloaded(client, job).startswith(b"%PDF")

    services.report_transition(report=final, to="draft", user=leader, reason="更正一处文字")
    response = client.get(reverse("output_download", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("output_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "已撤销定稿，该PDF对应的定稿版本已作废；请重新定稿后再生成" in page
    assert reverse("output_download", args=[job.pk]) not in page  # nothing offered to download
    assert "文件已生成" not in page


def test_a_new_signature_replaces_the_old_versions_pdf(
    final, legal, leader, fake_pdf, django_capture_on_commit_callbacks
):
    client = login(legal)
    first = _made(client, final, django_capture_on_commit_callbacks)
    services.report_transition(report=final, to="draft", user=leader, reason="更正一处文字")
    section = final.sections.get(key="5")
    section.body = "另一段文字。"
    section.save()
    services.report_transition(report=final, to="review", user=legal)
    services.report_transition(report=final, to="final", user=leader)

    assert _downloaded(client, first) is None
    page = client.get(reverse("output_detail", args=[first.pk])).content.decode()
    assert "报告已重新定稿（第2版），该PDF对应的定稿版本已作废" in page
    second = _made(client, final, django_capture_on_commit_callbacks)
    assert second.pk != first.pk and _downloaded(client, second).startswith(b"%PDF")


def test_a_pdf_asked_for_before_unfinalising_is_not_made_of_the_draft(
    final, legal, leader, fake_pdf, django_capture_on_commit_callbacks
):
    """Queued while the report was signed; the worker took it up after 撤销定稿."""
    client = login(legal)
    client.post(reverse("reports:pdf", args=[final.pk]))  # never committed: still queued
    job = Job.objects.get()
    services.report_transition(report=final, to="draft", user=leader, reason="更正一处文字")
    outputs.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and not job.file
    page = client.get(reverse("output_detail", args=[job.pk])).content.decode()
    assert report_outputs.WITHDRAWN in page and "重试" not in page


def test_the_withdrawn_version_is_named_as_withdrawn_in_the_history(final, legal, leader):
    client = login(legal)
    url = reverse("reports:version", args=[final.pk, 1])
    assert "第1版定稿）.docx" in unquote(client.get(url)["Content-Disposition"])
    services.report_transition(report=final, to="draft", user=leader, reason="更正一处文字")
    response = client.get(url)
    assert response.status_code == 200
    assert unquote(response["Content-Disposition"]).endswith("（第1版定稿，已撤销）.docx")


def test_a_drafts_pdf_is_named_as_a_draft(brigade, legal, fake_pdf, django_capture_on_commit_callbacks):
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    report.title = "关于2025年" + "很长的标题" * 38  # 198 characters: the suffix still shows
    report.save()
    client = login(legal)
    job = _made(client, report, django_capture_on_commit_callbacks)
    assert job.filename.endswith("（草稿）.pdf") and job.title.endswith("（草稿PDF）")
    header = unquote(client.get(reverse("output_download", args=[job.pk]))["Content-Disposition"])
    assert header.endswith("（草稿）.pdf")
    page = client.get(reverse("output_detail", args=[job.pk])).content.decode()
    assert "文件已生成。" in page and "条记录" not in page  # a PDF is no count of records


class _Links(HTMLParser):
    """The page's links, and its forms with the method each is sent by."""

    def __init__(self):
        super().__init__()
        self.links, self.forms = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action", "")))


def _every_link_works(client, job):
    page = client.get(reverse("output_detail", args=[job.pk]))
    assert page.status_code == 200
    found = _Links()
    found.feed(page.content.decode())
    for href in found.links:
        assert client.get(href).status_code == 200, href
    for method, action in found.forms:
        if action.startswith("/reports/"):
            assert method == "post", action
    return found


@pytest.mark.parametrize("kind", ["report_pdf", "public_pdf"])
def test_an_older_pdf_jobs_page_asks_again_by_a_post(final, legal, fake_pdf, kind):
    """Jobs made before PDFs were POST-only keep `again` = the PDF's URL, now 405 on a GET."""
    name = "reports:public_pdf" if kind == "public_pdf" else "reports:pdf"
    pdf_url = reverse(name, args=[final.pk])
    client = login(legal)
    failed = Job.objects.create(
        user=legal, brigade=legal.brigade, kind=kind, title="报告（PDF）", status=Job.Status.FAILED,
        message="转换为 PDF 失败，请下载 Word 文件",
        params={"report": final.pk, "again": pdf_url, "version": final.final_sha256},
    )  # fmt: skip
    found = _every_link_works(client, failed)
    assert pdf_url not in found.links and ("post", pdf_url) in found.forms  # 重试 is a button


def test_every_link_on_a_pdf_jobs_page_works(final, legal, fake_pdf, django_capture_on_commit_callbacks):
    client = login(legal)
    job = _made(client, final, django_capture_on_commit_callbacks)
    found = _every_link_works(client, job)
    assert reverse("output_download", args=[job.pk]) in found.links
    Job.objects.filter(pk=job.pk).update(
        params={**job.params, "again": reverse("reports:pdf", args=[final.pk])}
    )
    Job.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - outputs.KEPT_FOR - datetime.timedelta(minutes=1)
    )
    found = _every_link_works(client, job)  # its day is past: 重新生成 is a button
    assert ("post", reverse("reports:pdf", args=[final.pk])) in found.forms
