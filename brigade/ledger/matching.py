"""Matching a file's rows to the records the brigade already has, by the ledger's key (or, for a
keyless ledger, by all its values): new, changed or unchanged (docs/imports.md).

Keys are compared as `keys.key_text` makes them (spaces removed, full-width made half-width), the
one rule the forms and the list's filter use too: a file's 「公交决字 2026 001」 is the record
「公交决字2026001」. A record saved before that rule, whose key still holds a space or a
full-width character, is found through its normalised key all the same.

The matching runs outside any write transaction; what each row was matched against is kept
(`seen`: the record's id and version, its `updated_at`, which every write of a record changes, as
the forms' own check uses it), so that the write can check, under the write lock, that none of it
changed meanwhile (`Existing.unchanged_since`): 30,000 keys in about 0.3 s on SQLite."""

import datetime

from django.db import connection
from django.db.models import DateTimeField, Field, Lookup, Max, Value
from django.utils.dateparse import parse_datetime

from brigade.ledger import Ledger, keys

LOOKUP_BATCH = 10_000  # keys per query (SQLite takes 32,766 parameters)


class Existing:
    """What the brigade already has, to tell new rows from updates and unchanged ones.

    With a single-field key, existing records are looked up per chunk (one indexed query);
    otherwise (composite keys, keyless ledgers — all small) they are loaded once. Records whose
    key holds a space or a full-width character (saved before keys were normalised) are loaded
    once and found by their normalised key when no record has it as typed.

    `versions`: read each record's version too, for the write to check that it is unchanged
    (`unchanged_since`); a preview, or a check inside the write transaction, has no use for it
    (a tenth of a 100,000-row preview's time went to reading them)."""

    def __init__(self, ledger: Ledger, brigade, columns, versions: bool = True):
        self.model = ledger.model
        self.brigade = brigade
        self.attnames = [c.attname for c in columns]
        self.key_idx = [self.attnames.index(ledger.model._meta.get_field(k).attname) for k in ledger.key]
        text = set(keys.text_fields(ledger))
        # positions (in the key) of its text parts: those are normalised
        self.text_parts = [n for n, k in enumerate(ledger.key) if k in text]
        self.key_optional = ledger.key_optional
        self.versions = versions
        # key → (pk, hash of values, its date as saved, version or None, values)
        self.by_key: dict[tuple, tuple] = {}
        self.date_index = next((n for n, c in enumerate(columns) if c.name == ledger.date_field), None)
        self.by_hash: set[int] = set()  # keyless records, by the hash of all their values
        self.per_chunk = len(self.key_idx) == 1
        self.odd_q = keys.odd_key(ledger) if self.text_parts else None
        self.odd: dict[tuple, tuple] = {}  # normalised key → a record whose key is typed otherwise
        self.ledger = ledger
        qs = self._records()
        # Only records that existed before this import can match a row: rows written by earlier
        # chunks have other keys (a key used twice in one file is an error). None at all: no lookups.
        self.last_pk = qs.aggregate(last=Max("pk"))["last"]
        if self.last_pk is not None:
            self._load_whole(self)

    def _records(self):
        return self.model._default_manager.filter(brigade=self.brigade)

    def _load_whole(self, into) -> None:
        """Load what is loaded once per file into `into` (self, or a fresh Existing-like holder)."""
        qs = self._records()
        if not self.per_chunk:
            self._load(qs, into)
            return
        if self.key_optional:
            # Records without the optional key are matched on all their values, like a keyless ledger.
            self._load(qs.filter(**{self.attnames[self.key_idx[0]]: ""}), into)
        if self.odd_q is not None:
            self._load(qs.filter(self.odd_q), into, odd=True)

    def normalise(self, values) -> None:
        """Make the key's text parts of a file's row (in place) as the rule writes them."""
        for part in self.text_parts:
            i = self.key_idx[part]
            if isinstance(values[i], str):
                values[i] = keys.key_text(values[i])

    def keys_of(self, rows) -> list[tuple | None]:
        """Each of a file's rows' key, its text parts first made (in place) as the rule writes
        them: `normalise` then `key_of`, in one pass for the usual one-field text key."""
        if not (self.per_chunk and self.text_parts):
            for values in rows:
                self.normalise(values)
            return [self.key_of(values) for values in rows]
        i, optional, key_text = self.key_idx[0], self.key_optional, keys.key_text
        found = []
        for values in rows:
            value = values[i]
            if isinstance(value, str):
                value = values[i] = key_text(value)
            found.append(None if optional and (value is None or value == "") else (value or "",))
        return found

    def key_of(self, values) -> tuple | None:
        if not self.key_idx:
            return None
        if self.per_chunk:  # one field, the usual key: no tuples built and scanned
            value = values[self.key_idx[0]]
            if self.key_optional and (value is None or value == ""):
                return None
            return (keys.key_text(value),) if self.text_parts else (value,)
        key = tuple(values[i] for i in self.key_idx)
        if self.key_optional and all(k in (None, "") for k in key):
            return None
        if self.text_parts:
            key = tuple(keys.key_text(k) if n in self.text_parts else k for n, k in enumerate(key))
        return key

    def _exact(self, values) -> bool:
        return all(keys.key_text(values[self.key_idx[n]]) == values[self.key_idx[n]] for n in self.text_parts)

    def _load(self, qs, into, stream=True, odd=False):
        if self.versions:
            rows = qs.values_list("pk", "updated_at", *self.attnames)
        else:
            rows = qs.values_list("pk", Value(None, output_field=DateTimeField()), *self.attnames)
        for pk, version, *values in rows.iterator(chunk_size=5000) if stream else rows:
            key = self.key_of(values)
            if key is None:
                into.by_hash.add(hash(tuple(values)))
                continue
            date = values[self.date_index] if self.date_index is not None else None
            entry = (pk, hash(tuple(values)), date, version, values)
            target = into.odd if odd else into.by_key
            # Two legacy records one key apart in spelling: the one typed as the rule writes it wins.
            if key not in target or self._exact(values):
                target[key] = entry

    def find(self, key) -> tuple | None:
        """The record a row with `key` matches: (pk, hash of its values, its date), or None."""
        found = self.by_key.get(key)
        return found if found is not None else self.odd.get(key)

    def prefetch(self, wanted):
        if self.per_chunk and wanted and self.last_pk is not None:
            self.by_key.clear()  # the keyless and the odd records stay for the whole file
            self._fetch(wanted, self, self.last_pk)

    def _fetch(self, wanted, into, last_pk=None, versions_only=False):
        field = self.attnames[self.key_idx[0]]
        # `= ANY(array)` sends one parameter where `IN (…)` would send thousands.
        lookup = "any_of" if connection.vendor == "postgresql" else "in"
        wanted = [k[0] for k in wanted]
        for start in range(0, len(wanted), LOOKUP_BATCH):
            qs = self._records().filter(**{f"{field}__{lookup}": wanted[start : start + LOOKUP_BATCH]})
            if last_pk is not None:
                qs = qs.filter(pk__lte=last_pk)
            if versions_only:
                self._versions(wanted[start : start + LOOKUP_BATCH], into)
            else:
                self._load(qs, into, stream=False)

    def _versions(self, wanted, into):
        """The id and version of the brigade's records with these keys, in plain SQL: the ORM
        took 2 s to build and read 30,000 of them on SQLite, under the write lock; this 0.2 s."""
        q, meta = connection.ops.quote_name, self.model._meta
        column = q(meta.get_field(self.attnames[self.key_idx[0]]).column)
        if connection.vendor == "postgresql":
            where, params = f"{column} = ANY(%s)", [list(wanted)]
        else:
            where, params = f"{column} IN ({', '.join(['%s'] * len(wanted))})", list(wanted)
        sql = (
            f"SELECT {q(meta.pk.column)}, {q(meta.get_field('updated_at').column)}, {column} "
            f"FROM {q(meta.db_table)} WHERE {q(meta.get_field('brigade').column)} = %s AND {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.brigade.pk, *params])
            for pk, version, key in cursor.fetchall():
                # looked up by the key as the rule writes it: that is their key
                into.by_key[(key,)] = (pk, None, None, version)

    def unchanged_since(self, seen_keys: dict, seen_hashes: dict) -> bool:
        """Whether every record the rows were matched against is still as it was, no record has
        since taken a key the rows would create, and no keyless record has come or gone that a
        row was matched against (`seen_keys`: key → `seen(found)`; `seen_hashes`: hash →
        present). Read inside the write's transaction, once its lock is held."""
        now = _Holder()
        self._load_whole(now)
        if self.per_chunk and seen_keys:
            self._fetch(list(seen_keys), now, versions_only=True)
        for key, was in seen_keys.items():
            if seen(now.by_key.get(key) or now.odd.get(key)) != was:
                return False
        return all((h in now.by_hash) == present for h, present in seen_hashes.items())


def seen(found) -> tuple | None:
    """What a row was matched against, as `unchanged_since` compares it: the record's id and
    version, or None (no record had the key)."""
    if found is None:
        return None
    version = found[3]
    if isinstance(version, str):  # read in plain SQL, as SQLite stores it: UTC
        version = parse_datetime(version)
    if version is not None and version.tzinfo is None:
        version = version.replace(tzinfo=datetime.UTC)
    return found[0], version


class _Holder:
    def __init__(self):
        self.by_key, self.odd, self.by_hash = {}, {}, set()


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
