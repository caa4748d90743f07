"""Writing a ledger record from the browser while others write too: two clerks saving the same
key at once, a save that meets a running import. Neither is an error page; the form comes back
with what happened, nothing saved.

- **Waits are bounded** (`bounded_write`). A save that has to wait for another transaction (an
  import writing the same key or the same record, or holding SQLite's one write lock) waits at
  most settings.RECORD_SAVE_WAIT_SECONDS, then gets its form back saying what it waited for
  (`Busy`: the import, named when the browser started it): on PostgreSQL by lock_timeout for the
  transaction, on SQLite by the busy timeout while the transaction starts (BEGIN IMMEDIATE, when
  the write lock is taken). Unbounded, the wait ended in a 500 (SQLite: "database is locked"
  after a minute; PostgreSQL: the import's key, an IntegrityError, after it committed).
- **A key taken meanwhile names the record that took it** (`key_taken`). The form's check reads
  only what is committed: another user's save of the same key, or an import's, can commit
  between the check and the write. The database's unique constraint then refuses the write
  (IntegrityError) and the form is shown again naming that record, with a link to it.
"""

import contextlib
import datetime

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from brigade.ledger import keys
from brigade.models import Brigade, Job

LOCK_TIMEOUT = "55P03"  # PostgreSQL: lock_not_available (lock_timeout ran out)
DEADLOCK = "40P01"


class Busy(Exception):
    """The write waited its bounded time for another transaction; `message` says which (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def wait_seconds() -> int:
    return max(1, int(getattr(settings, "RECORD_SAVE_WAIT_SECONDS", 10)))


def _is_lock_wait(error: OperationalError) -> bool:
    if getattr(error.__cause__, "sqlstate", None) in (LOCK_TIMEOUT, DEADLOCK):
        return True
    text = str(error)
    return "database is locked" in text or "database table is locked" in text


@contextlib.contextmanager
def _sqlite_busy_timeout(milliseconds: int):
    """SQLite waits at most `milliseconds` for the write lock meanwhile (the connection's own
    timeout, settings.py, restored afterwards)."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(before)}")


@contextlib.contextmanager
def bounded_write(*, ledger, brigade_id, action: str = "保存"):
    """transaction.atomic() for writing a record of `ledger`, whose waits for other transactions'
    locks are bounded (settings.RECORD_SAVE_WAIT_SECONDS each). Raises Busy, the transaction
    rolled back, when a wait ran out (its message says the `action` was not done: 保存, 删除)."""
    seconds = wait_seconds()
    sqlite = connection.vendor == "sqlite"
    try:
        with _sqlite_busy_timeout(seconds * 1000) if sqlite else contextlib.nullcontext():
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{seconds * 1000}ms"])
                yield
    except OperationalError as error:
        if not _is_lock_wait(error):
            raise
        raise Busy(
            busy_message(ledger=ledger, brigade_id=brigade_id, seconds=seconds, action=action)
        ) from error


def _import_lock_held(ledger, brigade_id) -> bool:
    """Whether an import of this brigade's ledger holds its lock now (PostgreSQL): asked with
    the importer's own lock, taken without waiting and let go at once."""
    from brigade.ledger import importer  # not above: the importer imports this package

    class Held(Exception):
        pass

    def held():
        raise Held

    try:
        with transaction.atomic():
            importer._serialise(ledger, Brigade(pk=brigade_id), held)
    except Held:
        return True
    return False


def busy_message(*, ledger, brigade_id, seconds: int, action: str = "保存") -> str:
    """Why a save (or another `action`) waited its `seconds` in vain: the import running (named
    when it is a job of the browser's), or another write."""
    running = (
        Job.objects.filter(kind="import", status=Job.Status.RUNNING).select_related("user").order_by("-pk")
    )
    if connection.vendor == "sqlite":
        # One writer at a time for the whole database: any import holds every save.
        job = running.filter(brigade_id=brigade_id, params__ledger=ledger.kind).first() or running.first()
        importing = job is not None
    else:
        job = running.filter(brigade_id=brigade_id, params__ledger=ledger.kind).first()
        importing = job is not None or _import_lock_held(ledger, brigade_id)
    undone = "本条记录没有保存，您填写的内容仍在下面" if action == "保存" else f"没有{action}"
    after = f"请稍后再{action}（等了{seconds}秒仍未完成，{undone}）"
    if not importing:
        return f"该记录或该年度台账正被其他操作占用（如导入、报告定稿），{after}。"
    what = "该年度台账正在导入"
    if job is not None:
        from brigade.ledger import registry

        try:
            title = registry.get(job.ledger_kind).title
        except KeyError:
            title = job.ledger_kind
        who = f"{job.user}" if job.user else "其他用户"
        what = (
            f"{title}台账正在导入「{job.filename}」（{who}于{timezone.localtime(job.created_at):%H:%M}上传）"
        )
    return f"{what}，{after}。"


def _saved_by(record) -> str:
    """Who saved `record` last, and when: 「clerk_b于2026-03-05 10:32」."""
    last = None
    if hasattr(record, "history"):
        last = record.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    when = last.history_date if last is not None else getattr(record, "updated_at", None)
    who = str(last.history_user) if last is not None and last.history_user else "其他用户"
    if isinstance(when, datetime.datetime):
        return f"{who}于{timezone.localtime(when):%Y-%m-%d %H:%M}"
    return who


def key_of(ledger, record) -> str:
    """The record's key as the user typed it: 「公交决字2026001」, 「夏季整治 2025-06-01」."""
    return " ".join(ledger.column(k).display(getattr(record, k)) for k in ledger.key)


def holder_of_key(ledger, instance, cleaned) -> object | None:
    """The brigade's other record that holds the key the form asks for, or None. Keys are
    compared as `keys.key_text` writes them: a record saved before that rule, its key typed with
    a space or a full-width character, holds the key as the rule writes it too."""
    key = ledger.key
    if not key or any(cleaned.get(k) in (None, "") for k in key):
        return None
    others = ledger.model._default_manager.filter(brigade_id=instance.brigade_id).exclude(pk=instance.pk)
    found = others.filter(**{k: cleaned[k] for k in key}).first()
    text = keys.text_fields(ledger)
    if found is None and text:
        normalised = {f"_key_{k}": keys.NormalisedText(k) for k in text}
        found = (
            others.filter(keys.odd_key(ledger))
            .annotate(**normalised)
            .filter(**{f"_key_{k}": keys.key_text(cleaned[k]) for k in text})
            .filter(**{k: cleaned[k] for k in key if k not in text})
            .first()
        )
    return found


def key_taken(ledger, record, *, meanwhile: bool = False) -> SafeString:
    """Why a record may not take its key: `record` holds it; named by its key, with a link to it.
    `meanwhile`: it was saved between the form's check and its write (nothing was saved)."""
    url = reverse("ledger:detail", args=[ledger.kind, record.pk])
    header = ledger.key_header
    if meanwhile:
        return format_html(
            "没有保存：就在您保存的同时，{}保存了{}相同的记录<a href=\"{}\">「{}」</a>。"
            "请修改{}后再保存，或打开该记录修改它；您填写的内容仍在下面。",
            _saved_by(record), header, url, key_of(ledger, record), header,
        )  # fmt: skip
    return format_html(
        "本大队已有{}相同的记录<a href=\"{}\">「{}」</a>（{}保存），请修改{}，或打开该记录修改它",
        header, url, key_of(ledger, record), _saved_by(record), header,
    )  # fmt: skip


CONFLICT = (
    "没有保存：保存时与其他用户同时进行的修改冲突（例如所选的记录刚被删除，或{}刚被占用）。"
    "请核对后再次保存；您填写的内容仍在下面。"
)
