"""Recognising a file that was already imported (docs/imports.md, "the same file again").

Clerks upload the same export again and again: to check it, because a colleague already did, or
because the platform sends the whole year each month. Reading, checking and comparing 100,000
rows takes seconds, to learn that nothing changed. So the outcome of a file is remembered with
everything it depends on, and a preview of the same file is answered from it when all of that
is still the same:

- the file's bytes (SHA-256);
- the signature: the code that reads and checks it (the ledger package, the rules, the model and
  its declaration), the file limits, the time zone, and every name the lookup columns resolve
  with its record (违法行为, 中队, 专项行动 …, a name shared by two records included);
- the digest of the brigade's records of that ledger: a hash of every record's importable values,
  computed in the database (one aggregate, about 0.2 s per 100,000 records).

A fingerprint is only recorded where its digest is known to describe a state in which every row
of the file matches a record:
- after a real import on SQLite, whose transaction holds the database's one write lock, so no
  one else wrote while it ran;
- after a real import on PostgreSQL that only created records: records created by the import
  are invisible to everyone else until it commits, and the digest is read inside it;
- after a preview on PostgreSQL that found every row unchanged, read in one REPEATABLE READ
  snapshot together with the digest.
Any later write to those records changes the digest, so the next preview compares row by row
again. A confirmed import never uses a fingerprint: it always compares every row."""

import contextlib
import functools
import hashlib
import sys
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction

import sheets
from brigade import rules
from brigade.ledger import LookupColumn

KEPT_PER_LEDGER = 20  # the latest files of each brigade's ledger


def file_sha256(source) -> str:
    """SHA-256 of a path or of a seekable binary file (left at its start)."""
    digest = hashlib.sha256()
    if hasattr(source, "read"):
        source.seek(0)
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
        source.seek(0)
    else:
        with open(source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@functools.cache
def _code(kind: str, model_module: str, ledger_module: str) -> bytes:
    """The source of everything that reads and checks this ledger's files, once per process."""
    package = Path(__file__).parent
    files = sorted(package.glob("*.py")) + sorted(Path(sheets.__file__).parent.glob("*.py"))
    files += [
        Path(rules.__file__),
        Path(sys.modules[model_module].__file__),
        Path(sys.modules[ledger_module].__file__),
    ]
    digest = hashlib.sha256(kind.encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.digest()


def signature(ledger, columns) -> str:
    """What the outcome of a file depends on besides its bytes and the records."""
    digest = hashlib.sha256(_code(ledger.kind, ledger.model.__module__, type(ledger).__module__))
    # the limits (those of the child that reads it too), and the time zone of date-times without one
    bounds = sorted(getattr(settings, "IMPORT_PROCESS", {}).items())
    digest.update(repr((sorted(settings.IMPORT_LIMITS.items()), bounds, settings.TIME_ZONE)).encode())
    for col in columns:
        digest.update(col.header.encode())
        if isinstance(col, LookupColumn):
            # every (name, id), not only the name table: a second record of the same name leaves
            # the table as it was but makes the name ambiguous, which the import refuses
            digest.update(repr(sorted(col._names.items())).encode())
            digest.update(repr(sorted(col._ambiguous)).encode())
    return digest.hexdigest()


def records_digest(ledger, brigade, attnames) -> str:
    """A digest of every record of this brigade's ledger: its id and importable values."""
    model, quote = ledger.model, connection.ops.quote_name
    if connection.vendor == "postgresql":
        columns = ", ".join(quote(model._meta.get_field(a).column) for a in ["id", *attnames])
        sql = (
            f"SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) "
            f"FROM (SELECT {columns} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.get_field('brigade').column)} = %s) t"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [brigade.pk])
            count, total = cursor.fetchone()
        return f"{count}:{total}"
    digest, count = hashlib.blake2b(digest_size=16), 0
    qs = model._default_manager.filter(brigade=brigade)
    for row in qs.order_by("pk").values_list("pk", *attnames).iterator(chunk_size=5000):
        digest.update(repr(row).encode())
        count += 1
    return f"{count}:{digest.hexdigest()}"


class Fingerprint:
    """One file about to be imported into one brigade's ledger."""

    def __init__(self, *, ledger, brigade, columns, source):
        self.ledger, self.brigade = ledger, brigade
        self.attnames = [c.attname for c in columns]
        self.sha256 = file_sha256(source)
        self.signature = signature(ledger, columns)

    def _known(self):
        from brigade.models import ImportFingerprint

        return ImportFingerprint.objects.filter(
            brigade=self.brigade, kind=self.ledger.kind, sha256=self.sha256
        )

    def digest(self) -> str:
        return records_digest(self.ledger, self.brigade, self.attnames)

    def known_rows(self) -> int | None:
        """The number of rows of this file, if it is known to match the records exactly as they
        are now; the records are only digested when the file was seen before."""
        known = self._known().filter(signature=self.signature).first()
        if known is None or known.digest != self.digest():
            return None
        return known.rows

    def remember(self, *, rows: int, digest: str) -> None:
        from brigade.models import ImportFingerprint

        fields = {"signature": self.signature, "digest": digest, "rows": rows}
        try:
            with transaction.atomic():
                self._known().update_or_create(
                    brigade=self.brigade, kind=self.ledger.kind, sha256=self.sha256, defaults=fields
                )
        except IntegrityError:  # another preview of the same file recorded it at the same moment
            return
        mine = ImportFingerprint.objects.filter(brigade=self.brigade, kind=self.ledger.kind)
        stale = list(mine.order_by("-recorded_at").values_list("pk", flat=True)[KEPT_PER_LEDGER:])
        if stale:
            ImportFingerprint.objects.filter(pk__in=stale).delete()


def may_snapshot() -> bool:
    """A preview can read the file's rows and the digest in one snapshot (and so record a
    fingerprint) on PostgreSQL, outside any transaction already open."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


@contextlib.contextmanager
def snapshot():
    """One read-only REPEATABLE READ transaction: every statement sees the same committed state."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
