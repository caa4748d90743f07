"""Writing an import's new and changed records with their history, inside the import's write
transaction (on PostgreSQL the one it checks the file in, chunk by chunk; on SQLite one short
transaction after the check): on PostgreSQL new records through binary COPY on a second thread,
which stores a chunk while the importer checks the next, the history written by a trigger from
the same statement; on SQLite, under its one write lock, through one
INSERT run for every row (executemany) with the ids drawn beforehand, the history copied from the
rows just written by one INSERT … SELECT. Changed records, on both, through one UPDATE run for
every row and their history copied the same way.

Django's bulk_create and bulk_update compile a statement per 60 rows (SQLite's 999 parameters)
and simple-history builds a model instance per history row: for 30,000 rows 38 s under SQLite's
write lock (84 s for changed rows), when other users' pages wait for it. These statements take
about a second."""

import functools
import queue
import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from psycopg import errors as psycopg_errors

from brigade.rollup import sql_literal

CREATE_TAIL = ("brigade", "created_at", "updated_at")  # a new record's columns not in the file

# Columns whose Python values SQLite takes as they are (text, integers, ids); the others (dates,
# amounts) are converted as Django converts them.
AS_THEY_ARE = {"CharField", "TextField", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
               "SmallIntegerField", "BigIntegerField", "ForeignKey", "BooleanField"}  # fmt: skip


def _fields(model, names):
    return [model._meta.get_field(name) for name in names]


def _converted(fields, rows):
    """`rows` of Python values as the database takes them (on SQLite dates as text, in UTC)."""
    db = connections[DEFAULT_DB_ALIAS]
    converters = [
        (n, functools.partial(f.get_db_prep_save, connection=db))
        for n, f in enumerate(fields)
        if f.get_internal_type() not in AS_THEY_ARE
    ]
    for values in rows:
        for n, convert in converters:
            values[n] = convert(values[n])
    return rows


def prepare(model, brigade, attnames, to_create, to_update, now):
    """A chunk's new and changed rows as `Writer.write` takes them, made before the write
    transaction (it holds SQLite's write lock: nothing is computed there that can be done
    before). On PostgreSQL the rows go as they are (COPY and psycopg take Python values)."""
    if connection.vendor == "postgresql":
        return to_create, [(pk, [*v, now], changed) for pk, v, changed in to_update]
    created = _converted(
        _fields(model, [*attnames, *CREATE_TAIL]), [[*v, brigade.pk, now, now] for v in to_create]
    )
    updated = _converted(_fields(model, [*attnames, "updated_at"]), [[*v, now] for _, v, _ in to_update])
    return created, [(pk, v, changed) for (pk, _, changed), v in zip(to_update, updated, strict=True)]


class RecordsGone(Exception):
    """A record the import was to update is no longer there: another user deleted it after the
    import matched it (PostgreSQL, where the import checks inside its transaction without
    locking the records it only reads). The import is rolled back."""


class Writer:
    """Writes each chunk's new and changed records, with their history.

    On PostgreSQL new records go through COPY on a second thread, so that the server stores one
    chunk (indexes, foreign-key checks) while Python reads and checks the next: the work of one
    import is spread over two cores. On SQLite, one INSERT run for every row (executemany)."""

    def __init__(self, model, brigade, attnames, user, reason, now=None):
        self.model, self.brigade, self.attnames, self.user, self.reason = (
            model,
            brigade,
            attnames,
            user,
            reason,
        )
        self.copier = (
            Copier(model, brigade, attnames, user, reason) if connection.vendor == "postgresql" else None
        )
        self.thread = self.error = self.cause = None
        self.now = now  # the time `prepare` gave the rows, their history's time
        self.copied = self.updated = 0  # rows stored so far: by the writing thread, by this one
        if self.copier:
            with connection.cursor() as cursor:
                # Foreign keys are checked with each insert, on the server's core, not all at commit.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.queue = queue.Queue(maxsize=2)
            self.stored = queue.SimpleQueue()  # the writing thread's count after each chunk; None: done
            self.thread = threading.Thread(target=self._run, args=(connection.connection,), daemon=True)
            self.thread.start()

    def _run(self, raw_connection):
        try:
            while (rows := self.queue.get()) is not None:
                if self.error is None:
                    try:
                        with raw_connection.cursor() as cursor:
                            self.copier.copy(cursor, rows)
                        self.copied += len(rows)
                        self.stored.put(self.copied)
                    except Exception as e:  # handed to the importing thread, which rolls back
                        self.error = e
        finally:
            self.stored.put(None)

    def write(self, to_create, to_update):
        self._raise()
        if to_create and self.copier:
            self.queue.put(to_create)
        elif to_create:
            self._insert(to_create)
        if to_update:
            self._update(to_update)

    def _history(self, cursor, history_type: str, where: str, params) -> None:
        """History rows of the records `where` selects, copied from them as they now are."""
        q = connection.ops.quote_name
        columns = ", ".join(q(c) for c in _history_columns(self.model))
        history = q(self.model.history.model._meta.db_table)
        cursor.execute(
            f"INSERT INTO {history} ({columns}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, %s, %s FROM {q(self.model._meta.db_table)} WHERE {where}",
            [
                connection.ops.adapt_datetimefield_value(self._now()),
                self.reason,
                history_type,
                getattr(self.user, "pk", None),
                *params,
            ],
        )

    def _now(self):
        if self.now is None:
            self.now = timezone.now()
        return self.now

    def _insert(self, rows):
        """New records (SQLite), as `prepare` made them: ids drawn past every id the table has
        given (AUTOINCREMENT), which no one else can take while this transaction holds the lock."""
        q = connection.ops.quote_name
        table, pk = self.model._meta.db_table, self.model._meta.pk.column
        fields = _fields(self.model, [*self.attnames, *CREATE_TAIL])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({q(pk)}) FROM {q(table)}")
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            given = cursor.fetchone()
            first = max(top, given[0] if given else 0) + 1
            columns = ", ".join(q(f.column) for f in fields)
            marks = ", ".join(["%s"] * (len(fields) + 1))
            cursor.executemany(
                f"INSERT INTO {q(table)} ({q(pk)}, {columns}) VALUES ({marks})",
                [[n, *v] for n, v in enumerate(rows, start=first)],
            )
            self._history(cursor, "+", f"{q(pk)} BETWEEN %s AND %s", [first, first + len(rows) - 1])

    def _update(self, to_update):
        """Changed records, as `prepare` made them ((id, values, positions of the values that
        changed)): for each set of changed columns one UPDATE of those columns run for every row
        (an index whose columns are not set is not touched: half the time), then their history
        as they now are."""
        q = connection.ops.quote_name
        table, pk = self.model._meta.db_table, self.model._meta.pk.column
        fields = _fields(self.model, [*self.attnames, "updated_at"])
        stamp = len(self.attnames)  # the position of updated_at, set on every row
        groups: dict[tuple, list] = {}
        for pk_value, values, changed in to_update:
            groups.setdefault((*changed, stamp), []).append(
                [*(values[i] for i in changed), values[stamp], pk_value]
            )
        with connection.cursor() as cursor:
            for positions, params in groups.items():
                assignments = ", ".join(f"{q(fields[i].column)} = %s" for i in positions)
                cursor.executemany(f"UPDATE {q(table)} SET {assignments} WHERE {q(pk)} = %s", params)
                if cursor.rowcount < len(params):  # the rows' own count, summed over the run
                    raise RecordsGone
            ids = [pk_value for pk_value, _, _ in to_update]
            for start in range(0, len(ids), 10_000):
                batch = ids[start : start + 10_000]
                marks = ", ".join(["%s"] * len(batch))
                self._history(cursor, "~", f"{q(pk)} IN ({marks})", batch)
        self.updated += len(to_update)

    def close(self, stored: Callable[[int], None] | None = None):
        """Wait for every chunk to be stored, telling `stored` how many rows are (now, then as
        each chunk the writing thread still had is); raise what the writing thread met (before
        any other statement: after a failed COPY the transaction accepts none)."""
        if self.thread:
            self.queue.put(None)
            told = -1
            while True:
                copied = self.stored.get() if told >= 0 else self.copied
                if copied is None:
                    break
                if stored and self.error is None and copied + self.updated > told:
                    stored(copied + self.updated)
                told = max(told, copied + self.updated)
            self.thread.join()
            self.thread = None
            self._raise()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._raise()

    def abandon(self):
        """Stop the writing thread when the import ends early (the transaction rolls back)."""
        if self.thread:
            stop = RuntimeError("import abandoned")
            self.error = self.error or stop
            self.queue.put(None)
            self.thread.join()
            self.thread = None
            # what the writing thread met, if anything (a COPY under way may fail after `stop`)
            self.cause = None if self.error is stop else self.error

    def _raise(self):
        if self.error is not None:
            if isinstance(self.error, psycopg_errors.IntegrityError):
                raise IntegrityError(str(self.error)) from self.error
            raise self.error


# While an import's COPY runs, these transaction-local settings ask the ledger's history trigger
# (history_trigger_sql) to write the history of the rows the statement inserts.
IMPORTING, AT, REASON, USER = (f"brigade.import_{name}" for name in ("table", "at", "reason", "user"))
HISTORY_TRIGGER = "import_history"


class ImportUnavailable(Exception):
    """The database cannot take an import now (its history trigger is missing, as after a
    restore of a backup from before it existed); the message, in Chinese, says what to do."""


NO_HISTORY_TRIGGER = (
    "数据库缺少导入记录修改历史所需的触发器（例如恢复了较早版本的备份），没有写入任何记录："
    "请管理员运行 python manage.py migrate 后再导入"
)


def _history_columns(model) -> list[str]:
    """The columns a record and its history row share (a history may leave fields out)."""
    kept = {f.column for f in model.history.model._meta.concrete_fields}
    return [f.column for f in model._meta.concrete_fields if f.column in kept]


def history_trigger_sql(model) -> list[str]:
    """Statements that (re)create the ledger's history trigger (PostgreSQL).

    After every INSERT statement it writes a history row (type '+') for each inserted record,
    but only while an import's COPY has set IMPORTING to this table: any other insert (a form,
    bulk_create_with_history) writes its own history through django-simple-history. The rows
    come from the statement's transition table, which the rollup trigger has PostgreSQL keep
    anyway, so the history costs one insert and no second pass over the data."""
    q = connection.ops.quote_name
    table, history = model._meta.db_table, model.history.model._meta.db_table
    columns = ", ".join(q(c) for c in _history_columns(model))
    function = f"import_history_{table}"[:63]
    body = (
        f"IF current_setting('{IMPORTING}', true) = {sql_literal(table)} THEN "
        f"INSERT INTO {q(history)} ({columns}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {columns}, current_setting('{AT}')::timestamptz, current_setting('{REASON}'), '+', "
        f"nullif(current_setting('{USER}'), '')::bigint FROM new_rows; END IF; RETURN NULL;"
    )
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$",
        f"DROP TRIGGER IF EXISTS {HISTORY_TRIGGER} ON {q(table)}",
        f"CREATE TRIGGER {HISTORY_TRIGGER} AFTER INSERT ON {q(table)} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def install_history_triggers(*, using="default", **_kwargs):
    """(Re)create every ledger's history trigger from its model: run after every `migrate` (and
    a test database's flush), so that a new field or ledger needs no migration of its own."""
    from brigade.ledger import registry

    if using != "default" or connection.vendor != "postgresql":
        return
    tables = set(connection.introspection.table_names())
    with transaction.atomic(), connection.cursor() as cursor:
        for ledger in registry.all():
            if {ledger.model._meta.db_table, ledger.model.history.model._meta.db_table} <= tables:
                for sql in history_trigger_sql(ledger.model):
                    cursor.execute(sql)


class Copier:
    """New records through PostgreSQL's binary COPY straight into the ledger's table, ids drawn
    by the table itself; their history rows are written by the table's history trigger from the
    same statement (history_trigger_sql): the rows bulk_create_with_history would write,
    several times faster."""

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
        table = model._meta.db_table
        self.copy_sql = f"COPY {quote(table)} ({columns}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
        self.binary = binary
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s AND tgenabled <> 'D'",
                [quote(table), HISTORY_TRIGGER],
            )
            if cursor.fetchone() is None:  # records without history would be a hole in the audit
                raise ImportUnavailable(NO_HISTORY_TRIGGER)
            cursor.execute(
                "SELECT set_config(%s, %s, true), set_config(%s, %s, true), set_config(%s, %s, true)",
                [AT, now.isoformat(), REASON, reason, USER, str(getattr(user, "pk", None) or "")],
            )
        self.on = ("SELECT set_config(%s, %s, true)", [IMPORTING, table])
        self.off = ("SELECT set_config(%s, '', true)", [IMPORTING])

    def copy(self, cursor, rows):
        tail = self.tail
        cursor.execute(*self.on)
        with cursor.copy(self.copy_sql) as copy:
            if self.binary:
                copy.set_types(self.types)
            for values in rows:
                copy.write_row(values + tail)
        cursor.execute(*self.off)


_PG_BINARY_TYPES = {
    "bigint": "int8", "integer": "int4", "smallint": "int2", "timestamp with time zone": "timestamptz",
    "date": "date", "varchar": "text", "text": "text", "numeric": "numeric", "boolean": "bool",
}  # fmt: skip
