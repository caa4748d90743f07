"""Confirmed imports, and the previews of large uploads, run as tasks by a worker process
(django-tasks, queued in the database).

    (large upload) CHECKING ──worker──▶ PREVIEW | REFUSED
    (small upload) ─────────────────────▶ PREVIEW | REFUSED
    PREVIEW ──confirm──▶ QUEUED ──worker──▶ RUNNING ──▶ DONE | FAILED
                            ▲                  │
                            └──── retry ◀──────┘ (its worker died)

Why a worker and not a thread of the web worker: a web worker can be killed or recycled at any
moment (gunicorn's timeout, a deploy), and on SQLite a thread writing beside the requests made
them fail with "database is locked". The queue is a table in our own database, so no job that
was confirmed is lost when the worker stops: it is taken up when the worker starts again.

While a job runs, its worker holds a lock on the job that dies with it: on PostgreSQL a
session-level advisory lock (released with the worker's connection), on SQLite (one machine) an
flock on a file of the job's (released by the kernel with the process). So a job whose worker died
is known at once and the user can retry it; the short write that cannot report progress on SQLite
(the import holds the one write lock) is never taken for dead.
Progress (its phase, 检查 or 写入, and rows) and heartbeat are written on a connection of the
worker's own, in autocommit, so that other users see them while the import's own transaction is
still open."""

import datetime
import fcntl
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, connections, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from brigade import rollup
from brigade.ledger import importer, registry
from brigade.ledger.importer import ledger_import, readable
from brigade.ledger.writing import ImportUnavailable
from brigade.ledger.xlsx import FileRefused
from brigade.models import ImportJob

logger = logging.getLogger(__name__)

MISSING_FILE = "上传的文件已不在服务器上（可能已被清理），没有写入任何记录，请重新上传"
JOB_LOCK = 0x4A0B  # advisory lock namespace of running import jobs (the other key is the job's id)
KEPT_FOR = datetime.timedelta(days=1)  # an upload waiting for a decision (确认, 放弃, 重新导入)
# An upload up to this size is checked within the request (under about a second: some 5,000
# rows); a larger one by the worker, the preview page showing its progress.
PREVIEW_INLINE_BYTES = 200 * 1024
PREVIEW_FAILED = "检查文件时发生意外错误，没有写入任何记录；请重新上传，仍不成功请联系管理员"


class AlreadyRunning(Exception):
    pass


# ── is a job's worker alive? ──────────────────────────────────────────────────────────────────


def _lock_file(job_id: int) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "import-locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}.lock"


def _try_hold(job_id: int):
    """Take the job's lock without waiting; the held lock (to release), or None if it is held."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCK, job_id])
            return ("pg", job_id) if cursor.fetchone()[0] else None
    handle = open(_lock_file(job_id), "a+")  # noqa: SIM115 — held open while the job runs
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return ("file", handle)


def _release(held) -> None:
    kind, value = held
    if kind == "pg":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCK, value])
    else:
        fcntl.flock(value, fcntl.LOCK_UN)
        value.close()


def _forget(job_id: int) -> None:
    """The finished job's lock file (a later probe may leave an empty one: harmless)."""
    if connection.vendor != "postgresql":
        _lock_file(job_id).unlink(missing_ok=True)


def worker_alive(job: ImportJob) -> bool:
    """Whether the job's worker is still at it (only asked of a RUNNING job): its lock is held."""
    held = _try_hold(job.pk)
    if held is None:
        return True
    _release(held)  # nobody held it: the worker is gone
    return False


def file_present(job: ImportJob) -> bool:
    """Whether the job's upload is still on the server (it is removed once imported)."""
    return bool(job.file) and job.file.storage.exists(job.file.name)


def can_retry(job: ImportJob) -> bool:
    """A job its worker left, or one that failed, can be imported again from its upload."""
    return (interrupted(job) or job.status == ImportJob.Status.FAILED) and file_present(job)


def interrupted(job: ImportJob) -> bool:
    """A job left RUNNING, or CHECKING once a worker took it, by a worker that died (killed,
    restarted, the machine went down)."""
    if job.status == ImportJob.Status.CHECKING:
        return job.heartbeat_at is not None and not worker_alive(job)
    return job.status == ImportJob.Status.RUNNING and not worker_alive(job)


def same_file_running(*, brigade_id, kind, sha256, exclude=None) -> ImportJob | None:
    """A job of the same file for the same ledger that is queued or being written."""
    qs = ImportJob.objects.filter(
        brigade_id=brigade_id, kind=kind, sha256=sha256,
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING],
    ).exclude(pk=exclude)  # fmt: skip
    return next((job for job in qs if not interrupted(job)), None)


# ── the uploaded files ────────────────────────────────────────────────────────────────────────
#
# An upload is kept under the SHA-256 of its content, imports/<sha256>/<random>.<suffix>, one name
# per job: the same file uploaded again is a hard link to the copy already there, so its bytes
# are stored once, and the file system counts the references. Removing a job's file removes its
# name only; the bytes go with the last name. No lock is needed: a link to a copy that has just
# been removed fails, and the upload is then written afresh.


def store_upload(job: ImportJob, content: bytes, suffix: str) -> None:
    """Keep `content` (whose SHA-256 is job.sha256) as the job's file, not yet saving the job."""
    folder = f"imports/{job.sha256}"
    name = f"{folder}/{secrets.token_hex(8)}.{suffix}"
    storage = job.file.storage
    try:
        path = Path(storage.path(name))
    except NotImplementedError:  # a storage without local files: one copy per job
        job.file.save(name, ContentFile(content), save=False)
        return
    job.file.name = name
    path.parent.mkdir(parents=True, exist_ok=True)
    for existing in sorted(path.parent.iterdir()):
        if existing.name.startswith(".") or existing == path:
            continue  # "." : a copy still being written
        try:
            if existing.stat().st_size == len(content):
                os.link(existing, path)
                return
        except FileNotFoundError:
            continue  # removed meanwhile: try the next one, or write
        except OSError:
            break  # no hard links here (another file system, too many links): write a copy
    partial = path.with_name(f".{path.name}")
    partial.write_bytes(content)
    os.replace(partial, path)  # whole or not at all, for a later upload that links to it


def remove_upload(job: ImportJob) -> None:
    """Remove the job's file (its name; the bytes stay while another job's name links to them)."""
    if not job.file:
        return
    name = job.file.name
    job.file.storage.delete(name)
    job.file.name = ""
    try:
        os.rmdir(Path(job.file.storage.path(name)).parent)  # the content's folder, once it is empty
    except (OSError, NotImplementedError):
        pass


def abandon(job: ImportJob) -> None:
    """放弃: the preview is not imported; its upload is removed, the job stays as the record."""
    remove_upload(job)
    job.status, job.finished_at = ImportJob.Status.ABANDONED, timezone.now()
    job.save(update_fields=["file", "status", "finished_at"])


def clean_up() -> None:
    """Uploads left waiting for a day: a preview nobody confirmed is abandoned, a failed import's
    file is removed (it can no longer be retried). Run at every upload and every import."""
    old = timezone.now() - KEPT_FOR
    waiting = [ImportJob.Status.PREVIEW, ImportJob.Status.CHECKING]
    for job in ImportJob.objects.filter(status__in=waiting, created_at__lt=old):
        abandon(job)
    for job in ImportJob.objects.filter(status=ImportJob.Status.FAILED, created_at__lt=old).exclude(file=""):
        remove_upload(job)
        job.save(update_fields=["file"])


# ── the preview ───────────────────────────────────────────────────────────────────────────────


def import_job_preview(*, job: ImportJob, progress=None) -> ImportJob:
    """Check the job's upload (a dry run, nothing written) and keep the outcome on the job:
    PREVIEW, or REFUSED with its errors (the upload removed: the clerk corrects the file and
    uploads it again). A file that is no ledger of this kind raises FileRefused, its upload removed."""
    try:
        with job.file.open("rb") as fh:
            result = ledger_import(
                ledger=registry.get(job.kind), brigade=job.brigade, source=fh, dry_run=True, progress=progress
            )
    except BaseException:
        remove_upload(job)  # nothing refused or failed stays on disk
        raise
    job.rows, job.result, job.phase = result.rows, result.as_dict(), ""
    job.status = ImportJob.Status.PREVIEW if result.ok else ImportJob.Status.REFUSED
    if not result.ok:
        remove_upload(job)
    job.save()
    return job


def import_preview_queue(*, job: ImportJob) -> ImportJob:
    """Have the worker check a large upload (again, after its worker died); the preview page
    follows its progress. With the immediate backend (tests) the preview is made on return."""
    job.status, job.heartbeat_at, job.progress, job.phase, job.message = (
        ImportJob.Status.CHECKING,
        None,
        0,
        "",
        "",
    )
    job.save()
    import_preview_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


@task()
def import_preview_task(job_id: int) -> str:
    return import_preview_run(job_id=job_id)


def import_preview_run(*, job_id: int) -> str:
    """The worker's side of a large upload's preview; a job not waiting for it is left alone."""
    held = _try_hold(job_id)
    if held is None:
        return "taken by another worker"
    try:
        claimed = ImportJob.objects.filter(
            pk=job_id, status=ImportJob.Status.CHECKING, heartbeat_at__isnull=True
        ).update(heartbeat_at=timezone.now())
        if not claimed:
            return "not waiting for a preview"
        job = ImportJob.objects.select_related("brigade").get(pk=job_id)
        if not file_present(job):
            job.status, job.message = ImportJob.Status.REFUSED, MISSING_FILE
            job.save(update_fields=["status", "message"])
            return job.status
        report = _Progress(job.pk)
        try:
            job = import_job_preview(job=job, progress=report)
        except FileRefused as e:
            job.status, job.message, job.phase = ImportJob.Status.REFUSED, readable(str(e)), ""
            job.save()
        except Exception:
            logger.exception("preview of import job %s failed", job.pk)
            job.status, job.message, job.phase = ImportJob.Status.REFUSED, PREVIEW_FAILED, ""
            job.save()
        finally:
            report.close()
        return job.status
    finally:
        _release(held)
        _forget(job_id)


# ── confirming, retrying ──────────────────────────────────────────────────────────────────────


def import_job_confirm(*, job: ImportJob, user=None) -> ImportJob:
    """Queue the job's import (from its preview, or again after its worker died), as `user`'s:
    the records' history names who confirmed, not who uploaded. With the immediate backend
    (tests) the import has run when this returns; read the job's status."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.PREVIEW and not can_retry(job):
            raise AlreadyRunning(f"该文件的状态是“{job.get_status_display()}”，不能再次导入")
        other = same_file_running(brigade_id=job.brigade_id, kind=job.kind, sha256=job.sha256, exclude=job.pk)
        if other:
            raise AlreadyRunning(
                f"同一文件正在导入中（{other.user or ''}于{timezone.localtime(other.created_at):%H:%M}上传），请等它完成"
            )
        job.status, job.progress, job.message, job.heartbeat_at = ImportJob.Status.QUEUED, 0, "", None
        job.phase, job.total = "", 0
        job.confirmed_by = user or job.confirmed_by or job.user
        job.save(
            update_fields=["status", "progress", "message", "heartbeat_at", "confirmed_by", "phase", "total"]
        )
    import_job_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


@task()
def import_job_task(job_id: int) -> str:
    """The worker's side: run one queued job."""
    return import_job_run(job_id=job_id)


def import_job_run(*, job_id: int) -> str:
    """Import a queued job's file for real and record the outcome on the job. A job that is
    not queued (run already, or taken by another worker) is left alone."""
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        with connection.cursor() as cursor:
            # A server process whose worker was killed while it waited for a lock, or in a long
            # statement, notices within a second and ends, releasing the job's lock with it.
            cursor.execute("SET client_connection_check_interval = 1000")
    held = _try_hold(job_id)
    if held is None:
        return "taken by another worker"
    try:
        claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now()
        )
        if not claimed:
            return "not queued"
        job = ImportJob.objects.select_related("brigade", "user", "confirmed_by").get(pk=job_id)
        return _run(job)
    finally:
        _release(held)
        _forget(job_id)


def _run(job: ImportJob) -> str:
    ledger = registry.get(job.kind)
    if not file_present(job):
        job.status, job.message, job.finished_at = ImportJob.Status.FAILED, MISSING_FILE, timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
        return job.status
    report = _Progress(job.pk)
    try:
        with job.file.open("rb") as fh:
            result = ledger_import(
                ledger=ledger, brigade=job.brigade, source=fh, user=job.confirmed_by or job.user,
                reason=f"Excel导入：{job.filename}", progress=report, on_wait=report.waiting,
            )  # fmt: skip
    except (FileRefused, ImportUnavailable) as e:
        result, job.message = None, readable(str(e))
    except Exception:
        logger.exception("import job %s failed", job.pk)
        result, job.message = None, "导入时发生意外错误，没有写入任何记录；可以重新导入，仍不成功请联系管理员"
    finally:
        report.close()
    job.finished_at, job.phase = timezone.now(), ""
    if result is not None:
        job.rows, job.result, job.progress = result.rows, result.as_dict(), result.rows
    if result is not None and result.written:  # its months counted here, not by the next dashboard
        rollup.refresh(brigade_ids=[job.brigade_id], models=[ledger.model])
    job.status = ImportJob.Status.DONE if result is not None and result.written else ImportJob.Status.FAILED
    job.save()
    if job.status == ImportJob.Status.DONE:
        remove_upload(job)
        job.save(update_fields=["file"])
    return job.status


class _Progress:
    """The job's progress and heartbeat, written on a connection of their own in autocommit
    (visible while the import's transaction is open). Best effort: on SQLite the import holds
    the one write lock while it writes (a couple of seconds), so there the page learns that the
    write began, with how many rows, and then that it is done."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.wrapper = connections.create_connection("default")
        self.table = connection.ops.quote_name(ImportJob._meta.db_table)
        self.sqlite = self.wrapper.vendor == "sqlite"

    def _write(self, sql, params):
        try:
            with self.wrapper.cursor() as cursor:
                if self.wrapper.vendor == "sqlite":
                    cursor.execute("PRAGMA busy_timeout = 50")
                cursor.execute(sql, params)
        except DatabaseError:
            pass

    def __call__(self, phase: str, done: int, total: int | None = None):
        if self.sqlite and phase == importer.WRITING and done:
            return  # this import holds the one write lock: the update would only wait for it
        total_sql = ", total = %s" if total is not None else ""
        self._write(
            f"UPDATE {self.table} SET phase = %s, progress = %s{total_sql}, heartbeat_at = %s, message = '' "
            "WHERE id = %s",
            [phase, done, *([total] if total is not None else []), self._now(), self.job_id],
        )

    def waiting(self):
        self._write(
            f"UPDATE {self.table} SET message = %s, heartbeat_at = %s WHERE id = %s",
            ["本台账的另一份文件正在导入，等它完成后自动开始", self._now(), self.job_id],
        )

    def _now(self):
        return self.wrapper.ops.adapt_datetimefield_value(timezone.now())

    def close(self):
        self.wrapper.close()


@receiver(post_delete, sender=ImportJob)
def _remove_file(sender, instance, **kwargs):
    """A job deleted (with its brigade, say) takes its upload's name along."""
    remove_upload(instance)
