"""Files made by the worker for one user: large ledger exports, PDF conversions.

    QUEUED ──worker──▶ RUNNING ──▶ DONE | FAILED

A web request that writes 100,000 rows, or waits for LibreOffice, holds a web worker for as long
as it takes and is cut off by gunicorn's timeout or a deploy. So the request only queues a job
(django-tasks, in the database like the imports, brigade/ledger/jobs.py) and the user follows it
on the job's page, which shows its progress and then the download. The job is the user's alone:
another user, even of the same brigade, gets a 404 for it.

What a job makes is declared once per kind by a producer:

    @outputs.producer("ledger_export", may=...)
    def ledger_export(job, progress) -> Made: ...

The producer gets the job (its `params` say what to make, for whom: `job.user`) and a
`progress(done, total)` to call as it goes; it returns the file's name (any title: it is made
safe here, brigade.filenames), type and content as byte chunks, or raises `Refused` with a
message in Chinese (`retry=False` when asking again would fail the same way). An app registers
its producers when it is ready (apps.py), so that `brigade` never imports the apps that build on it.

A file made from a version of something (a report's finalised document) declares `void`: why the
file no longer is what it claims to be (that version withdrawn or replaced), asked at every view
and download; such a file is never served, and its page says why.

Unlike an import, a job writes nothing but its file, so a job whose worker died is simply asked
for again: a RUNNING job that has not reported for STALE_AFTER, or a failed one, offers to ask
again — a button that POSTs to the producer's `again(job)` when it declares one (a PDF is made
only on a POST), else a link back to where it was asked for (`params["again"]`, e.g. the export
with the same filters)."""

import datetime
import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.files import File
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from brigade.filenames import safe_filename
from brigade.models import OutputJob

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=3)  # longer than any producer goes without reporting
KEPT_FOR = datetime.timedelta(days=1)
QUEUED_TOO_LONG = datetime.timedelta(minutes=10)  # the worker also runs imports, one at a time
REPORT_EVERY = datetime.timedelta(seconds=0.5)
FAILED = "生成文件时发生意外错误；可以重试，仍不成功请联系管理员"


@dataclass
class Made:
    filename: str
    content_type: str
    chunks: Iterable[bytes]


class Refused(Exception):
    """A producer cannot make the file; its message (Chinese) is shown to the user. `retry`:
    whether asking again may succeed (a timeout may; a file too large for the limits will not)."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


Producer = Callable[[OutputJob, Callable[[int, int], None]], Made]
PRODUCERS: dict[str, Producer] = {}
MAY: dict[str, Callable[[OutputJob], bool]] = {}  # kind → may the job's user still have its file?
VOID: dict[str, Callable[[OutputJob], str | None]] = {}  # kind → why its file is no longer valid
AGAIN: dict[str, Callable[[OutputJob], str | None]] = {}  # kind → the URL to POST to ask again


def producer(
    kind: str,
    *,
    may: Callable[[OutputJob], bool],
    void: Callable[[OutputJob], str | None] | None = None,
    again: Callable[[OutputJob], str | None] | None = None,
):
    """Declare what makes a kind of file, and who may still fetch one made (asked again at every
    view and download: a user moved to another brigade, or whose role changed, may not).
    `void(job)`: why a file made is no longer what it claims to be (Chinese), or None while it
    is; `again(job)`: the URL a POST to which asks for the file anew."""

    def register(fn: Producer) -> Producer:
        PRODUCERS[kind], MAY[kind] = fn, may
        if void is not None:
            VOID[kind] = void
        if again is not None:
            AGAIN[kind] = again
        return fn

    return register


def may_fetch(job: OutputJob) -> bool:
    """The job's user, still of the unit the file was made for, still allowed what it holds."""
    user = job.user
    return user.is_active and user.brigade_id == job.brigade_id and job.kind in MAY and MAY[job.kind](job)


def void_reason(job: OutputJob) -> str | None:
    """Why the job's file is no longer what it claims to be (its version withdrawn or replaced),
    in Chinese; None while it is. Every page and download that offers the file asks this."""
    check = VOID.get(job.kind)
    return check(job) if check is not None else None


def expired(job: OutputJob) -> bool:
    """A file kept its day (it is removed; the job stays, as the record of who asked for what)."""
    return job.finished_at is not None and timezone.now() - job.finished_at > KEPT_FOR


def interrupted(job: OutputJob) -> bool:
    """A RUNNING job whose worker stopped reporting (killed, restarted, the machine went down), or
    a job still queued long after it was asked for (the worker is down, or was never started)."""
    now = timezone.now()
    if job.status == OutputJob.Status.QUEUED:
        return now - job.created_at > QUEUED_TOO_LONG
    if job.status != OutputJob.Status.RUNNING:
        return False
    return job.heartbeat_at is None or now - job.heartbeat_at > STALE_AFTER


def can_retry(job: OutputJob) -> bool:
    """Whether the job ended without its file and asking again may make it: interrupted, or
    failed in a way that may pass (not a file too large for the limits, say)."""
    if job.status == OutputJob.Status.FAILED:
        return (job.params or {}).get("retry", True)
    return interrupted(job)


def ask_again(job: OutputJob) -> tuple[str, str] | None:
    """How the job's page asks for the file again: ("post", url) for a button, ("get", url) for
    a link back to where it was asked for, or None. A kind that declares `again` is always asked
    by a POST, whatever an older job's `params["again"]` says (it once named the POST-only URL)."""
    if job.kind in AGAIN:
        url = AGAIN[job.kind](job)
        return ("post", url) if url else None
    url = (job.params or {}).get("again")
    return ("get", url) if url else None


def output_job_start(*, user, brigade, kind: str, title: str, params: dict) -> OutputJob:
    """Queue a file for `user`. With the immediate backend (tests) it is made when this returns."""
    if kind not in PRODUCERS:
        raise KeyError(kind)
    clean_up()
    # The same file asked for again while it is being made (a reload, a second click): that job.
    pending = OutputJob.objects.filter(
        user=user, kind=kind, params=params, status__in=[OutputJob.Status.QUEUED, OutputJob.Status.RUNNING]
    )
    same = next((job for job in pending if not interrupted(job)), None)
    if same is not None:
        return same
    job = OutputJob.objects.create(user=user, brigade=brigade, kind=kind, title=title[:200], params=params)
    transaction.on_commit(lambda: output_job_task.enqueue(job.pk))
    return job


@task()
def output_job_task(job_id: int) -> str:
    return output_job_run(job_id=job_id)


def output_job_run(*, job_id: int) -> str:
    """Make a queued job's file. A job taken by another worker meanwhile is left alone."""
    claimed = OutputJob.objects.filter(pk=job_id, status=OutputJob.Status.QUEUED).update(
        status=OutputJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    job = OutputJob.objects.select_related("user", "brigade").get(pk=job_id)
    reported = [timezone.now()]

    def progress(done: int, total: int) -> None:
        job.progress, job.total = done, total
        now = timezone.now()
        if now - reported[0] >= REPORT_EVERY:
            reported[0] = now
            OutputJob.objects.filter(pk=job_id).update(progress=done, total=total, heartbeat_at=now)

    try:
        made = PRODUCERS[job.kind](job, progress)
        # Named after a title a user typed: one file in outputs/, whatever the title holds.
        filename = safe_filename(made.filename)
        with tempfile.TemporaryFile() as fh:
            for chunk in made.chunks:
                fh.write(chunk)
            fh.seek(0)
            job.file.save(filename, File(fh), save=False)
        job.filename, job.content_type, job.status = filename, made.content_type, OutputJob.Status.DONE
    except Refused as e:
        job.status, job.message = OutputJob.Status.FAILED, str(e)
        if not e.retry:  # kept with the job: its page offers no 重试 that would fail the same way
            job.params = {**job.params, "retry": False}
    except Exception:
        logger.exception("output job %s failed", job_id)
        job.status, job.message = OutputJob.Status.FAILED, FAILED
    job.finished_at = timezone.now()
    if job.status == OutputJob.Status.DONE:
        job.progress = job.total
    job.save()
    return job.status


def clean_up() -> None:
    """Files made more than a day ago, for anyone, are removed (the jobs stay, as the record).
    Run whenever a file is asked for; a file past its day is never served meanwhile (`expired`)."""
    old = OutputJob.objects.filter(finished_at__lt=timezone.now() - KEPT_FOR).exclude(file="")
    for job in old:
        job.file.delete(save=False)
        OutputJob.objects.filter(pk=job.pk).update(file="")


@receiver(post_delete, sender=OutputJob)
def _remove_file(sender, instance, **kwargs):
    """A job deleted (its user or unit deleted with it) takes its file along."""
    if instance.file:
        instance.file.delete(save=False)
