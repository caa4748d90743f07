"""A PDF conversion that crosses a limit of the operating system (reports/pdf.py) is named on the
job's page in Chinese — 转换超时, 内存超过限制, 计算时间超过 — and 重试 is offered where asking
again may pass (a timeout), not where the same document would cross the same limit."""

import os
import shutil
import stat

import pytest
from django.urls import reverse

from brigade.models import Job
from reports import pdf, services
from tests.conftest import login


@pytest.fixture
def report(brigade, legal):
    return services.report_create(brigade=brigade, year=2025, user=legal)


@pytest.fixture
def soffice(tmp_path, monkeypatch):
    """Puts a stand-in `soffice` first on PATH; it ends as the body given says. Like the real
    one, a shell script whose child (soffice.bin) is what the kernel stops."""

    def install(body: str):
        folder = tmp_path / "bin"
        folder.mkdir(exist_ok=True)
        script = folder / "soffice"
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")

    return install


def _job_page(client, report, capture):
    with capture(execute=True):
        response = client.post(reverse("reports:pdf", args=[report.pk]))
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    return job, client.get(response["Location"]).content.decode()


def _retry_form(report) -> str:
    return f'<form method="post" action="{reverse("reports:pdf", args=[report.pk])}"'


def test_a_timeout_is_named_and_may_be_retried(
    report, legal, soffice, monkeypatch, django_capture_on_commit_callbacks
):
    soffice("sleep 30")
    monkeypatch.setattr(pdf, "SECONDS", 1)
    client = login(legal)
    job, page = _job_page(client, report, django_capture_on_commit_callbacks)
    assert "转换超时（超过 1 秒）" in page and "可以稍后重试" in page
    assert _retry_form(report) in page and "重试</button>" in page
    assert "Timeout" not in page and "Error" not in page
    # 重试 makes a new job (the failed one is not given back)
    soffice("exit 1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:pdf", args=[report.pk]))
    assert Job.objects.count() == 2


def test_memory_over_the_limit_is_named_without_a_retry(
    report, legal, soffice, django_capture_on_commit_callbacks
):
    soffice("sh -c 'kill -ABRT $$'\nexit $?")  # soffice.bin aborts on a failed allocation: 134
    job, page = _job_page(login(legal), report, django_capture_on_commit_callbacks)
    assert f"文件过大，转换所需内存超过限制（{pdf.MEMORY_MB} MB）" in page
    assert "请下载 Word 文件" in page
    assert _retry_form(report) not in page and "重试" not in page


def test_cpu_time_over_the_limit_is_named(report, legal, soffice, django_capture_on_commit_callbacks):
    soffice("sh -c 'kill -XCPU $$'\nexit $?")  # the shell reports SIGXCPU as 152
    job, page = _job_page(login(legal), report, django_capture_on_commit_callbacks)
    assert f"转换所用的计算时间超过 {pdf.CPU_SECONDS} 秒（上限）" in page
    assert "LibreOffice 未能" not in page and "重试" not in page


def test_a_failure_naming_no_limit_may_be_retried(report, legal, soffice, django_capture_on_commit_callbacks):
    soffice("exit 1")
    job, page = _job_page(login(legal), report, django_capture_on_commit_callbacks)
    assert "LibreOffice 未能把报告转换为 PDF。可以稍后重试" in page and _retry_form(report) in page


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_over_its_memory_limit(report, legal, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(pdf, "MEMORY_MB", 200)  # LibreOffice needs some 400 MB to start
    job, page = _job_page(login(legal), report, django_capture_on_commit_callbacks)
    assert "文件过大，转换所需内存超过限制（200 MB）" in page and "重试" not in page
