"""Writing an import's new and changed records with their history: on PostgreSQL through binary
COPY on a second thread (the server stores one chunk while Python checks the next), elsewhere
with bulk_create_with_history."""

import queue
import threading

from django.db import IntegrityError, connection
from django.utils import timezone
from psycopg import errors as psycopg_errors
from simple_history.utils import bulk_create_with_history, bulk_update_with_history


class Writer:
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
            Copier(model, brigade, attnames, user, reason) if connection.vendor == "postgresql" else None
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


class Copier:
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
