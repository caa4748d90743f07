"""Matching a file's rows to the records the brigade already has, by the ledger's key (or, for a
keyless ledger, by all its values): new, changed or unchanged (docs/imports.md)."""

from django.db import connection
from django.db.models import Field, Lookup, Max

from brigade.ledger import Ledger


class Existing:
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
