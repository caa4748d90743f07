"""Import of a ledger workbook: read, validate every cell with the model's own rules,
de-duplicate by the ledger's key, and write every row or none.

The file is processed in chunks so that memory does not grow with the file: a chunk is parsed
and validated, matched against the records that already exist, and (when nothing has failed so
far and this is not a dry run) written, all inside one transaction that is rolled back if any
row anywhere is bad."""

import contextlib
import queue
import re
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Field, Lookup, Max
from django.utils import timezone
from psycopg import errors as psycopg_errors
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from brigade import locks, rules
from brigade.ledger import CellError, Ledger, fingerprints
from brigade.ledger.xlsx import FileRefused, open_rows

CHUNK_ROWS = 10_000
MAX_ERRORS_KEPT = 200
MAX_SAMPLES = 10


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
            "written": self.written,
            "recognised": self.recognised,
        }


HEADER_SEARCH_ROWS = 10  # title rows above the header ("XX大队2025年违法查处台账", a date line …)


def _find_header(rows, columns):
    """The header row and its number: the first row, or, when the first rows are a title (a
    merged title cell, a line with the unit and the date), the first of the next rows that
    names at least half of the ledger's columns. Returns (header, number)."""
    headers = {c.header for c in columns}
    seen = []
    for number, row in enumerate(rows, start=1):
        seen.append((number, row))
        names = {str(v).strip() for v in row if v not in (None, "")}
        if len(names & headers) * 2 >= len(headers) or len(seen) >= HEADER_SEARCH_ROWS:
            break
    for number, row in seen:
        names = {str(v).strip() for v in row if v not in (None, "")}
        if len(names & headers) * 2 >= len(headers):
            return row, number
    first = next(((n, r) for n, r in seen if any(v not in (None, "") for v in r)), None)
    return (first[1], first[0]) if first else (None, 1)


def _map_headers(header, columns):
    """Column index → Column, refusing unknown, missing and repeated headers by name."""
    if not header:
        raise FileRefused("文件为空：第1行应为表头")
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
    by_header = {c.header: c for c in columns}
    seen, unknown, repeated = {}, [], []
    for i, name in enumerate(names):
        if not name:
            continue
        if name not in by_header:
            unknown.append(name)
        elif name in seen:
            repeated.append(name)
        else:
            seen[name] = i
    missing = [c.header for c in columns if c.header not in seen]
    problems = []
    if unknown:
        problems.append("无法识别的列：" + "、".join(unknown))
    if missing:
        problems.append("缺少的列：" + "、".join(missing))
    if repeated:
        problems.append("重复的列：" + "、".join(repeated))
    if problems:
        expected = "、".join(c.header for c in columns)
        raise FileRefused("表头不符合本台账模板。" + "；".join(problems) + f"。应有的列：{expected}")
    return [(seen[c.header], c) for c in columns]


class _Existing:
    """What the brigade already has, to tell new rows from updates and unchanged ones.

    With a single-field key, existing records are looked up per chunk (one indexed query);
    otherwise (composite keys, keyless ledgers — all small) they are loaded once."""

    def __init__(self, ledger: Ledger, brigade, columns):
        self.model = ledger.model
        self.brigade = brigade
        self.attnames = [c.attname for c in columns]
        self.key_idx = [self.attnames.index(ledger.model._meta.get_field(k).attname) for k in ledger.key]
        self.key_optional = ledger.key_optional
        self.by_key: dict[tuple, tuple] = {}  # key → (pk, hash of values, its date as saved)
        self.date_index = next((n for n, c in enumerate(columns) if c.name == ledger.date_field), None)
        self.by_hash: set[int] = set()  # keyless records, by the hash of all their values
        self.per_chunk = len(self.key_idx) == 1
        qs = self.model._default_manager.filter(brigade=brigade)
        # Only records that existed before this import can match a row: rows written by earlier
        # chunks have other keys (a key used twice in one file is an error). None at all: no lookups.
        self.last_pk = qs.aggregate(last=Max("pk"))["last"]
        if self.last_pk is not None:
            if not self.per_chunk:
                self._load(qs)
            elif self.key_optional:
                # Records without the optional key are matched on all their values, like a keyless ledger.
                self._load(qs.filter(**{ledger.model._meta.get_field(ledger.key[0]).attname: ""}))

    def key_of(self, values) -> tuple | None:
        if not self.key_idx:
            return None
        key = tuple(values[i] for i in self.key_idx)
        if self.key_optional and all(k in (None, "") for k in key):
            return None
        return key

    def _load(self, qs, stream=True):
        rows = qs.values_list("pk", *self.attnames)
        for pk, *values in rows.iterator(chunk_size=5000) if stream else rows:
            key = self.key_of(values)
            if key is None:
                self.by_hash.add(hash(tuple(values)))
            else:
                self.by_key[key] = (
                    pk,
                    hash(tuple(values)),
                    values[self.date_index] if self.date_index is not None else None,
                )

    def prefetch(self, keys):
        if self.per_chunk and keys and self.last_pk is not None:
            self.by_key.clear()  # the keyless records in by_hash stay for the whole file
            field = self.attnames[self.key_idx[0]]
            # `= ANY(array)` sends one parameter where `IN (…)` would send thousands.
            lookup = "any_of" if connection.vendor == "postgresql" else "in"
            qs = self.model._default_manager.filter(
                brigade=self.brigade, pk__lte=self.last_pk, **{f"{field}__{lookup}": [k[0] for k in keys]}
            )
            self._load(qs, stream=False)


def _parse_chunk(chunk, mapping, row_rules, result):
    """Parse and validate rows; return [(row number, values)] of the good ones.

    The common row goes through the columns' fast parsers in one comprehension; a row where
    any cell fails is parsed again cell by cell so that every bad cell is reported."""
    good = []
    parsers = [(index, col.fast_parser()) for index, col in mapping]
    width = max(index for index, _ in mapping) + 1
    names = [col.attname for _, col in mapping]
    for number, raw in chunk:
        if len(raw) < width:
            raw = [*raw, *[""] * (width - len(raw))]
        try:
            values = [parse(raw[index]) for index, parse in parsers]
        except CellError:
            for index, col in mapping:
                try:
                    col.parse(raw[index])
                except CellError as e:
                    result.add_error(number, col.header, str(e))
            continue
        if row_rules:
            broken = rules.check_row(row_rules, dict(zip(names, values, strict=True)))
            if broken:
                for name, messages in broken.items():
                    header = next(c.header for _, c in mapping if c.attname == name)
                    for message in messages:
                        result.add_error(number, header, message)
                continue
        good.append((number, values))
    return good


def ledger_import(
    *,
    ledger: Ledger,
    brigade,
    source,
    user=None,
    dry_run: bool = False,
    reason: str = "",
    progress: Callable[[int], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> ImportResult:
    """Import `source` (path or binary file) into `ledger` for `brigade`. All rows or none:
    with any bad row, nothing is written and `result.errors` names each row and column.
    Raises FileRefused for a file that cannot be a ledger of this kind at all.

    Two imports into the same brigade's ledger never interleave: a real import takes the
    ledger's import lock first (`on_wait` is called if it has to wait for another one), and
    only then reads what already exists, so neither can miss the other's rows."""
    columns = ledger.columns_for(brigade)
    fingerprint = fingerprints.Fingerprint(ledger=ledger, brigade=brigade, columns=columns, source=source)
    if dry_run:
        return _preview(ledger, brigade, columns, source, fingerprint)
    rows = open_rows(source)
    header, header_row = _find_header(rows, columns)
    mapping = _map_headers(header, columns)
    result = ImportResult(kind=ledger.kind)
    reason = reason or "Excel导入"

    numbered = _numbered(rows, header_row, mapping)
    try:
        with transaction.atomic():
            _serialise(ledger, brigade, on_wait)
            _import_rows(ledger, brigade, columns, mapping, numbered, result, user, reason, False, progress)
            result.written = result.ok
            if not result.written:
                transaction.set_rollback(True)
            elif connection.vendor != "postgresql" or result.updated == result.unchanged == 0:
                # No one else can have changed a record of this file before the commit: SQLite's
                # write lock is held, and records this import created are invisible to others.
                fingerprint.remember(rows=result.rows, digest=fingerprint.digest())
    except IntegrityError:
        # Someone saved a record with one of these keys while the file was being written.
        result.written = False
        result.add_error(0, "", "写入时与其他用户刚录入的记录冲突，没有写入任何记录，请重新导入")
    return result


def _numbered(rows, header_row, mapping):
    """The data rows with their row numbers: empty rows and a template's example row left out
    (an example row left in a template of an earlier version is not a record)."""
    placeholders = [(index, col.placeholder) for index, col in mapping]
    return (
        (n, r)
        for n, r in enumerate(rows, start=header_row + 1)
        if (any(r) or any(v not in (None, "") for v in r))
        and not any(index < len(r) and r[index] == text for index, text in placeholders)
    )


def _preview(ledger, brigade, columns, source, fingerprint) -> ImportResult:
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
        rows = open_rows(source)
        header, header_row = _find_header(rows, columns)
        mapping = _map_headers(header, columns)
        numbered = _numbered(rows, header_row, mapping)
        _import_rows(ledger, brigade, columns, mapping, numbered, result, None, "", True, None)
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


def _import_rows(ledger, brigade, columns, mapping, numbered, result, user, reason, dry_run, progress):
    model = ledger.model
    row_rules = getattr(model, "row_rules", ())
    attnames = [c.attname for c in columns]
    first_rows: dict[tuple, int] = {}  # key → the row that first used it in this file
    key_header = ledger.key_header
    existing = _Existing(ledger, brigade, columns)
    # A real import holds each year it touches (locks.hold_years) from the chunk that first
    # touches it to its commit, so that a report finalised meanwhile either counts these rows or
    # has locked the year before they are checked; a dry run only reads the locks.
    closed = locks.locked_years(brigade.pk) if ledger.date_field else set()
    held: set[int] = set()
    date_index = next((n for n, c in enumerate(columns) if c.name == ledger.date_field), None)
    writer = None if dry_run else _Writer(model, brigade, attnames, user, reason)
    try:
        while chunk := list(islice(numbered, CHUNK_ROWS)):
            result.rows += len(chunk)
            good = _parse_chunk(chunk, mapping, row_rules, result)
            keys = [existing.key_of(values) for _, values in good]
            existing.prefetch([k for k in keys if k is not None])
            if writer and date_index is not None:
                years = {locks.year_of(values[date_index]) for _, values in good}
                years |= {locks.year_of(existing.by_key[k][2]) for k in keys if k in existing.by_key}
                if years - held:
                    closed |= locks.hold_years(brigade_id=brigade.pk, years=years - held)
                    held |= years
            to_create, to_update = [], []
            for (number, values), key in zip(good, keys, strict=True):
                if key is not None:
                    if key in first_rows:
                        result.add_error(
                            number, key_header, f"与第{first_rows[key]}行重复（{key_header}相同）"
                        )
                        continue
                    first_rows[key] = number
                    found = existing.by_key.get(key)
                    if found is None:
                        action = "新增"
                    elif found[1] == hash(tuple(values)):
                        result.unchanged += 1
                        continue
                    elif closed and locks.year_of(found[2]) in closed:
                        # the record as saved belongs to a finalised year: it may not be moved out of it
                        year = locks.year_of(found[2])
                        result.add_error(number, key_header, locks.locked_message(year))
                        continue
                    else:
                        action = "更新"
                else:
                    fingerprint = hash(tuple(values))
                    if fingerprint in existing.by_hash:
                        result.unchanged += 1
                        continue
                    existing.by_hash.add(fingerprint)
                    found, action = None, "新增"
                if closed and locks.year_of(values[date_index]) in closed:
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
                    to_update.append((found[0], values))
                    result.updated += 1
                if len(result.samples) < MAX_SAMPLES:
                    cells = [_display(c.to_cell(c.name_of(v))) for c, v in zip(columns, values, strict=True)]
                    result.samples.append((number, action, cells))
            if result.ok and writer:
                writer.write(to_create, to_update)
            if progress:
                progress(result.rows)
        if writer:
            writer.close()
    except DatabaseError:
        # A statement of this thread may have failed only because the writing thread's COPY
        # had failed the transaction first (a key another user has just saved): report that.
        if writer:
            writer.abandon()
            if isinstance(writer.cause, psycopg_errors.IntegrityError):
                writer._raise()
        raise
    finally:
        if writer:
            writer.abandon()


class _Writer:
    """Writes each chunk's new and changed records, with their history.

    On PostgreSQL new records go through COPY on a second thread, so that the server stores one
    chunk (indexes, foreign-key checks) while Python reads and checks the next: the work of one
    import is spread over two cores. Elsewhere, bulk_create_with_history writes them."""

    def __init__(self, model, brigade, attnames, user, reason):
        self.model, self.brigade, self.attnames, self.user, self.reason = (
            model,
            brigade,
            attnames,
            user,
            reason,
        )
        self.copier = (
            _Copier(model, brigade, attnames, user, reason) if connection.vendor == "postgresql" else None
        )
        self.thread = self.error = self.cause = None
        if self.copier:
            with connection.cursor() as cursor:
                # Foreign keys are checked with each insert, on the server's core, not all at commit.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._run, args=(connection.connection,), daemon=True)
            self.thread.start()

    def _run(self, raw_connection):
        while (rows := self.queue.get()) is not None:
            if self.error is None:
                try:
                    with raw_connection.cursor() as cursor:
                        self.copier.copy(cursor, rows)
                except Exception as e:  # handed to the importing thread, which rolls back
                    self.error = e

    def write(self, to_create, to_update):
        self._raise()
        if to_create and self.copier:
            self.queue.put(to_create)
        elif to_create:
            records = [
                self.model(brigade=self.brigade, **dict(zip(self.attnames, v, strict=True)))
                for v in to_create
            ]
            bulk_create_with_history(
                records,
                self.model,
                batch_size=1000,
                default_user=self.user,
                default_change_reason=self.reason,
            )
        if to_update:
            self._update(to_update)

    def _update(self, to_update):
        now = timezone.now()
        records = self.model._default_manager.in_bulk([pk for pk, _ in to_update])
        for pk, values in to_update:
            record = records[pk]
            for name, value in zip(self.attnames, values, strict=True):
                setattr(record, name, value)
            record.updated_at = now
        bulk_update_with_history(
            list(records.values()), self.model, [*self.attnames, "updated_at"], batch_size=1000,
            default_user=self.user, default_change_reason=self.reason,
        )  # fmt: skip

    def close(self):
        """Wait for every chunk to be stored; raise what the writing thread met (before any
        other statement: after a failed COPY the transaction accepts none)."""
        if self.thread:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
            self._raise()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._raise()

    def abandon(self):
        """Stop the writing thread when the import ends early (the transaction rolls back)."""
        if self.thread:
            self.cause = self.error
            self.error = self.error or RuntimeError("import abandoned")
            self.queue.put(None)
            self.thread.join()
            self.thread = None

    def _raise(self):
        if self.error is not None:
            if isinstance(self.error, psycopg_errors.IntegrityError):
                raise IntegrityError(str(self.error)) from self.error
            raise self.error


class _Copier:
    """New records through PostgreSQL's binary COPY into a temporary table, then one statement
    that inserts them into the ledger and, from its RETURNING, into the history table: the same
    rows bulk_create_with_history writes, several times faster, ids drawn by the table itself."""

    def __init__(self, model, brigade, attnames, user, reason):
        quote = connection.ops.quote_name
        now = timezone.now()
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fixed = {"brigade_id": brigade.pk, "created_at": now, "updated_at": now}
        # The file's columns first, in the importer's order, then those shared by every row: a
        # row is then `values + tail`, with no per-cell work in Python.
        fields = [by_attname[name] for name in attnames] + [by_attname[name] for name in fixed]
        missing = set(by_attname) - {f.attname for f in fields} - {"id"}
        assert not missing, f"no value for {missing}"
        self.tail = list(fixed.values())
        self.types = [_PG_BINARY_TYPES.get(f.db_type(connection).split("(")[0]) for f in fields]
        binary = None not in self.types  # binary COPY is twice as fast; it needs every column's type
        columns = ", ".join(quote(f.column) for f in fields)
        table, staging = quote(model._meta.db_table), quote(f"import_{model._meta.db_table}")
        self.prepare = [
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA",
            f"DELETE FROM {staging}",  # cheaper than TRUNCATE for a small temporary table
        ]
        self.copy_sql = f"COPY {staging} ({columns}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
        self.binary = binary
        self.insert_sql = (
            f"WITH created AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} RETURNING id, {columns})"
            f" INSERT INTO {quote(model.history.model._meta.db_table)} (id, {columns}, history_date,"
            f" history_change_reason, history_type, history_user_id) SELECT id, {columns}, %s, %s, '+', %s FROM created"
        )
        self.insert_params = [now, reason, getattr(user, "pk", None)]

    def copy(self, cursor, rows):
        for sql in self.prepare:
            cursor.execute(sql)
        tail = self.tail
        with cursor.copy(self.copy_sql) as copy:
            if self.binary:
                copy.set_types(self.types)
            for values in rows:
                copy.write_row(values + tail)
        cursor.execute(self.insert_sql, self.insert_params)


_PG_BINARY_TYPES = {
    "bigint": "int8", "integer": "int4", "smallint": "int2", "timestamp with time zone": "timestamptz",
    "date": "date", "varchar": "text", "text": "text", "numeric": "numeric", "boolean": "bool",
}  # fmt: skip


class AnyOf(Lookup):
    """`field__any_of=[…]` → `field = ANY(%s)`: one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False  # the list is one array parameter, not a value of the field

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(AnyOf)


def _display(cell):
    """A cell as the preview shows it (JSON-safe: the preview is kept on the import job)."""
    if cell is None:
        return ""
    if hasattr(cell, "strftime"):
        return cell.strftime("%Y-%m-%d %H:%M" if hasattr(cell, "hour") else "%Y-%m-%d")
    return str(cell)
