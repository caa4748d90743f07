"""The report's PDF is made by the worker: the request queues it and the file's page downloads it."""

import shutil

import pytest
from django.urls import reverse

from brigade.models import OutputJob
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
        response = client.get(reverse("reports:pdf", args=[report.pk]))
    job = OutputJob.objects.get()
    assert response["Location"] == reverse("output_detail", args=[job.pk])
    assert job.status == OutputJob.Status.DONE, job.message
    download = client.get(reverse("output_download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf"
    assert login(legal).get(reverse("output_download", args=[job.pk])).status_code == 404


def test_without_libreoffice_the_report_page_says_so(report, legal, monkeypatch):
    monkeypatch.setattr(docx, "pdf_available", lambda: False)
    response = login(legal).get(reverse("reports:pdf", args=[report.pk]), follow=True)
    assert "服务器未安装 LibreOffice" in response.content.decode()
    assert not OutputJob.objects.exists()


def test_another_brigades_user_cannot_ask_for_it(report, outsider):
    assert login(outsider).get(reverse("reports:pdf", args=[report.pk])).status_code == 404
    assert not OutputJob.objects.exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_detachment_user_gets_the_pdf_of_a_brigades_report(
    report, detachment_user, django_capture_on_commit_callbacks
):
    client = login(detachment_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("reports:pdf", args=[report.pk]))
    job = OutputJob.objects.get()
    assert job.status == OutputJob.Status.DONE, job.message
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("output_download", args=[job.pk])).status_code == 200
