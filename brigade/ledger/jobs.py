"""Running a confirmed import job: in the request for a small file, on a background thread for a
large one, with its progress where any web worker can read it."""

import datetime
import threading

from django.core.cache import caches
from django.db import connection, transaction
from django.utils import timezone

from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import FileRefused
from brigade.models import ImportJob

_threads: list[threading.Thread] = []  # joined by tests; a web worker lets them finish on their own


class AlreadyRunning(Exception):
    pass


def progress_key(job_id) -> str:
    return f"import-progress:{job_id}"


def progress_of(job: ImportJob) -> int:
    return caches["progress"].get(
        progress_key(job.pk), job.rows if job.status != ImportJob.Status.RUNNING else 0
    )


# A job still "running" after this long died with its worker (a restart): it no longer blocks its file.
STALE_AFTER = datetime.timedelta(hours=1)


def same_file_running(*, brigade_id, kind, sha256, exclude=None) -> ImportJob | None:
    qs = ImportJob.objects.filter(
        brigade_id=brigade_id, kind=kind, sha256=sha256, status=ImportJob.Status.RUNNING,
        created_at__gte=timezone.now() - STALE_AFTER,
    )  # fmt: skip
    return qs.exclude(pk=exclude).first() if exclude else qs.first()


@transaction.atomic
def import_job_start(*, job: ImportJob) -> ImportJob:
    """PREVIEW → RUNNING, once: a second confirmation, or the same file confirmed twice, is refused."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PREVIEW:
        raise AlreadyRunning(f"该文件的状态是“{job.get_status_display()}”，不能再次导入")
    other = same_file_running(brigade_id=job.brigade_id, kind=job.kind, sha256=job.sha256, exclude=job.pk)
    if other:
        raise AlreadyRunning(
            f"同一文件正在导入中（{other.user or ''}于{timezone.localtime(other.created_at):%H:%M}上传），请等它完成"
        )
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    return job


def import_job_run(*, job: ImportJob, ledger, user) -> ImportJob:
    """Import the job's file for real and record the outcome on the job."""
    cache = caches["progress"]
    try:
        with job.file.open("rb") as fh:
            result = ledger_import(
                ledger=ledger, brigade=job.brigade, source=fh, user=user, reason=f"Excel导入：{job.filename}",
                progress=lambda rows: cache.set(progress_key(job.pk), rows, 3600),
            )  # fmt: skip
    except FileRefused as e:
        result, job.message = None, str(e)
    except Exception:
        job.status, job.message, job.finished_at = (
            ImportJob.Status.FAILED,
            "导入时发生意外错误，没有写入任何记录",
            timezone.now(),
        )
        job.save()
        raise
    job.finished_at = timezone.now()
    if result is not None:
        job.rows, job.result = result.rows, result.as_dict()
    job.status = ImportJob.Status.DONE if result is not None and result.written else ImportJob.Status.FAILED
    job.save()
    cache.delete(progress_key(job.pk))
    if job.status == ImportJob.Status.DONE:
        job.file.delete(save=True)
    return job


def import_job_run_in_background(*, job: ImportJob, ledger, user) -> threading.Thread:
    def run():
        try:
            import_job_run(job=job, ledger=ledger, user=user)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=f"import-{job.pk}", daemon=True)
    _threads.append(thread)
    thread.start()
    return thread
