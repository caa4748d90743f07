"""Keys that differ only in spacing or width (全角/半角): "甲A12345" and "甲Ａ１２３４５", or
"公交决字 2026 001" and "公交决字2026001", are one key typed two ways. `key_text` is the rule in
Python; `NormalisedText` is the same rule as a database expression, so that records can be
grouped by it in the database and a list filtered by it."""

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Func, Q, Value
from django.db.models.functions import Cast, Concat

# Full-width ASCII (U+FF01–U+FF5E) is ASCII shifted by 0xFEE0; the ideographic space is a space.
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
HALF_WIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))
SPACES = " \t\n\r\x0b\x0c\xa0\u3000"
_TABLE = str.maketrans(FULL_WIDTH, HALF_WIDTH, SPACES)
# A key that could be another one typed differently: it holds a space or a full-width character.
ODD = f"[{SPACES}{FULL_WIDTH[0]}-{FULL_WIDTH[-1]}]"
SEPARATOR = "|"


def key_text(value: str) -> str:
    """`value` with its spaces removed and its full-width letters, digits and signs made half-width."""
    return (value or "").translate(_TABLE)


SQLITE_FUNCTION = "fazhi_key_text"


def _sqlite_key_text(value):
    return None if value is None else key_text(str(value))


def _register(connection, **kwargs):
    """Make `key_text` a function of this SQLite connection, when it is opened."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _sqlite_key_text, deterministic=True)
        connection._key_text_on = connection.connection


connection_created.connect(_register)


class NormalisedText(Func):
    """`key_text` of a text expression, in the database: PostgreSQL's translate() (characters
    beyond the target's length are deleted); SQLite calls `key_text` itself."""

    output_field = models.CharField()

    def __init__(self, expression, **extra):
        super().__init__(expression, output_field=models.CharField(), **extra)

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"NormalisedText has no SQL for {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite has no translate(): the Python rule itself, registered once on each connection
        # (as Django registers its own functions there). Registering again while a statement of
        # the connection is still being read fails ("Error creating function").
        connection.ensure_connection()
        if getattr(connection, "_key_text_on", None) is not connection.connection:
            _register(connection)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{SQLITE_FUNCTION}({sql})", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"translate({sql}, %s, %s)", [*params, FULL_WIDTH + SPACES, HALF_WIDTH]


def text_fields(ledger) -> list[str]:
    return [
        k
        for k in ledger.key
        if isinstance(ledger.model._meta.get_field(k), models.CharField | models.TextField)
    ]


def _joined(parts):
    if len(parts) == 1:
        return parts[0]
    joined = []
    for n, part in enumerate(parts):
        joined += [part] if n == 0 else [Value(SEPARATOR), part]
    return Concat(*joined, output_field=models.CharField())


def normalised_key(ledger):
    """The ledger's key as one database expression, its text parts normalised (others as they are)."""
    text = text_fields(ledger)
    return _joined(
        [NormalisedText(k) if k in text else Cast(k, output_field=models.CharField()) for k in ledger.key]
    )


def raw_key(ledger):
    """The ledger's key as one database expression, as typed."""
    text = text_fields(ledger)
    return _joined(
        [models.F(k) if k in text else Cast(k, output_field=models.CharField()) for k in ledger.key]
    )


def normalised_text_key(ledger):
    """The normalised text part of the key alone: what a user types into the list's key filter."""
    return _joined([NormalisedText(k) for k in text_fields(ledger)])


def odd_key(ledger) -> Q:
    """Records whose key holds a space or a full-width character (one of any pair that differ so)."""
    found = Q()
    for k in text_fields(ledger):
        found |= Q(**{f"{k}__regex": ODD})
    return found


def has_text_key(ledger) -> bool:
    return bool(text_fields(ledger))
