"""An import is a kind of job ("import", brigade.outputs): its preview of a large upload and its
confirmed write are done by the worker, on the one worker path every job takes.

    (large upload) CHECKING ──worker──▶ PREVIEW | REFUSED
    (small upload) ─────────────────────▶ PREVIEW | REFUSED
    PREVIEW ──confirm──▶ QUEUED ──worker──▶ RUNNING ──▶ DONE | FAILED
                            ▲                  │
                            └──── retry ◀──────┘ (its worker died)

Why a worker and not a thread of the web worker: a web worker can be killed or recycled at any
moment (gunicorn's timeout, a deploy), and on SQLite a thread writing beside the requests made
them fail with "database is locked". The queue is a table in our own database, so no job that
was confirmed is lost when the worker stops: it is taken up when the worker starts again.

While a job runs, its worker holds a lock on the job that dies with it (the one liveness rule of
every job, brigade.outputs). So a job whose worker died is known at once and the user can retry it;
the short write that cannot report progress on SQLite (the import holds the one write lock) is
never taken for dead. Two imports of one ledger never write at once: the import takes the
ledger's write lock (brigade.ledger.importer) and the same file is not queued twice.
Progress (its phase, 检查 or 写入, and rows) and heartbeat are written on a connection of the
worker's own, in autocommit, so that other users see them while the import's own transaction is
still open."""

import datetime
import logging
import os
import secrets
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from brigade import outputs, rollup
from brigade.ledger import importer, registry
from brigade.ledger.importer import ledger_import, readable
from brigade.ledger.writing import ImportUnavailable
from brigade.ledger.xlsx import FileRefused
from brigade.models import Job

logger = logging.getLogger(__name__)

KIND = "import"
MISSING_FILE = "上传的文件已不在服务器上（可能已被清理），没有写入任何记录，请重新上传"
KEPT_FOR = datetime.timedelta(days=1)  # an upload waiting for a decision (确认, 放弃, 重新导入)
# An upload up to this size is checked within the request (under about a second: some 5,000
# rows); a larger one by the worker, the preview page showing its progress.
PREVIEW_INLINE_BYTES = 200 * 1024
PREVIEW_FAILED = "检查文件时发生意外错误，没有写入任何记录；请重新上传，仍不成功请联系管理员"
LABELS = {
    Job.Status.QUEUED: "排队等待导入",
    Job.Status.RUNNING: "正在导入",
    Job.Status.DONE: "已导入",
    Job.Status.FAILED: "导入失败，未写入",
}
interrupted = outputs.interrupted


class AlreadyRunning(Exception):
    pass


def imports(**lookups):
    """The import jobs, narrowed by `ledger` (a ledger's kind) and any other field."""
    ledger = lookups.pop("ledger", None)
    qs = Job.objects.filter(kind=KIND, **lookups)
    return qs.filter(params__ledger=ledger) if ledger is not None else qs


def import_job_new(*, brigade, user, ledger: str, filename: str, sha256: str, size: int) -> Job:
    """An upload's job, not yet saved (its file is stored first: `store_upload`)."""
    return Job(
        kind=KIND, brigade=brigade, user=user, title=filename, filename=filename, sha256=sha256,
        size=size, params={"ledger": ledger}, status=Job.Status.PREVIEW,
    )  # fmt: skip


def file_present(job: Job) -> bool:
    """Whether the job's upload is still on the server (it is removed once imported)."""
    return bool(job.file) and job.file.storage.exists(job.file.name)


def can_retry(job: Job) -> bool:
    """A job its worker left, or one that failed, can be imported again from its upload."""
    return (interrupted(job) or job.status == Job.Status.FAILED) and file_present(job)


def same_file_running(*, brigade_id, kind, sha256, exclude=None) -> Job | None:
    """A job of the same file for the same ledger (`kind`) that is queued or being written."""
    qs = imports(
        brigade_id=brigade_id, ledger=kind, sha256=sha256,
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
    ).exclude(pk=exclude)  # fmt: skip
    return next((job for job in qs if not interrupted(job)), None)


# ── the uploaded files ────────────────────────────────────────────────────────────────────────
#
# An upload is kept under the SHA-256 of its content, imports/<sha256>/<random>.<suffix>, one name
# per job: the same file uploaded again is a hard link to the copy already there, so its bytes
# are stored once, and the file system counts the references. Removing a job's file removes its
# name only; the bytes go with the last name. No lock is needed: a link to a copy that has just
# been removed fails, and the upload is then written afresh.


def store_upload(job: Job, content: bytes, suffix: str) -> None:
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


def remove_upload(job: Job) -> None:
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


def abandon(job: Job) -> None:
    """放弃: the preview is not imported; its upload is removed, the job stays as the record."""
    remove_upload(job)
    job.status, job.finished_at = Job.Status.ABANDONED, timezone.now()
    job.save(update_fields=["file", "status", "finished_at"])


def clean_up() -> None:
    """Uploads left waiting for a day: a preview nobody confirmed is abandoned, a failed import's
    file is removed (it can no longer be retried). Run at every upload and every import."""
    old = timezone.now() - KEPT_FOR
    waiting = [Job.Status.PREVIEW, Job.Status.CHECKING]
    for job in imports(status__in=waiting, created_at__lt=old):
        abandon(job)
    for job in imports(status=Job.Status.FAILED, created_at__lt=old).exclude(file=""):
        remove_upload(job)
        job.save(update_fields=["file"])


# ── the preview ───────────────────────────────────────────────────────────────────────────────


def import_job_preview(*, job: Job, progress=None) -> Job:
    """Check the job's upload (a dry run, nothing written) and keep the outcome on the job:
    PREVIEW, or REFUSED with its errors (the upload removed: the clerk corrects the file and
    uploads it again). A file that is no ledger of this kind raises FileRefused, its upload removed."""
    try:
        with job.file.open("rb") as fh:
            result = ledger_import(
                ledger=registry.get(job.ledger_kind),
                brigade=job.brigade,
                source=fh,
                dry_run=True,
                progress=progress,
            )
    except BaseException:
        remove_upload(job)  # nothing refused or failed stays on disk
        raise
    job.result, job.phase = result.as_dict(), ""
    job.status = Job.Status.PREVIEW if result.ok else Job.Status.REFUSED
    if not result.ok:
        remove_upload(job)
    job.save()
    return job


def import_preview_queue(*, job: Job) -> Job:
    """Have the worker check a large upload (again, after its worker died); the preview page
    follows its progress. With the immediate backend (tests) the preview is made on return."""
    job.status, job.heartbeat_at, job.progress, job.phase, job.message = Job.Status.CHECKING, None, 0, "", ""
    job.save()
    outputs.run_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _preview(job: Job) -> None:
    """The worker's side of a large upload's preview."""
    if not file_present(job):
        job.status, job.message = Job.Status.REFUSED, MISSING_FILE
        job.save(update_fields=["status", "message"])
        return
    report = _Progress(job.pk)
    try:
        import_job_preview(job=job, progress=report)
    except FileRefused as e:
        job.status, job.message, job.phase = Job.Status.REFUSED, readable(str(e)), ""
        job.save()
    except Exception:
        logger.exception("preview of import job %s failed", job.pk)
        job.status, job.message, job.phase = Job.Status.REFUSED, PREVIEW_FAILED, ""
        job.save()
    finally:
        report.close()


# ── confirming, retrying ──────────────────────────────────────────────────────────────────────


def import_job_confirm(*, job: Job, user=None) -> Job:
    """Queue the job's import (from its preview, or again after its worker died), as `user`'s:
    the records' history names who confirmed, not who uploaded. With the immediate backend
    (tests) the import has run when this returns; read the job's status."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.status != Job.Status.PREVIEW and not can_retry(job):
            raise AlreadyRunning(f"该文件的状态是“{job.get_status_display()}”，不能再次导入")
        other = same_file_running(
            brigade_id=job.brigade_id, kind=job.ledger_kind, sha256=job.sha256, exclude=job.pk
        )
        if other:
            raise AlreadyRunning(
                f"同一文件正在导入中（{other.user or ''}于{timezone.localtime(other.created_at):%H:%M}上传），请等它完成"
            )
        # queued now: a job still queued long after is the worker's to take up (outputs.interrupted)
        job.status, job.progress, job.message, job.heartbeat_at = Job.Status.QUEUED, 0, "", timezone.now()
        job.phase, job.total = "", 0
        job.confirmed_by = user or job.confirmed_by or job.user
        job.save(
            update_fields=["status", "progress", "message", "heartbeat_at", "confirmed_by", "phase", "total"]
        )
    outputs.run_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


@outputs.producer(KIND, title="导入台账", may=lambda job: False, labels=LABELS)
def import_job(job: Job, progress) -> None:
    """The worker's side of an import (the job's lock held, brigade.outputs.job_run): a large
    upload's preview, or the confirmed write. Its outcome is kept on the job."""
    if job.status == Job.Status.CHECKING:
        _preview(job)
    else:
        _run(job)


outputs.KEEPS_ITS_FILE.append(KIND)


def _run(job: Job) -> str:
    ledger = registry.get(job.ledger_kind)
    if not file_present(job):
        job.status, job.message, job.finished_at = Job.Status.FAILED, MISSING_FILE, timezone.now()
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
        job.result, job.progress = result.as_dict(), result.rows
    if result is not None and result.written:  # its months counted here, not by the next dashboard
        rollup.refresh(brigade_ids=[job.brigade_id], models=[ledger.model])
    job.status = Job.Status.DONE if result is not None and result.written else Job.Status.FAILED
    job.save()
    if job.status == Job.Status.DONE:
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
        self.table = connection.ops.quote_name(Job._meta.db_table)
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


# A job deleted (with its brigade, say) takes its upload's name along.
outputs.REMOVE_FILE[KIND] = remove_upload


# The worker's side of an import is the one worker path of every job (the names tests use).
