"""Files made by the worker (brigade.outputs): a large export is queued, followed on its page and
downloaded by the user who asked for it, with the list's filters; nobody else can fetch it."""

import datetime
import io
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brigade import outputs
from brigade.models import Job, Training
from tests.conftest import login


@pytest.fixture
def trainings(brigade, other_brigade):
    for n in range(5):
        Training.objects.create(brigade=brigade, date=datetime.date(2025, 3, 1 + n), name=f"学法{n}",
                                kind="专题学法", mode="线下", attendees=10 + n)  # fmt: skip
    Training.objects.create(brigade=brigade, date=datetime.date(2024, 3, 1), name="去年的学法",
                            kind="专题学法", mode="线下", attendees=9)  # fmt: skip
    Training.objects.create(brigade=other_brigade, date=datetime.date(2025, 3, 1), name="乙县学法",
                            kind="专题学法", mode="线下", attendees=9)  # fmt: skip


@pytest.fixture(autouse=True)
def test_kind(monkeypatch):
    """The kind "test" the tests below make files of: anyone it was made for may fetch it."""
    monkeypatch.setitem(outputs.MAY, "test", lambda job: True)


@pytest.fixture
def small_inline(settings):
    settings.EXPORT_INLINE_ROWS = 2


def _names(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("名称")
    return sorted(r[column] for r in rows[1:])


def test_a_large_export_is_made_by_the_worker_with_the_lists_filters(
    clerk, trainings, small_inline, django_capture_on_commit_callbacks
):
    client = login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("ledger:export", args=["training"]), {"year": 2025})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("output_detail", args=[job.pk])
    assert (job.status, job.user, job.progress, job.total) == (Job.Status.DONE, clerk, 5, 5)

    page = client.get(reverse("output_detail", args=[job.pk])).content.decode()
    assert "文件已生成（5条记录）" in page and reverse("output_download", args=[job.pk]) in page

    download = client.get(reverse("output_download", args=[job.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert _names(b"".join(download.streaming_content)) == [f"学法{n}" for n in range(5)]


def test_a_small_export_is_still_downloaded_at_once(clerk, trainings):
    response = login(clerk).get(reverse("ledger:export", args=["training"]), {"year": 2025})
    assert response.status_code == 200
    assert _names(b"".join(response.streaming_content)) == [f"学法{n}" for n in range(5)]
    assert not Job.objects.exists()


def test_another_user_cannot_see_or_fetch_the_file(
    clerk, legal, outsider, trainings, small_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(clerk).get(reverse("ledger:export", args=["training"]))
    job = Job.objects.get()
    for user in (legal, outsider):  # a colleague of the same brigade, and another brigade's user
        client = login(user)
        for name in ("output_detail", "output_status", "output_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_progress_is_visible_while_the_file_is_made(clerk, monkeypatch):
    monkeypatch.setattr(outputs, "REPORT_EVERY", datetime.timedelta(0))
    seen = []

    def chunks(job, progress):
        for done in range(1, 4):
            progress(done, 3)
            row = Job.objects.get(pk=job.pk)
            seen.append((row.status, row.progress, row.total))
            yield b"x"

    monkeypatch.setitem(
        outputs.PRODUCERS,
        "test",
        lambda job, progress: outputs.Made("a.txt", "text/plain", chunks(job, progress)),
    )
    job = Job.objects.create(user=clerk, brigade=clerk.brigade, kind="test", title="测试文件")
    assert outputs.job_run(job_id=job.pk) == Job.Status.DONE
    assert seen == [("running", 1, 3), ("running", 2, 3), ("running", 3, 3)]
    status = login(clerk).get(reverse("output_status", args=[job.pk])).json()
    assert (status["status"], status["done"], status["total"]) == ("done", 3, 3)


def test_a_refusal_is_shown_in_chinese_and_a_job_left_by_a_dead_worker_can_be_asked_again(clerk, monkeypatch):
    def refuse(job, progress):
        raise outputs.Refused("您已没有查看培训台账的权限")

    monkeypatch.setitem(outputs.PRODUCERS, "test", refuse)
    again = reverse("ledger:export", args=["training"])
    failed = Job.objects.create(user=clerk, brigade=clerk.brigade, kind="test", title="测试文件",
                                      params={"again": again})  # fmt: skip
    outputs.job_run(job_id=failed.pk)
    page = login(clerk).get(reverse("output_detail", args=[failed.pk])).content.decode()
    assert "您已没有查看培训台账的权限" in page and f'href="{again}"' in page

    # its worker died a moment ago: its last report is fresh, but nobody holds the job's lock
    stale = timezone.now()
    left = Job.objects.create(user=clerk, brigade=clerk.brigade, kind="test", title="测试文件",
                                    status="running", heartbeat_at=stale, params={"again": again})  # fmt: skip
    page = login(clerk).get(reverse("output_detail", args=[left.pk])).content.decode()
    assert "已停止" in page and f'href="{again}"' in page
    assert outputs.job_run(job_id=left.pk) == "not queued"  # a second worker leaves it alone


def test_an_unexpected_error_is_not_shown_as_python(clerk, monkeypatch):
    def broken(job, progress):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(outputs.PRODUCERS, "test", broken)
    job = Job.objects.create(user=clerk, brigade=clerk.brigade, kind="test", title="测试文件")
    outputs.job_run(job_id=job.pk)
    page = login(clerk).get(reverse("output_detail", args=[job.pk])).content.decode()
    assert outputs.FAILED in page and "ZeroDivision" not in page and "division" not in page


def _exported(client, capture):
    with capture(execute=True):
        client.get(reverse("ledger:export", args=["training"]))
    job = Job.objects.get()
    assert job.status == Job.Status.DONE
    return job


def test_a_user_moved_to_another_brigade_no_longer_gets_the_file(
    clerk, other_brigade, trainings, small_inline, django_capture_on_commit_callbacks
):
    client = login(clerk)
    job = _exported(client, django_capture_on_commit_callbacks)
    clerk.brigade = other_brigade
    clerk.save()
    for name in ("output_detail", "output_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_a_role_that_lost_the_ledger_no_longer_gets_the_file(
    clerk, trainings, small_inline, django_capture_on_commit_callbacks, monkeypatch
):
    client = login(clerk)
    job = _exported(client, django_capture_on_commit_callbacks)
    from brigade import access

    monkeypatch.setattr(access, "can", lambda user, action, model: False)
    assert client.get(reverse("output_download", args=[job.pk])).status_code == 404


def test_a_file_past_its_day_is_not_served_and_is_removed(
    clerk, trainings, small_inline, django_capture_on_commit_callbacks
):
    client = login(clerk)
    job = _exported(client, django_capture_on_commit_callbacks)
    path = job.file.path
    Job.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - outputs.KEPT_FOR - datetime.timedelta(minutes=1)
    )
    response = client.get(reverse("output_download", args=[job.pk]))
    assert response.status_code == 302  # back to the file's page, which says it was removed
    assert "已超过保存期限" in client.get(response["Location"]).content.decode()
    outputs.clean_up()  # run whenever anyone asks for a file
    assert not os.path.exists(path)


def test_a_job_never_taken_up_can_be_asked_again_and_a_reload_does_not_queue_twice(
    clerk, trainings, small_inline
):
    client = login(clerk)
    url = reverse("ledger:export", args=["training"])
    client.get(url)  # the test's transaction never commits: never handed to the worker
    client.get(url)  # a reload while it waits: the same job
    job = Job.objects.get()
    assert job.status == Job.Status.QUEUED and not outputs.can_retry(job)
    Job.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - outputs.QUEUED_TOO_LONG - datetime.timedelta(minutes=1)
    )
    job.refresh_from_db()
    assert outputs.can_retry(job)
    page = client.get(reverse("output_detail", args=[job.pk])).content.decode()
    assert "重新生成" in page and "已停止" in page
    client.get(url)  # asked again: a new job
    assert Job.objects.count() == 2


def test_a_refusal_that_would_fail_again_offers_no_retry(clerk, monkeypatch):
    def too_large(job, progress):
        raise outputs.Refused("文件过大，转换所需内存超过限制（1024 MB），已停止", retry=False)

    monkeypatch.setitem(outputs.PRODUCERS, "test", too_large)
    again = reverse("ledger:export", args=["training"])
    job = Job.objects.create(user=clerk, brigade=clerk.brigade, kind="test", title="测试文件",
                                   params={"again": again})  # fmt: skip
    outputs.job_run(job_id=job.pk)
    page = login(clerk).get(reverse("output_detail", args=[job.pk])).content.decode()
    assert "内存超过限制" in page and again not in page and "重试" not in page


def test_a_kind_made_on_a_post_is_asked_again_by_a_button(clerk, monkeypatch):
    """A kind that declares `again` (a PDF: made only on a POST) gets a button, even where an
    older job's `params["again"]` named a URL that a GET no longer reaches."""
    monkeypatch.setitem(outputs.AGAIN, "test", lambda job: "/made-on-post/")
    job = Job.objects.create(user=clerk, brigade=clerk.brigade, kind="test", title="测试文件",
                                   status=Job.Status.FAILED, params={"again": "/made-on-post/"})  # fmt: skip
    page = login(clerk).get(reverse("output_detail", args=[job.pk])).content.decode()
    assert '<form method="post" action="/made-on-post/"' in page and 'href="/made-on-post/"' not in page
    assert "重试</button>" in page


def test_a_file_lost_from_the_disk_is_not_an_error_page(
    clerk, trainings, small_inline, django_capture_on_commit_callbacks
):
    client = login(clerk)
    job = _exported(client, django_capture_on_commit_callbacks)
    os.remove(job.file.path)  # removed by hand, or a restore without media/
    response = client.get(reverse("output_download", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("output_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "请重新生成" in page and f'href="{job.params["again"]}"' in page
