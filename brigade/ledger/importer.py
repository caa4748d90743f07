"""Import of a ledger workbook: read, validate every cell with the model's own rules,
de-duplicate by the ledger's key, and write every row or none.

The file is processed in chunks so that memory does not grow with the file: a chunk is parsed
and validated, then matched against the records that already exist. How the write follows
depends on the database (docs/imports.md):

- PostgreSQL: all of it inside one transaction, pipelined: each checked chunk is handed to a
  writing thread (writing.Writer, COPY) that stores it while the next one is read and checked.
  Others are not held up by the long transaction (MVCC: row locks on the records it updates,
  shared locks on the years it touches).
- SQLite (one write lock for the whole database): reading, checking and matching run outside
  any write transaction, the planned writes spilled to a temporary file; the write is one short
  transaction that first re-checks what the rows were matched against.

Either way the transaction is rolled back if any row anywhere is bad.

The file itself is parsed in a child process bounded by the operating system (bounded.py): this
process receives the header's rows, then only the columns the header maps to the ledger, and
cuts its chunks by text (CHUNK_CHARS) as well as by rows. What the rows do not show (a hidden
first sheet skipped, hidden rows and columns, formulas whose saved result is what is read) comes
back with the rows and is named in the result's warnings (docs/imports.md)."""

import contextlib
import datetime
import functools
import gc
import logging
import pickle
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from psycopg import errors as psycopg_errors

from brigade import locks, rules
from brigade.ledger import Ledger, bounded, fingerprints, matching
from brigade.ledger.headers import find_header, map_headers
from brigade.ledger.matching import Existing
from brigade.ledger.writing import RecordsGone, Writer, prepare

logger = logging.getLogger(__name__)

CHUNK_ROWS = 10_000
# The first chunk is small, so that the database starts storing rows while the rest is read:
# on a large file the server's work, not Python's, is what the import waits for.
FIRST_CHUNK_ROWS = 1_000
MAX_ERRORS_KEPT = 200
MAX_SAMPLES = 10
CHUNK_CHARS = 1 << 22  # characters of text in a chunk, at most (give or take one message's)
FORMULAS_LISTED = 10  # formula cells named one by one in a warning


_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(text: str) -> str:
    """Text as a page can show and a database can keep it: a lone surrogate from a damaged
    cell (&#xD800;), quoted in a message, becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if isinstance(text, str) else text


@dataclass
class RowError:
    row: int  # the row number Excel shows (the header is row 1)
    column: str  # the column header, or "" when the row as a whole is at fault
    message: str

    def __str__(self):
        where = f"第{self.row}行" + (f"「{self.column}」列" if self.column else "")
        return f"{where}：{self.message}"


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    samples: list[tuple[int, str, list]] = field(default_factory=list)  # (row, 新增/更新, cells)
    warnings: list[str] = field(default_factory=list)  # what the file hides, named for the clerk
    written: bool = False
    recognised: bool = False  # the same file as one already imported, the records unchanged since

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, row, column, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, readable(column), readable(message)))

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [[e.row, e.column, e.message] for e in self.errors],
            "samples": self.samples,
            "warnings": self.warnings,
            "written": self.written,
            "recognised": self.recognised,
        }


def _parse_chunk(chunk, mapping, row_rules, result):
    """Parse and validate rows; return [(row number, values)] of the good ones.

    The chunk is parsed a column at a time (`Column.parse_column`, which judges most columns
    whole); every bad cell of a row is reported with the message its parse gave. Errors come
    in row order, each row's in column order."""
    if not chunk:
        return []
    width = max(index for index, _ in mapping) + 1
    raws = [raw if len(raw) >= width else [*raw, *[""] * (width - len(raw))] for _, raw in chunk]
    sheet = list(zip(*raws, strict=False))  # the sheet's columns, the first `width` at least
    parsed, failed = [], {}  # failed: position → [(header, message)], in column order
    for index, col in mapping:
        values, refused = col.parse_column(sheet[index])
        parsed.append(values)
        for position, message in refused.items():
            failed.setdefault(position, []).append((col.header, message))
    by_name = {col.attname: values for (_, col), values in zip(mapping, parsed, strict=True)}
    missing = (None,) * len(chunk)  # a field the file has no column for
    broken = rules.check_rows(row_rules, lambda name: by_name.get(name, missing)) if row_rules else {}
    headers = {col.attname: col.header for _, col in mapping}
    good = []
    for position, values in enumerate(zip(*parsed, strict=True)):
        number = chunk[position][0]
        if position in failed:
            for header, message in failed[position]:
                result.add_error(number, header, message)
        elif position in broken:
            for name, messages in broken[position].items():
                for message in messages:
                    result.add_error(number, headers.get(name, ""), message)
        else:
            good.append((number, list(values)))
    return good


CHECKING, WRITING = "checking", "writing"  # the phases `progress` is told of
ATTEMPTS = 3  # checks against a ledger changing meanwhile before the check is made under the lock
STALE = "stale"
CONFLICT = "写入时与其他用户刚录入的记录冲突，没有写入任何记录，请重新导入"
GONE = "写入时发现文件要更新的记录刚被其他用户删除，没有写入任何记录，请重新导入"


def ledger_import(
    *,
    ledger: Ledger,
    brigade,
    source,
    user=None,
    dry_run: bool = False,
    reason: str = "",
    progress: Callable[..., None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> ImportResult:
    """Import `source` (path or binary file) into `ledger` for `brigade`. All rows or none:
    with any bad row, nothing is written and `result.errors` names each row and column.
    Raises FileRefused for a file that cannot be a ledger of this kind at all.

    On PostgreSQL the file is checked inside the write transaction, chunk by chunk, each chunk
    stored by the writing thread while the next is checked. On SQLite it is read, checked and
    matched outside any write transaction; only the write takes one (the database's one write
    lock), short, and first checks that none of the records the rows were matched against
    changed meanwhile (else it matches them again). `progress(phase, done, total=None)` hears of
    both phases (CHECKING: rows of the file checked; then WRITING: records written of `total`;
    on PostgreSQL most are written while checking, the rest after); `on_wait` is called if the
    write has to wait for another import of the same ledger."""
    columns = ledger.columns_for(brigade)
    fingerprint = fingerprints.Fingerprint(ledger=ledger, brigade=brigade, columns=columns, source=source)
    if dry_run:
        return _preview(ledger, brigade, columns, source, fingerprint, progress)
    with bounded.open_rows(source) as rows:
        return _import(ledger, brigade, columns, rows, fingerprint, user, reason, progress, on_wait)


class Spill:
    """Objects pickled to a temporary file of this process and read back in order: an import's
    checked rows and planned writes wait there, so memory stays one chunk however long the file."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 — closed by __exit__
        self.count = 0

    def append(self, item) -> None:
        pickle.dump(item, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __iter__(self):
        self.file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self.file)  # noqa: S301 — written by this process just before
        self.file.seek(0, 2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


class _Handed:
    """A Plan's `writes` that hands each chunk to the writer at once (PostgreSQL's pipeline)."""

    def __init__(self, writer: Writer):
        self.writer = writer

    def append(self, item) -> None:
        self.writer.write(*item)


@dataclass
class Plan:
    """What an import will write, and what it was decided against (re-read under the lock).

    `inside`: checked inside the write transaction (PostgreSQL's pipeline; SQLite's last
    resort): each year is held as the rows first touch it, and nothing is kept for a re-check."""

    existing: Existing
    writes: Spill | _Handed  # (to_create, to_update) per chunk, as writing.prepare makes them
    inside: bool = False
    seen_keys: dict = field(default_factory=dict)  # key → (pk, version) of the record matched, or None
    seen_hashes: dict = field(default_factory=dict)  # keyless: hash of values → a record had it
    years: set = field(default_factory=set)  # the years the rows and their records fall in
    closed: set = field(default_factory=set)  # the locked years among them, as read when checking
    now: datetime.datetime = field(default_factory=timezone.now)  # the records' created/updated time


def _import(ledger, brigade, columns, rows, fingerprint, user, reason, progress, on_wait):
    header, header_row = find_header(rows, columns)
    mapping = map_headers(header, columns)
    result = ImportResult(kind=ledger.kind)
    reason = reason or "Excel导入"
    kept = rows.keep(mapping)  # the columns as the rows now come
    row_rules = getattr(ledger.model, "row_rules", ())
    if connection.vendor == "postgresql":
        chunks = _read_chunks(kept, _numbered(rows, header_row, kept), row_rules, result, rows, None)
        return _pipelined(
            ledger, brigade, columns, chunks, result, fingerprint, user, reason, progress, on_wait,
            lambda: warnings(rows.notes, mapping, header_row),  # the notes come with the last rows
        )  # fmt: skip
    with Spill() as kept_rows:
        chunks = _read_chunks(kept, _numbered(rows, header_row, kept), row_rules, result, rows, kept_rows)
        for attempt in range(ATTEMPTS):
            with Spill() as writes:
                plan = _plan(ledger, brigade, columns, chunks, result, writes, progress)
                if attempt == 0:
                    result.warnings = warnings(rows.notes, mapping, header_row)
                if not result.ok:
                    return result
                outcome = _write(
                    ledger, brigade, columns, plan, result, fingerprint, user, reason, progress, on_wait
                )
                if outcome is not STALE:
                    return outcome
            # Someone changed a record these rows were matched against: match the rows again.
            chunks = kept_rows
            result = ImportResult(kind=ledger.kind, rows=result.rows, warnings=result.warnings)
        # The records kept changing under every check: check and write under the write lock.
        with Spill() as writes:
            replan = functools.partial(
                _plan, ledger, brigade, columns, kept_rows, result, writes, progress, inside=True
            )
            return _write(
                ledger, brigade, columns, None, result, fingerprint, user, reason, progress, on_wait, replan
            )


def _pipelined(ledger, brigade, columns, chunks, result, fingerprint, user, reason, progress, on_wait, notes):
    """PostgreSQL: check the rows and write them in one transaction, a chunk at a time, each
    chunk stored by the writing thread while the next one is read and checked (two cores at
    work). The import lock first, then what exists is read: two imports of one ledger never
    miss each other's rows. Under MVCC others go on reading and saving meanwhile: the import
    holds row locks only on the records it updates and shared locks on the years it touches
    (locks.hold_years), each taken as the rows first touch it."""
    started = time.monotonic()
    with _write_transaction(result) as writers:
        _serialise(ledger, brigade, on_wait)
        now = timezone.now()
        writer = Writer(ledger.model, brigade, [c.attname for c in columns], user, reason, now)
        writers.append(writer)
        existing = Existing(ledger, brigade, columns, versions=False)
        plan = Plan(existing=existing, writes=_Handed(writer), inside=True, now=now)
        with collector_paused():
            _check_rows(ledger, brigade, columns, chunks, result, plan, progress)
        result.warnings = notes()
        if not result.ok:
            transaction.set_rollback(True)
            return result
        total = result.created + result.updated
        writer.close(stored=(lambda done: progress(WRITING, done, total)) if progress else None)
        result.written = True
        if result.updated == result.unchanged == 0:
            # Records this import created are invisible to others until the commit.
            fingerprint.remember(rows=result.rows, digest=fingerprint.digest())
    logger.info("import of %s rows: check and write %.2f s", result.rows, time.monotonic() - started)
    return result


@contextlib.contextmanager
def _write_transaction(result):
    """An import's write transaction. Yields a list for its Writer, whose thread is stopped
    before the transaction ends (else a chunk still queued could be stored after a rollback).
    A key another user saved meanwhile, or a record to update that another user deleted,
    becomes the result's error, nothing written."""
    writers = []
    try:
        with transaction.atomic():
            try:
                yield writers
            finally:
                for writer in writers:
                    writer.abandon()
    except IntegrityError:
        # Someone saved a record with one of these keys while the file was being written.
        result.written = False
        result.add_error(0, "", CONFLICT)
    except RecordsGone:
        result.written = False
        result.add_error(0, "", GONE)
    except DatabaseError:
        # A statement of this thread may have failed only because the writing thread's COPY
        # had failed the transaction first (a key another user has just saved): report that.
        if not (writers and isinstance(writers[0].cause, psycopg_errors.IntegrityError)):
            raise
        result.written = False
        result.add_error(0, "", CONFLICT)


def _read_chunks(mapping, numbered, row_rules, result, meter, kept_rows):
    """The file's good rows, a chunk at a time ([(row number, values)]), each also kept in
    `kept_rows` (if given) for a second match; bad cells go to `result`."""
    size = FIRST_CHUNK_ROWS
    while chunk := _take(numbered, size, meter):
        size = CHUNK_ROWS
        result.rows += len(chunk)
        good = _parse_chunk(chunk, mapping, row_rules, result)
        if kept_rows is not None:
            kept_rows.append((len(chunk), good))
        yield len(chunk), good


def _plan(ledger, brigade, columns, chunks, result, writes, progress, inside=False) -> Plan:
    existing = Existing(ledger, brigade, columns, versions=not inside)
    plan = Plan(existing=existing, writes=writes, inside=inside)
    with collector_paused():
        _check_rows(ledger, brigade, columns, chunks, result, plan, progress)
    return plan


def _write(ledger, brigade, columns, plan, result, fingerprint, user, reason, progress, on_wait, replan=None):
    """SQLite: write the plan in one transaction, after checking under its lock that what it was
    decided against is unchanged: the result, or STALE (nothing written) if something did change.
    `replan`: no plan yet, check the rows inside the transaction (the last resort)."""
    total = result.created + result.updated
    if progress:
        progress(WRITING, 0, total if plan else None)
    started = time.monotonic()
    stamp = None
    outer = connection.in_atomic_block  # a caller's transaction: this one commits nothing
    with _write_transaction(result) as writers:
        _serialise(ledger, brigade, on_wait)
        if plan is None:
            plan = replan()
            if not result.ok:
                transaction.set_rollback(True)
                return result
        elif not _still_valid(ledger, brigade, plan):
            transaction.set_rollback(True)
            return STALE
        if plan.years:
            locks.hold_years(brigade_id=brigade.pk, years=plan.years)
        writer = Writer(ledger.model, brigade, [c.attname for c in columns], user, reason, plan.now)
        writers.append(writer)
        done = 0
        for to_create, to_update in plan.writes:
            writer.write(to_create, to_update)
            done += len(to_create) + len(to_update)
            if progress:
                progress(WRITING, done, total)
        writer.close()
        result.written = True
        if not outer:
            stamp = _stamp(ledger, brigade)  # the ledger as this import leaves it
        else:
            # No one else can have changed a record of this file before the commit: SQLite's
            # write lock is held (by a caller's transaction).
            fingerprint.remember(rows=result.rows, digest=fingerprint.digest())
    logger.info("import of %s rows: write transaction %.2f s", total, time.monotonic() - started)
    if stamp is not None and result.written:
        _remember_after(fingerprint, ledger, brigade, stamp, result.rows)
    return result


def _stamp(ledger, brigade) -> dict:
    """How many records the brigade's ledger has, its last id and its last write: any write to
    it since changes one of them (every write of a record sets its `updated_at`)."""
    qs = ledger.model._default_manager.filter(brigade=brigade)
    return qs.aggregate(n=Count("pk"), top=Max("pk"), last=Max("updated_at"))


def _remember_after(fingerprint, ledger, brigade, stamp, rows) -> None:
    """SQLite: the imported file's fingerprint, its digest read after the commit in a read
    transaction (no write lock: reading 30,000 records takes a second, which other users' writes
    would wait for under it), kept only if the ledger is still as the import left it."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")  # a snapshot of its own in WAL mode; writers go on
        try:
            digest = fingerprint.digest() if _stamp(ledger, brigade) == stamp else None
        finally:
            cursor.execute("COMMIT")
    if digest:
        fingerprint.remember(rows=rows, digest=digest)


def _still_valid(ledger, brigade, plan) -> bool:
    """Under the write's lock: the locked years and every record the rows were matched against
    are as the check read them (`plan`)."""
    if plan.years and locks.hold_years(brigade_id=brigade.pk, years=plan.years) != plan.closed:
        return False
    return plan.existing.unchanged_since(plan.seen_keys, plan.seen_hashes)


def _numbered(rows, header_row, mapping):
    """The data rows with their row numbers: empty rows and a template's example row left out
    (an example row left in a template of an earlier version is not a record)."""
    placeholders = [(index, col.placeholder) for index, col in mapping]
    texts = frozenset(text for _, text in placeholders)

    def example(r) -> bool:
        # `isdisjoint` looks at the whole row at C speed; only a row holding some example text
        # at all is checked column by column.
        return not texts.isdisjoint(r) and any(i < len(r) and r[i] == text for i, text in placeholders)

    return (
        (n, r)
        for n, r in enumerate(rows, start=header_row + 1)
        if (any(r) or any(v not in (None, "") for v in r)) and not example(r)
    )


def _preview(ledger, brigade, columns, source, fingerprint, progress) -> ImportResult:
    """A dry run: writes no record, so it opens no write transaction (no write lock on SQLite).
    A file seen before, with the records and rules as they were then, is answered at once."""
    result = ImportResult(kind=ledger.kind)
    snapshot = fingerprints.may_snapshot()
    with fingerprints.snapshot() if snapshot else contextlib.nullcontext():
        known = fingerprint.known_rows()
        if known is not None:
            result.rows = result.unchanged = known
            result.recognised = True
            return result
        with bounded.open_rows(source) as rows:
            header, header_row = find_header(rows, columns)
            mapping = map_headers(header, columns)
            kept = rows.keep(mapping)
            row_rules = getattr(ledger.model, "row_rules", ())
            chunks = _read_chunks(kept, _numbered(rows, header_row, kept), row_rules, result, rows, None)
            with collector_paused():
                _check_rows(ledger, brigade, columns, chunks, result, None, progress)
            result.warnings = warnings(rows.notes, mapping, header_row)
        digest = fingerprint.digest() if snapshot and result.ok and result.unchanged == result.rows else None
    if digest:  # every row matched a record, read in the same snapshot as the digest
        fingerprint.remember(rows=result.rows, digest=digest)
    return result


IMPORT_LOCK = 0x4A0A  # advisory lock namespace of imports (the other key: brigade and ledger)


def _serialise(ledger, brigade, on_wait):
    """Take this brigade's ledger's import lock for the rest of the transaction. On SQLite the
    transaction already holds the database's one write lock (BEGIN IMMEDIATE, settings.py)."""
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(f"{brigade.pk}:{ledger.kind}".encode()) - 2**31  # int4; a collision only waits
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, key])
        if not cursor.fetchone()[0]:
            if on_wait:
                on_wait()
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, key])


_paused = 0  # imports running in this process with the collector paused
_pause_lock = threading.Lock()


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector paused while a file's rows are read and checked.

    An import makes millions of short-lived lists and tuples that form no cycles, and every
    collection walks the live ones (half the time of checking 100,000 rows went to it).
    Memory stays bounded by the chunk, and what cycles there are wait for the collector to
    resume. The pause is counted, so that of two imports in threads of one process the one
    that ends last turns the collector back on."""
    global _paused
    with _pause_lock:
        ours = _paused > 0 or gc.isenabled()  # else paused by someone else, theirs to resume
        if ours:
            _paused += 1
            gc.disable()
    try:
        yield
    finally:
        if ours:
            with _pause_lock:
                _paused -= 1
                if _paused == 0:
                    gc.enable()


def _take(numbered, size: int, meter) -> list:
    """The next chunk: `size` rows, or fewer once they hold CHUNK_CHARS characters of text (as
    `meter`, the rows' reader, counts what it has received), so that a chunk of long cells
    stays as small in memory as one of short ones."""
    chunk = []
    append, start = chunk.append, meter.chars
    for item in numbered:
        append(item)
        if len(chunk) >= size or meter.chars - start > CHUNK_CHARS:
            break
    return chunk


def _check_rows(ledger, brigade, columns, chunks, result, plan, progress):
    """Match each chunk's good rows against the records: counts, samples and errors go to
    `result`; for a real import (`plan`) the rows to create and update go to `plan.writes`,
    and (checked outside the write transaction) what they were matched against to `plan`,
    checked again under the write lock."""
    first_rows: dict[tuple, int] = {}  # key → the row that first used it in this file
    attnames = [c.attname for c in columns]
    key_header = ledger.key_header
    existing = plan.existing if plan else Existing(ledger, brigade, columns, versions=False)
    outside = plan is not None and not plan.inside
    seen_keys = plan.seen_keys if outside else None
    seen_hashes = plan.seen_hashes if outside else None
    # The locked years as they are now. The write holds the years it touches (locks.hold_years)
    # so that a report finalised meanwhile either counts these rows or has locked the year
    # first: inside the write transaction each year is held as the rows first touch it, and the
    # rows checked against the locks as then read; outside it, the write reads them again under
    # its lock (and the rows are checked again if one was locked meanwhile).
    closed = locks.locked_years(brigade.pk) if ledger.date_field else set()
    date_index = next((n for n, c in enumerate(columns) if c.name == ledger.date_field), None)
    tz = timezone.get_current_timezone()
    required_key = bool(existing.text_parts) and not ledger.key_optional
    done = 0
    for size, good in chunks:
        done += size
        keys = existing.keys_of([values for _, values in good])
        existing.prefetch([k for k in keys if k is not None])
        founds = [None if k is None else existing.find(k) for k in keys]
        if plan is not None and date_index is not None:
            years = {locks.year_of(values[date_index], tz) for _, values in good}
            years |= {locks.year_of(f[2], tz) for f in founds if f is not None}
            years -= plan.years | {None}
            if years and plan.inside:
                closed |= locks.hold_years(brigade_id=brigade.pk, years=years)
            plan.years |= years
        to_create, to_update = [], []
        for (number, values), key, found in zip(good, keys, founds, strict=True):
            if key is not None:
                if required_key and "" in key and any(key[n] == "" for n in existing.text_parts):
                    result.add_error(number, key_header, f"{key_header}不能只有空格")
                    continue
                if key in first_rows:
                    result.add_error(number, key_header, f"与第{first_rows[key]}行重复（{key_header}相同）")
                    continue
                first_rows[key] = number
                if seen_keys is not None:
                    seen_keys[key] = matching.seen(found)
                if found is None:
                    action = "新增"
                elif found[1] == hash(tuple(values)):
                    result.unchanged += 1
                    continue
                elif closed and locks.year_of(found[2], tz) in closed:
                    # the record as saved belongs to a finalised year: it may not be moved out of it
                    year = locks.year_of(found[2])
                    result.add_error(number, key_header, locks.locked_message(year))
                    continue
                else:
                    action = "更新"
            else:
                fingerprint = hash(tuple(values))
                if seen_hashes is not None:
                    seen_hashes.setdefault(fingerprint, fingerprint in existing.by_hash)
                if fingerprint in existing.by_hash:
                    result.unchanged += 1
                    continue
                existing.by_hash.add(fingerprint)
                found, action = None, "新增"
            if closed and locks.year_of(values[date_index], tz) in closed:
                # a new or changed record dated in a finalised year; unchanged ones pass above
                result.add_error(
                    number,
                    columns[date_index].header,
                    locks.locked_message(locks.year_of(values[date_index])),
                )
                continue
            if found is None:
                to_create.append(values)
                result.created += 1
            else:
                changed = tuple(
                    n for n, (new, old) in enumerate(zip(values, found[4], strict=True)) if new != old
                )
                to_update.append((found[0], values, changed))
                result.updated += 1
            if len(result.samples) < MAX_SAMPLES:
                cells = [_display(c.to_cell(c.name_of(v))) for c, v in zip(columns, values, strict=True)]
                result.samples.append((number, action, cells))
        if plan is not None and result.ok and (to_create or to_update):
            plan.writes.append(prepare(ledger.model, brigade, attnames, to_create, to_update, plan.now))
        if progress:
            progress(CHECKING, done)
    if plan is not None:
        plan.closed = closed & plan.years


def warnings(notes, mapping, header_row: int) -> list[str]:
    """What the clerk would not see in the rows, as the preview names it (docs/imports.md): the
    hidden sheets skipped, hidden data rows and columns that are imported, and formula cells
    whose saved result is imported (the system does not calculate them)."""
    if notes is None:
        return []
    found = []
    headers = {index: col.header for index, col in mapping}
    if notes.skipped:
        names = "、".join(f"「{readable(name)}」" for name in notes.skipped)
        found.append(
            f"工作表{names}是隐藏的，没有读取；读取的是第一张可见的工作表「{readable(notes.sheet)}」。"
            "如果要导入的是隐藏的工作表，请在 Excel 或 WPS 中取消隐藏、把它移到最前面，保存后重新上传"
        )
    found += filter(None, [notes.active_sheet()])  # the workbook opens on another sheet
    rows = [n for n in notes.hidden_rows if n > header_row]
    if rows:
        more = notes.hidden_row_count - len(notes.hidden_rows)
        found.append(
            f"第{_ranges(rows)}行{f'等{len(rows) + more}行' if more > 0 else ''}在表格中是隐藏的（被筛选或手动隐藏），"
            "打开文件时看不到，但会照常导入。如果这些行不应导入，请删除它们后重新上传"
        )
    columns = [headers[c] for c in notes.hidden_columns if c in headers]
    if columns:
        found.append(
            "、".join(f"「{h}」" for h in columns) + "列在表格中是隐藏的，打开文件时看不到，但会照常导入"
        )
    formulas = [(r, c, t, v) for r, c, t, v in notes.formulas if c in headers and r > header_row]
    if formulas:
        cells = "；".join(
            f"第{r}行「{headers[c]}」列{_formula_text(t)}，保存的结果为 {_shown(v)}"
            for r, c, t, v in formulas[:FORMULAS_LISTED]
        )
        more = len(formulas) - FORMULAS_LISTED
        tail = f"；另有{more}格" if more > 0 else ""
        if notes.formula_count > len(notes.formulas):
            tail += f"（文件中共有{notes.formula_count}个公式单元格，仅核对了前{len(notes.formulas)}个）"
        found.append(
            f"以下单元格是公式，导入的是文件中保存的计算结果，本系统不重新计算：{cells}{tail}。"
            "若结果与公式不符（文件由其他程序生成、保存时没有重新计算），请在 Excel 或 WPS 中打开、重新计算并保存，"
            "或把公式转为数值后重新上传"
        )
    return [readable(w) for w in found]


def _shown(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return readable(_display(value)) or "（空）"


def _formula_text(text: str) -> str:
    text = readable(str(text)).strip()
    if not text:
        return "是公式"
    return f"是公式 {text if text.startswith('=') else '=' + text}"


def _ranges(numbers) -> str:
    """[3, 5, 6, 7, 9] → "3、5–7、9"."""
    parts, numbers = [], sorted(set(numbers))
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return "、".join(parts)


def _display(cell):
    """A cell as the preview shows it (JSON-safe: the preview is kept on the import job)."""
    if cell is None:
        return ""
    if hasattr(cell, "strftime"):
        return cell.strftime("%Y-%m-%d %H:%M" if hasattr(cell, "hour") else "%Y-%m-%d")
    return str(cell)
