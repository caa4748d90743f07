"""Work the worker does for a user, one job model and one worker path for every kind: a ledger
file's preview and import (brigade/ledger/jobs.py), a large ledger export, a PDF, a public edition.

    QUEUED ──worker──▶ RUNNING ──▶ DONE | FAILED             (every kind)
    CHECKING ──worker──▶ PREVIEW | REFUSED ──confirm──▶ QUEUED  (an import; docs/imports.md)

A web request that writes 100,000 rows, or waits for LibreOffice, holds a web worker for as long
as it takes and is cut off by gunicorn's timeout or a deploy. So the request only queues a job
(django-tasks, in our own database: a queued job is not lost when the worker stops) and the user
follows it on its page, which polls its progress (`job_state`) and then shows the outcome.

What a kind of job does is declared once, by a producer:

    @outputs.producer("ledger_export", title="导出台账", may=...)
    def ledger_export(job, progress) -> Made | None: ...

The producer gets the job (its `params` say what to do, for whom: `job.user`) and a
`progress(done, total)` to call as it goes; it returns the file made (its name, any title: it is
made safe here, brigade.filenames; its type; its content as byte chunks), or None when it keeps
its outcome on the job itself (an import: its records are the outcome), or raises `Refused`
with a message in Chinese (`retry=False` when asking again would fail the same way). An app
registers its producers when it is ready (apps.py), so that `brigade` never imports the apps
that build on it. `labels` name the statuses in the kind's words (已导入, 导入失败，未写入).

A file made from a version of something (a report's finalised document) declares `void`: why the
file no longer is what it claims to be (that version withdrawn or replaced), asked at every view
and download; such a file is never served, and its page says why. A file made is the user's
alone: another user, even of the same brigade, gets a 404 for it.

One liveness rule for every kind: while a job runs, its worker holds a lock on the job that dies
with it — on PostgreSQL a session-level advisory lock (released with the worker's connection), on
SQLite (one machine) an flock on a file of the job's (released by the kernel with the process).
So a job whose worker died is known at once (`interrupted`), and a job that cannot report for a
while (an import holding SQLite's one write lock) is never taken for dead; the lock also keeps a
second worker from running the same job. A job still queued long after it was asked for (the
worker is down, or was never started) is interrupted too. An interrupted job, or one that failed
in a way that may pass, is asked for again: a button that POSTs to the producer's `again(job)`
when it declares one (a PDF is made only on a POST), else a link back to where it was asked for
(`params["again"]`, e.g. the export with the same filters); an import is retried from its upload."""

import datetime
import fcntl
import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from brigade.filenames import safe_filename
from brigade.models import Job

logger = logging.getLogger(__name__)

KEPT_FOR = datetime.timedelta(days=1)
QUEUED_TOO_LONG = datetime.timedelta(minutes=10)  # the worker runs one job at a time
REPORT_EVERY = datetime.timedelta(seconds=0.5)
JOB_LOCK = 0x4A0B  # advisory lock namespace of running jobs (the other key is the job's id)
FAILED = "生成文件时发生意外错误；可以重试，仍不成功请联系管理员"
STOPPED = "已中断"


@dataclass
class Made:
    filename: str
    content_type: str
    chunks: Iterable[bytes]


class Refused(Exception):
    """A producer cannot do its job; its message (Chinese) is shown to the user. `retry`:
    whether asking again may succeed (a timeout may; a file too large for the limits will not)."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


Producer = Callable[[Job, Callable[[int, int], None]], Made | None]
PRODUCERS: dict[str, Producer] = {}
MAY: dict[str, Callable[[Job], bool]] = {}  # kind → may the job's user still have its file?
VOID: dict[str, Callable[[Job], str | None]] = {}  # kind → why its file is no longer valid
AGAIN: dict[str, Callable[[Job], str | None]] = {}  # kind → the URL to POST to ask again
LABELS: dict[str, dict[str, str]] = {}  # kind → status → its name in the kind's words
TITLES: dict[str, str] = {}  # kind → what it is called (the admin's 类型)
DEFAULT_LABELS = {Job.Status.RUNNING: "正在生成", Job.Status.FAILED: "生成失败"}


def producer(
    kind: str,
    *,
    title: str,
    may: Callable[[Job], bool],
    void: Callable[[Job], str | None] | None = None,
    again: Callable[[Job], str | None] | None = None,
    labels: dict[str, str] | None = None,
):
    """Declare what does a kind of job, and who may still fetch a file made (asked again at every
    view and download: a user moved to another brigade, or whose role changed, may not).
    `void(job)`: why a file made is no longer what it claims to be (Chinese), or None while it
    is; `title`: what the kind is called (导出台账); `again(job)`: the URL a POST to which asks for the file anew; `labels`: the statuses'
    names in the kind's words."""

    def register(fn: Producer) -> Producer:
        PRODUCERS[kind], MAY[kind], TITLES[kind] = fn, may, title
        if void is not None:
            VOID[kind] = void
        if again is not None:
            AGAIN[kind] = again
        if labels is not None:
            LABELS[kind] = labels
        return fn

    return register


def status_label(job: Job) -> str:
    """The job's status as its kind names it (Job.get_status_display)."""
    if job.status not in Job.Status.values:
        return job.status
    return LABELS.get(job.kind, DEFAULT_LABELS).get(job.status) or Job.Status(job.status).label


def job_state(job: Job, **extra) -> dict:
    """What a job's page polls (the one progress endpoint's answer): its status, in words, and
    how far it is; `extra` adds what the kind shows beside it."""
    stopped = interrupted(job)
    return {
        "status": "interrupted" if stopped else job.status,
        "status_display": STOPPED if stopped else job.get_status_display(),
        "message": job.message,
        "done": job.progress,
        "total": job.total,
        "phase": job.phase,
        "phase_display": job.get_phase_display() if job.phase else "",
        **extra,
    }


def may_fetch(job: Job) -> bool:
    """The job's user, still of the unit the file was made for, still allowed what it holds."""
    user = job.user
    return (
        user is not None
        and user.is_active
        and user.brigade_id == job.brigade_id
        and job.kind in MAY
        and MAY[job.kind](job)
    )


def void_reason(job: Job) -> str | None:
    """Why the job's file is no longer what it claims to be (its version withdrawn or replaced),
    in Chinese; None while it is. Every page and download that offers the file asks this."""
    check = VOID.get(job.kind)
    return check(job) if check is not None else None


def expired(job: Job) -> bool:
    """A file kept its day (it is removed; the job stays, as the record of who asked for what)."""
    return job.finished_at is not None and timezone.now() - job.finished_at > KEPT_FOR


# ── is a job's worker alive? (the one liveness rule) ─────────────────────────────────────────


def _lock_file(job_id: int) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "job-locks"
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


def worker_alive(job: Job) -> bool:
    """Whether the job's worker is still at it: its lock is held."""
    held = _try_hold(job.pk)
    if held is None:
        return True
    _release(held)  # nobody held it: the worker is gone
    return False


def interrupted(job: Job) -> bool:
    """A job its worker left (killed, restarted, the machine went down) — RUNNING, or CHECKING
    once a worker took it, with nobody holding its lock — or a job still queued long after it
    was queued (the worker is down, or was never started)."""
    if job.status == Job.Status.QUEUED:
        return timezone.now() - (job.heartbeat_at or job.created_at) > QUEUED_TOO_LONG
    if job.status == Job.Status.CHECKING:
        return job.heartbeat_at is not None and not worker_alive(job)
    return job.status == Job.Status.RUNNING and not worker_alive(job)


def can_retry(job: Job) -> bool:
    """Whether the job ended without its file and asking again may make it: interrupted, or
    failed in a way that may pass (not a file too large for the limits, say)."""
    if job.status == Job.Status.FAILED:
        return (job.params or {}).get("retry", True)
    return interrupted(job)


def ask_again(job: Job) -> tuple[str, str] | None:
    """How the job's page asks for the file again: ("post", url) for a button, ("get", url) for
    a link back to where it was asked for, or None. A kind that declares `again` is always asked
    by a POST, whatever an older job's `params["again"]` says (it once named the POST-only URL)."""
    if job.kind in AGAIN:
        url = AGAIN[job.kind](job)
        return ("post", url) if url else None
    url = (job.params or {}).get("again")
    return ("get", url) if url else None


# ── queueing and running ──────────────────────────────────────────────────────────────────────


def job_start(*, user, brigade, kind: str, title: str, params: dict) -> Job:
    """Queue a file for `user`. With the immediate backend (tests) it is made when this returns."""
    if kind not in PRODUCERS:
        raise KeyError(kind)
    clean_up()
    # The same file asked for again while it is being made (a reload, a second click): that job.
    pending = Job.objects.filter(
        user=user, kind=kind, params=params, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    )
    same = next((job for job in pending if not interrupted(job)), None)
    if same is not None:
        return same
    job = Job.objects.create(user=user, brigade=brigade, kind=kind, title=title[:200], params=params)
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


@task()
def run_job(job_id: int) -> str:
    """The worker's one task, for every kind of job."""
    return job_run(job_id=job_id)


def job_run(*, job_id: int) -> str:
    """Do a queued job (or check an upload waiting for its preview) while holding the job's lock.
    A job taken by another worker meanwhile, or not waiting, is left alone."""
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        with connection.cursor() as cursor:
            # A server process whose worker was killed while it waited for a lock, or in a long
            # statement, notices within a second and ends, releasing the job's lock with it.
            cursor.execute("SET client_connection_check_interval = 1000")
    held = _try_hold(job_id)
    if held is None:
        return "taken by another worker"
    try:
        now = timezone.now()
        claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, heartbeat_at=now
        ) or Job.objects.filter(pk=job_id, status=Job.Status.CHECKING, heartbeat_at__isnull=True).update(
            heartbeat_at=now
        )
        if not claimed:
            return "not queued"
        job = Job.objects.select_related("user", "brigade", "confirmed_by").get(pk=job_id)
        return _run(job)
    finally:
        _release(held)
        _forget(job_id)


def _run(job: Job) -> str:
    reported = [timezone.now()]

    def progress(done: int, total: int) -> None:
        job.progress, job.total = done, total
        now = timezone.now()
        if now - reported[0] >= REPORT_EVERY:
            reported[0] = now
            Job.objects.filter(pk=job.pk).update(progress=done, total=total, heartbeat_at=now)

    try:
        made = PRODUCERS[job.kind](job, progress)
        if made is None:  # the producer kept its outcome on the job (an import)
            return job.status
        # Named after a title a user typed: one file in outputs/, whatever the title holds.
        filename = safe_filename(made.filename)
        with tempfile.TemporaryFile() as fh:
            for chunk in made.chunks:
                fh.write(chunk)
            fh.seek(0)
            job.file.save(filename, File(fh), save=False)
        job.filename, job.content_type, job.status = filename, made.content_type, Job.Status.DONE
    except Refused as e:
        job.status, job.message = Job.Status.FAILED, str(e)
        if not e.retry:  # kept with the job: its page offers no 重试 that would fail the same way
            job.params = {**job.params, "retry": False}
    except Exception:
        logger.exception("job %s failed", job.pk)
        job.status, job.message = Job.Status.FAILED, FAILED
    job.finished_at = timezone.now()
    if job.status == Job.Status.DONE:
        job.progress = job.total
    job.save()
    return job.status


def clean_up() -> None:
    """Files made more than a day ago, for anyone, are removed (the jobs stay, as the record).
    Run whenever a file is asked for; a file past its day is never served meanwhile (`expired`).
    An import's upload is the import's to remove (brigade.ledger.jobs.clean_up)."""
    old = Job.objects.filter(finished_at__lt=timezone.now() - KEPT_FOR).exclude(file="")
    for job in old.exclude(kind__in=KEEPS_ITS_FILE):
        job.file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(file="")


KEEPS_ITS_FILE = ["import"]  # an upload: removed by its own rules (brigade.ledger.jobs)
REMOVE_FILE: dict[str, Callable[[Job], None]] = {}  # kind → how a deleted job's file goes


@receiver(post_delete, sender=Job)
def _remove_file(sender, instance, **kwargs):
    """A job deleted (its unit deleted with it) takes its file along."""
    if instance.kind in REMOVE_FILE:
        REMOVE_FILE[instance.kind](instance)
    elif instance.file:
        instance.file.delete(save=False)
