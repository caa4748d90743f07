"""The report's PDF is made by the worker: the request (a POST, the report page's button) queues
it and the file's page downloads it. A GET queues nothing; the same version asked again is one job."""

import shutil

import pytest
from django.urls import reverse

from brigade.models import Job
from reports import docx
from reports import services as report_services
from tests.conftest import login


@pytest.fixture
def report(brigade, legal):
    return report_services.report_create(brigade=brigade, year=2025, user=legal)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_pdf_is_made_by_the_worker_and_downloaded_from_its_page(
    report, legal, leader, django_capture_on_commit_callbacks
):
    client = login(leader)  # anyone who may read the report
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:pdf", args=[report.pk]))
    job = Job.objects.get()
    assert response["Location"] == reverse("output_detail", args=[job.pk])
    assert job.status == Job.Status.DONE, job.message
    download = client.get(reverse("output_download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf"
    assert login(legal).get(reverse("output_download", args=[job.pk])).status_code == 404


def test_without_libreoffice_the_report_page_says_so(report, legal, monkeypatch):
    monkeypatch.setattr(docx, "pdf_available", lambda: False)
    response = login(legal).post(reverse("reports:pdf", args=[report.pk]), follow=True)
    assert "服务器未安装 LibreOffice" in response.content.decode()
    assert not Job.objects.exists()


def test_another_brigades_user_cannot_ask_for_it(report, outsider):
    assert login(outsider).post(reverse("reports:pdf", args=[report.pk])).status_code == 404
    assert not Job.objects.exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_detachment_user_gets_the_pdf_of_a_brigades_report(
    report, detachment_user, django_capture_on_commit_callbacks
):
    client = login(detachment_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:pdf", args=[report.pk]))
    job = Job.objects.get()
    assert job.status == Job.Status.DONE, job.message
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("output_download", args=[job.pk])).status_code == 200


@pytest.fixture
def fake_pdf(monkeypatch):
    """LibreOffice stood in for: what matters here is which jobs are queued."""
    monkeypatch.setattr(docx, "pdf_available", lambda: True)
    monkeypatch.setattr(docx, "docx_to_pdf", lambda content: b"%PDF-1.7 fake")


def test_a_get_queues_nothing(report, legal, fake_pdf):
    client = login(legal)
    for _ in range(3):  # a crawler following a link
        assert client.get(reverse("reports:pdf", args=[report.pk])).status_code == 405
    assert not Job.objects.exists()
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert f'<form method="post" action="{reverse("reports:pdf", args=[report.pk])}"' in page


def test_one_job_per_version_of_the_report(report, legal, fake_pdf, django_capture_on_commit_callbacks):
    client = login(legal)
    url = reverse("reports:pdf", args=[report.pk])
    first = client.post(url)  # queued (the worker has not run yet)
    again = client.post(url)
    assert first["Location"] == again["Location"] and Job.objects.count() == 1
    job = Job.objects.get()
    from brigade import outputs

    outputs.job_run(job_id=job.pk)
    assert client.post(url)["Location"] == first["Location"]  # made, and still kept: that file
    assert Job.objects.count() == 1
    section = report.sections.get(key="5")
    section.body = "另一段文字。"
    section.save()
    assert client.post(url)["Location"] != first["Location"]  # the text changed: a new version
    assert Job.objects.count() == 2
    assert job.params["again"] == reverse("reports:detail", args=[report.pk])  # a page, not the POST
