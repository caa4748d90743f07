"""Migration 0012: every ImportJob and OutputJob row becomes a Job row of the one job model,
its file left where it was; an import keeps its id and its page, a file made gets a new id and
its old page (/files/<id>/) leads to it."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

BEFORE, AFTER = ("brigade", "0011_note_length"), ("brigade", "0012_one_job_model")
WHEN = datetime.datetime(2026, 3, 5, 8, 30, tzinfo=datetime.UTC)


def _stored(name: str, content: bytes) -> str:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return name


@pytest.mark.django_db(transaction=True)
def test_import_and_output_jobs_become_jobs_with_their_files_untouched():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Brigade, User = old.get_model("brigade", "Brigade"), old.get_model("brigade", "User")
    ImportJob, OutputJob = old.get_model("brigade", "ImportJob"), old.get_model("brigade", "OutputJob")
    unit = Brigade.objects.create(name="迁移测试大队", code="migj")
    clerk = User.objects.create(username="migj_clerk", brigade=unit, role="clerk")
    legal = User.objects.create(username="migj_legal", brigade=unit, role="legal")
    upload = b"PK\x03\x04 a ledger file"
    sha = hashlib.sha256(upload).hexdigest()
    upload_name = _stored(f"imports/{sha}/0123456789abcdef.xlsx", upload)
    waiting = ImportJob.objects.create(
        brigade=unit, user=clerk, kind="training", filename="三月培训.xlsx", file=upload_name, sha256=sha,
        size=len(upload), status="preview", rows=3, result={"rows": 3, "created": 3}, phase="",
    )  # fmt: skip
    done = ImportJob.objects.create(
        brigade=unit, user=clerk, confirmed_by=legal, kind="violations", filename="违法.xlsx", sha256="1" * 64,
        status="done", rows=40, progress=40, result={"rows": 40, "created": 40}, finished_at=WHEN,
    )  # fmt: skip
    pdf = b"%PDF-1.7 the report"
    pdf_name = _stored("outputs/2026/03/report.pdf", pdf)
    made = OutputJob.objects.create(
        brigade=unit, user=legal, kind="report_pdf", title="2025年报告（PDF）", params={"report": 7},
        status="done", progress=1, total=1, file=pdf_name, filename="report.pdf", content_type="application/pdf",
        finished_at=WHEN,
    )  # fmt: skip
    ImportJob.objects.filter(pk=waiting.pk).update(created_at=WHEN)

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    Job = executor.loader.project_state([AFTER]).apps.get_model("brigade", "Job")
    assert Job.objects.count() == 3

    first = Job.objects.get(pk=waiting.pk)  # an import keeps its id: its preview page is the same
    assert (first.kind, first.params, first.status, first.filename, first.sha256, first.size) == (
        "import", {"ledger": "training"}, "preview", "三月培训.xlsx", sha, len(upload),
    )  # fmt: skip
    assert (
        first.result == {"rows": 3, "created": 3} and first.created_at == WHEN and first.user_id == clerk.pk
    )
    assert first.file.name == upload_name and (Path(settings.MEDIA_ROOT) / upload_name).read_bytes() == upload
    second = Job.objects.get(pk=done.pk)
    assert (second.params, second.status, second.confirmed_by_id, second.progress, second.finished_at) == (
        {"ledger": "violations"}, "done", legal.pk, 40, WHEN,
    )  # fmt: skip
    output = Job.objects.get(kind="report_pdf")
    assert output.pk not in (waiting.pk, done.pk) and output.result == {"output_id": made.pk}
    assert (output.title, output.params, output.status, output.user_id, output.content_type) == (
        "2025年报告（PDF）", {"report": 7}, "done", legal.pk, "application/pdf",
    )  # fmt: skip
    assert output.file.name == pdf_name and (Path(settings.MEDIA_ROOT) / pdf_name).read_bytes() == pdf
    # a job made after the migration gets an id of its own (PostgreSQL's sequence moved on)
    fresh = Job.objects.create(kind="ledger_export", user_id=clerk.pk, title="新的导出")
    assert fresh.pk > max(waiting.pk, done.pk, output.pk)

    # the file's old page, bookmarked before: its job now
    from brigade.models import User as CurrentUser

    client = Client()
    client.force_login(CurrentUser.objects.get(pk=legal.pk))
    response = client.get(f"/files/{made.pk}/")
    assert response.status_code == 302 and response["Location"] == reverse("output_detail", args=[output.pk])
    assert client.get(f"/files/{made.pk}/download")["Location"] == reverse(
        "output_download", args=[output.pk]
    )
