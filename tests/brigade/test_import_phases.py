"""An import in two phases: checking (reading, checking, matching) and writing. On SQLite the
check is outside any write transaction and the write one short transaction that first checks
nothing it was decided against changed; on PostgreSQL both run in one transaction, each chunk
written while the next is checked. Progress is reported through both; a large upload is
previewed by the worker."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from brigade import outputs
from brigade.ledger import importer, jobs, matching
from brigade.models import Job
from enforcement.models import Violation
from tests.conftest import make_xlsx
from tests.enforcement.test_import import VIOLATION_HEADER, do_import, violation
from tests.threads import in_thread, shared_database

# The check made outside the write transaction, then re-made under its lock: SQLite's way. On
# PostgreSQL the rows are checked inside the transaction (test_a_record_deleted_while_…).
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite checks before its write")

CONFIRM = '<button class="btn primary">确认导入</button>'


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(importer, "FIRST_CHUNK_ROWS", 100)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 100)


@pytest.mark.usefixtures("small_chunks")
def test_progress_moves_through_checking_then_writing(brigade):
    heard = []
    rows = [VIOLATION_HEADER, *[violation(f"P{n:04d}") for n in range(250)]]
    result = do_import("violations", brigade, rows, progress=lambda *call: heard.append(call))
    assert result.written and result.created == 250
    checking = [call for call in heard if call[0] == importer.CHECKING]
    writing = [call for call in heard if call[0] == importer.WRITING]
    assert [done for _, done in checking] == [100, 200, 250]  # rows checked so far, chunk by chunk
    assert heard.index(writing[0]) > heard.index(checking[-1])  # the phase once all is checked
    assert writing[-1] == (importer.WRITING, 250, 250)
    assert [done for _, done, _ in writing] == sorted(done for _, done, _ in writing)
    if connection.vendor == "sqlite":  # the write begins once all is checked
        assert writing[0] == (importer.WRITING, 0, 250)
    else:  # the chunks checked were being written meanwhile: what is left is told as it is stored
        assert all(total == 250 for _, _, total in writing)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's pipeline")
@pytest.mark.usefixtures("small_chunks")
def test_on_postgresql_chunks_are_written_while_the_next_are_checked(brigade):
    stored = []  # records in the import's transaction as each chunk's check ends

    def progress(phase, done, total=None):
        if phase == importer.CHECKING:
            stored.append(Violation.objects.count())  # waits for the writing thread's COPY

    rows = [VIOLATION_HEADER, *[violation(f"P{n:04d}") for n in range(350)]]
    assert do_import("violations", brigade, rows, progress=progress).written
    assert stored[-1] > 0 and stored == sorted(stored), stored  # written before the check ended
    assert Violation.objects.count() == 350


def _edit_before_the_write(record, **changes):
    """A progress callback that, as the write is about to begin, saves another user's change."""

    def progress(phase, done, total=None):
        if phase == importer.WRITING and done == 0 and not changes.get("_done"):
            changes["_done"] = True
            for name, value in changes.items():
                if name != "_done":
                    setattr(record, name, value)
            record.save()

    return progress


@sqlite_only
def test_a_record_changed_between_the_check_and_the_write_is_matched_again(brigade):
    do_import("violations", brigade, [VIOLATION_HEADER, violation("A1"), violation("A2")])
    record = Violation.objects.get(decision_no="A1")
    # The file holds A1 as it is now (unchanged) and changes A2; meanwhile someone edits A1.
    rows = [VIOLATION_HEADER, violation("A1"), violation("A2", 记分=3)]
    result = do_import("violations", brigade, rows, progress=_edit_before_the_write(record, points=9))
    assert result.written and (result.updated, result.unchanged) == (2, 0), result.as_dict()
    # The file's A1 wins, as if the edit had been saved before the import began: not kept half.
    assert dict(Violation.objects.values_list("decision_no", "points")) == {"A1": 12, "A2": 3}


@sqlite_only
def test_a_record_deleted_between_the_check_and_the_write_is_created_again(brigade):
    do_import("violations", brigade, [VIOLATION_HEADER, violation("D1")])
    record = Violation.objects.get(decision_no="D1")

    def progress(phase, done, total=None):
        if phase == importer.WRITING and done == 0 and Violation.objects.filter(pk=record.pk).exists():
            Violation.objects.filter(pk=record.pk).delete()

    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("D1", 记分=6)], progress=progress)
    assert result.written and (result.created, result.updated) == (1, 0), result.as_dict()
    assert list(Violation.objects.values_list("decision_no", "points")) == [("D1", 6)]


@sqlite_only
def test_a_year_locked_between_the_check_and_the_write_refuses_the_rows(brigade, legal):
    from brigade import locks

    def progress(phase, done, total=None):
        if phase == importer.WRITING and done == 0 and not locks.locked_years(brigade.pk):
            locks.year_lock(brigade=brigade, year=2024, user=legal, reason="2024年度报告已定稿")

    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("Y1")], progress=progress)
    assert not result.written and not Violation.objects.exists()
    assert "2024年度法治政府建设情况报告已定稿" in str(result.errors[0])


@pytest.mark.django_db(transaction=True)
def test_a_record_deleted_by_another_user_while_the_file_is_checked(brigade, monkeypatch, tmp_path):
    """Another user deletes a record the file updates, once the import has matched it: on SQLite
    the write's re-check finds it gone and the row is created again; on PostgreSQL, where the
    import checks inside its transaction, nothing is written and the clerk is told to import
    again. Never a row counted as updated and missing."""
    do_import("violations", brigade, [VIOLATION_HEADER, violation("G1"), violation("G2")])
    gone = Violation.objects.get(decision_no="G2")
    prefetch = matching.Existing.prefetch

    def then_deleted(existing, wanted):
        prefetch(existing, wanted)
        if Violation.objects.filter(pk=gone.pk).exists():  # once: the other user's delete, committed
            thread, outcome = in_thread(lambda: Violation.objects.filter(pk=gone.pk).delete())
            thread.join(30)
            assert "error" not in outcome, outcome

    with shared_database(tmp_path):
        monkeypatch.setattr(matching.Existing, "prefetch", then_deleted)
        rows = [VIOLATION_HEADER, violation("G1", 记分=3), violation("G2", 记分=6)]
        result = do_import("violations", brigade, rows)
        points = dict(Violation.objects.values_list("decision_no", "points"))
    if connection.vendor == "sqlite":
        assert result.written and (result.created, result.updated) == (1, 1), result.as_dict()
        assert points == {"G1": 3, "G2": 6}
    else:
        assert not result.written and points == {"G1": 12}, (result.as_dict(), points)
        (error,) = result.errors
        assert error.message == "写入时发现文件要更新的记录刚被其他用户删除，没有写入任何记录，请重新导入"


def test_a_large_upload_is_previewed_by_the_worker_while_the_page_follows(as_clerk, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(jobs, "PREVIEW_INLINE_BYTES", 1024)
    upload = make_xlsx([VIOLATION_HEADER, *[violation(f"W{n:03d}") for n in range(300)]])
    response = as_clerk.post(reverse("ledger:import", args=["violations"]), {"file": upload})
    job = Job.objects.get()
    assert response["Location"] == reverse("ledger:import_preview", args=["violations", job.pk])
    assert job.status == Job.Status.CHECKING  # the request did not check the file
    page = as_clerk.get(response["Location"]).content.decode()
    assert "正在检查" in page and "检查完成后本页自动显示预览" in page and CONFIRM not in page
    state = as_clerk.get(reverse("ledger:import_progress", args=["violations", job.pk])).json()
    assert state["status"] == "checking" and state["status_display"] == "正在检查"

    assert outputs.job_run(job_id=job.pk) == Job.Status.PREVIEW  # the worker's turn
    page = as_clerk.get(response["Location"]).content.decode()
    assert "将新增：300" in page and CONFIRM in page and not Violation.objects.exists()


def test_a_large_upload_the_worker_cannot_read_says_why_in_chinese(as_clerk, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(jobs, "PREVIEW_INLINE_BYTES", 10)
    upload = make_xlsx([["名称", "日期"], ["甲", datetime.date(2025, 1, 1)]])
    as_clerk.post(reverse("ledger:import", args=["violations"]), {"file": upload})
    job = Job.objects.get()
    outputs.job_run(job_id=job.pk)
    page = as_clerk.get(reverse("ledger:import_preview", args=["violations", job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.REFUSED and not jobs.file_present(job)
    assert "没有导入：" in page and "重新上传" in page and "Error" not in page


def test_a_small_upload_is_still_previewed_at_once(as_clerk):
    upload = make_xlsx([VIOLATION_HEADER, violation("S1")])
    response = as_clerk.post(reverse("ledger:import", args=["violations"]), {"file": upload}, follow=True)
    assert "将新增：1" in response.content.decode()
    assert Job.objects.get().status == Job.Status.PREVIEW
