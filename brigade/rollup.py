"""Monthly rollups: every indicator of a ledger, per brigade and month, kept in the database.

Why this design (docs/figures.md has the longer account):

- **In the database, nowhere else.** A figure may not come from state that can outlive the
  records it counts. The rollups are a table next to the ledgers: a transaction that changes
  records changes their rollups' state in the same commit, a `pg_dump` holds both at the same
  instant and a restore brings both back together, and another `DATABASE_URL` has its own.
- **Marked stale by the database itself, in the writer's transaction.** A trigger on every
  ledger table (installed after each `migrate` from the ledger declarations) bumps the `dirty`
  counter of each (brigade, ledger, month) bucket a statement touches, old and new month alike.
  It fires for every path that writes: forms, the importer's bulk SQL, the admin, a restore of a
  record, raw SQL. Reference lists the indicators look through (违法行为 → 统计分组) have a
  trigger that marks every bucket of the ledgers that depend on them.
- **Recounted on read, one month at a time.** A reader takes a bucket whose `computed` equals its
  `dirty` (and whose `signature` matches today's indicator declarations) as it is. Any other
  bucket is counted again, that brigade and month alone, and stored back only if `dirty` has not
  moved meanwhile (`UPDATE … WHERE dirty = <what the reader saw>`). Commit order cannot fool it:
  a writer that commits after the reader's count has bumped `dirty` (or holds the row lock, and
  then the reader gives up storing after a short wait), so the stored value never claims to be
  current when it is not. The reader always answers with what it counted.
- **Days inside the month.** A bucket keeps each indicator's daily values as well, so a period
  that ends inside a month (the year so far, and the same days a year earlier) is answered from
  the bucket too.

So a change costs its own brigade one month's recount, and other brigades nothing."""

import datetime
import hashlib
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal
from json import dumps

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Count, DateTimeField, DecimalField, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from brigade.ledger import registry as ledgers
from brigade.models import Brigade, MonthlyRollup

TABLE = MonthlyRollup._meta.db_table
RECORDS = "records"  # the bucket's number of records, whatever the indicators count
WAIT_MS = 100  # how long a reader waits for a writer's lock before it leaves a bucket unstored


# ── which tables, which dates ─────────────────────────────────────────────────────────────────


def tracked_models() -> list[type]:
    """Every ledger that places its records in time."""
    return [lg.model for lg in ledgers.all() if lg.date_field]


def label(model) -> str:
    return model._meta.label_lower


def date_field(model):
    return model._meta.get_field(ledgers.for_model(model).date_field)


def range_q(model, start: datetime.date, end: datetime.date) -> Q:
    """[start, end) in local dates as a condition on the model's date field."""
    field = date_field(model)
    if isinstance(field, DateTimeField):
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)
        end = datetime.datetime.combine(end, datetime.time(), tzinfo=tz)
    return Q(**{f"{field.name}__gte": start, f"{field.name}__lt": end})


def _next_month(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def dependencies(model, indicators) -> set[type]:
    """The reference lists the indicators' conditions look through (violation_type__group)."""
    found = set()

    def walk(q):
        for child in q.children:
            if isinstance(child, Q):
                walk(child)
                continue
            path = child[0].split("__")
            current = model
            for part in path[:-1]:
                try:
                    field = current._meta.get_field(part)
                except Exception:  # noqa: BLE001 — a lookup such as __in, not a field
                    break
                if not field.is_relation:
                    break
                current = field.related_model
                if current is not Brigade:
                    found.add(current)

    for indicator in indicators:
        walk(indicator.where)
    return found


# ── the triggers ──────────────────────────────────────────────────────────────────────────────


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _inline(sql: str, params) -> str:
    return sql % tuple(_literal(p) for p in params)


def _month_sql(model, row: str) -> str:
    """SQL for the first day of the local month of `row`'s date: Django's own SQL for a local
    date (TruncDate), so triggers and recounts place a record in the same month."""
    field = date_field(model)
    column = f"{row}.{connection.ops.quote_name(field.column)}"
    if isinstance(field, DateTimeField):
        day = _inline(
            *connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
        )
    else:
        day = column
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {day})::date"
    return f"substr({day}, 1, 8) || '01'"


def _trigger_sql(models, indicators_by_model) -> list[str]:
    q = connection.ops.quote_name
    statements = []
    upsert = (
        f"INSERT INTO {q(TABLE)} (brigade_id, ledger, month, dirty, signature) {{rows}} "
        f"ON CONFLICT (brigade_id, ledger, month) DO UPDATE SET dirty = {q(TABLE)}.dirty + 1"
    )
    for model in models:
        table, name = model._meta.db_table, label(model)
        date_col = q(date_field(model).column)
        if connection.vendor == "postgresql":
            sources = {
                "insert": "SELECT brigade_id, {d} FROM new_rows",
                "update": "SELECT brigade_id, {d} FROM old_rows UNION SELECT brigade_id, {d} FROM new_rows",
                "delete": "SELECT brigade_id, {d} FROM old_rows",
            }
            for event, source in sources.items():
                function = f"rollup_mark_{table}_{event}"[:63]
                rows = (
                    f"SELECT DISTINCT r.brigade_id, {_literal(name)}, {_month_sql(model, 'r')}, 1, '' "
                    f"FROM ({source.format(d=date_col)}) AS r WHERE r.{date_col} IS NOT NULL ORDER BY 1, 3"
                )
                statements += [
                    f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {upsert.format(rows=rows)}; RETURN NULL; END $$",
                    f"DROP TRIGGER IF EXISTS rollup_{event} ON {q(table)}",
                    f"CREATE TRIGGER rollup_{event} AFTER {event.upper()} ON {q(table)} "
                    f"REFERENCING {'OLD' if event == 'delete' else 'NEW'} TABLE AS "
                    f"{'old_rows' if event == 'delete' else 'new_rows'}"
                    f"{' OLD TABLE AS old_rows' if event == 'update' else ''} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
                ]
        else:  # SQLite: row triggers
            for event, rows in {"insert": ["NEW"], "update": ["OLD", "NEW"], "delete": ["OLD"]}.items():
                body = "".join(
                    upsert.format(
                        rows=f"SELECT {row}.brigade_id, {_literal(name)}, {_month_sql(model, row)}, 1, '' "
                        f"WHERE {row}.{date_col} IS NOT NULL"
                    )
                    + "; "
                    for row in rows
                )
                statements += [
                    f"DROP TRIGGER IF EXISTS rollup_{table}_{event}",
                    f"CREATE TRIGGER rollup_{table}_{event} AFTER {event.upper()} ON {q(table)} "
                    f"BEGIN {body}END",
                ]
    # Reference lists: a renamed or regrouped 违法行为 changes the figures of every brigade.
    dependants = defaultdict(set)
    for model in models:
        for reference in dependencies(model, indicators_by_model.get(model, [])):
            dependants[reference].add(label(model))
    for reference, names in dependants.items():
        table = reference._meta.db_table
        mark = (
            f"UPDATE {q(TABLE)} SET dirty = dirty + 1 "
            f"WHERE ledger IN ({', '.join(_literal(n) for n in sorted(names))})"
        )
        if connection.vendor == "postgresql":
            function = f"rollup_mark_{table}_ref"[:63]
            statements += [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {mark}; RETURN NULL; END $$",
                f"DROP TRIGGER IF EXISTS rollup_reference ON {q(table)}",
                f"CREATE TRIGGER rollup_reference AFTER UPDATE OR DELETE ON {q(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        else:
            for event in ("update", "delete"):
                statements += [
                    f"DROP TRIGGER IF EXISTS rollup_{table}_{event}",
                    f"CREATE TRIGGER rollup_{table}_{event} AFTER {event.upper()} ON {q(table)} BEGIN {mark}; END",
                ]
    return statements


def install_triggers(*, using="default", **_kwargs):
    """(Re)create the triggers from the ledger declarations: run after every `migrate` (and a
    test database's flush), so a new ledger is tracked without a migration of its own."""
    from brigade.figures import indicators_of  # the declarations, once the apps are loaded

    if using != "default" or TABLE not in connection.introspection.table_names():
        return
    models = tracked_models()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _trigger_sql(models, {m: indicators_of(m) for m in models}):
            cursor.execute(sql)


# ── reading, and recounting what is stale ────────────────────────────────────────────────────


def signature(model, indicators) -> str:
    text = repr(
        [settings.TIME_ZONE, date_field(model).name]
        + [RECORDS]
        + [(i.key, i.aggregate, str(i.where)) for i in indicators]
    )
    return hashlib.sha1(text.encode()).hexdigest()


def _decoder(model, indicator):
    if indicator.aggregate != "count" and isinstance(
        model._meta.get_field(indicator.aggregate), DecimalField
    ):
        return Decimal
    return int


def _encode(value):
    return str(value) if isinstance(value, Decimal) else value


class Bucket:
    """One brigade's month of one ledger: totals and, when asked for, daily values."""

    __slots__ = ("brigade_id", "month", "totals", "daily")

    def __init__(self, brigade_id, month, totals, daily):
        self.brigade_id, self.month, self.totals, self.daily = brigade_id, month, totals, daily

    def value(self, key, days: range | None = None):
        if days is None:
            return self.totals.get(key, 0)
        by_day = self.daily.get(key, {})
        return sum((by_day.get(d, 0) for d in days), start=0)


def read(*, indicators_by_model, brigade_ids, months, daily_months=()) -> dict:
    """model → [Bucket] for every brigade in `brigade_ids` and every month in `months` (first
    days), with daily values for the months in `daily_months`. Fresh buckets are read as they
    are (two queries for all ledgers); stale or missing ones are counted again, one aggregate
    query per ledger with stale buckets, and stored back when no writer intervened."""
    brigade_ids, months = sorted(set(brigade_ids)), sorted(set(months))
    daily_months = set(daily_months)
    result = {model: [] for model in indicators_by_model}
    if not brigade_ids or not months:
        return result
    signatures = {label(m): signature(m, inds) for m, inds in indicators_by_model.items()}
    by_label = {label(m): m for m in indicators_by_model}
    base = MonthlyRollup.objects.filter(ledger__in=list(by_label), brigade_id__in=brigade_ids)
    fields = ["id", "brigade_id", "ledger", "month", "dirty", "computed", "signature", "totals"]
    rows = list(base.filter(month__in=[m for m in months if m not in daily_months]).values(*fields))
    if daily_months:
        rows += base.filter(month__in=sorted(daily_months)).values(*fields, "daily")
    seen = {}
    for row in rows:
        seen[(row["ledger"], row["brigade_id"], row["month"])] = row
    stale = defaultdict(dict)  # model → {(brigade, month): dirty seen, or None when missing}
    for name, model in by_label.items():
        decoders = {RECORDS: int, **{i.key: _decoder(model, i) for i in indicators_by_model[model]}}
        for b in brigade_ids:
            for month in months:
                row = seen.get((name, b, month))
                fresh = row and row["computed"] == row["dirty"] and row["signature"] == signatures[name]
                if not fresh:
                    stale[model][(b, month)] = row and (row["id"], row["dirty"])
                    continue
                totals = {k: decoders[k](v) for k, v in row["totals"].items()}
                daily = None
                if month in daily_months:
                    daily = {
                        k: {int(d): decoders[k](v) for d, v in days.items()}
                        for k, days in row["daily"].items()
                    }
                result[model].append(Bucket(b, month, totals, daily))
    missing, present = [], []
    for model, wanted in stale.items():
        counted = _count(model, indicators_by_model[model], set(wanted))
        sig = signatures[label(model)]
        for (b, month), (totals, daily) in counted.items():
            result[model].append(Bucket(b, month, totals, daily if month in daily_months else None))
            encoded = (
                {k: _encode(v) for k, v in totals.items()},
                {k: {str(d): _encode(v) for d, v in days.items()} for k, days in daily.items()},
            )
            seen = wanted[(b, month)]
            if seen is None:
                missing.append(MonthlyRollup(
                    brigade_id=b, ledger=label(model), month=month, dirty=0, computed=0, signature=sig,
                    totals=encoded[0], daily=encoded[1],
                ))  # fmt: skip
            else:
                present.append((seen, sig, encoded))
    if missing or present:
        _store(missing, present)
    return result


def _ranges(months):
    """Consecutive months merged into [start, end) date ranges."""
    ranges = []
    for month in sorted(months):
        if ranges and ranges[-1][1] == month:
            ranges[-1][1] = _next_month(month)
        else:
            ranges.append([month, _next_month(month)])
    return ranges


def _count(model, indicators, buckets) -> dict:
    """(brigade, month) → (totals, daily) counted from the records: one query, by day."""
    months_of = defaultdict(set)
    for b, month in buckets:
        months_of[b].add(month)
    groups = defaultdict(list)
    for b, ms in months_of.items():
        groups[frozenset(ms)].append(b)
    condition = Q()
    for ms, bs in groups.items():
        when = Q()
        for start, end in _ranges(ms):
            when |= range_q(model, start, end)
        condition |= Q(brigade_id__in=bs) & when
    field = date_field(model)
    day = TruncDate(field.name) if isinstance(field, DateTimeField) else F(field.name)
    query = (
        model._default_manager.filter(condition)
        .annotate(day=day)
        .values("brigade_id", "day")
        .annotate(**{f"v{n}": i.expression(Q()) for n, i in enumerate(indicators)}, records=Count("pk"))
        .order_by()
    )
    counted = {
        bucket: ({RECORDS: 0, **{i.key: 0 for i in indicators}}, {i.key: {} for i in indicators})
        for bucket in buckets
    }
    for row in query:
        day_value = row["day"]
        bucket = counted.get((row["brigade_id"], day_value.replace(day=1)))
        if bucket is None:
            continue
        totals, daily = bucket
        totals[RECORDS] += row["records"]
        for n, indicator in enumerate(indicators):
            value = row[f"v{n}"] or 0
            if value:
                totals[indicator.key] += value
                daily[indicator.key][day_value.day] = value
    return counted


def _store(missing, present):
    """Store what was counted, each bucket only if no writer has marked it since it was read.
    A writer holding a bucket's lock is waited for briefly; after that the bucket stays stale
    (the next reader counts it) rather than the page waiting for an import to finish."""
    try:
        with transaction.atomic(), connection.cursor() as cursor, _brief_waits(cursor):
            if missing:
                MonthlyRollup.objects.bulk_create(missing, ignore_conflicts=True, batch_size=500)
            for start in range(0, len(present), 500):
                _update(cursor, present[start : start + 500])
    except OperationalError:
        pass  # a writer holds the lock: the values stay unstored, the answer is still exact


def _update(cursor, batch):
    """One statement for a batch: each bucket takes its values only if `dirty` is still what
    the reader saw when it counted."""
    q = connection.ops.quote_name
    json = "::jsonb" if connection.vendor == "postgresql" else ""
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
    params = []
    for (pk, dirty), sig, (totals, daily) in batch:
        params += [pk, dirty, sig, dumps(totals), dumps(daily)]
    cursor.execute(
        f"WITH v(id, dirty, sig, totals, daily) AS (VALUES {rows}) "
        f"UPDATE {q(TABLE)} SET computed = v.dirty, signature = v.sig, totals = v.totals{json}, "
        f"daily = v.daily{json} FROM v WHERE {q(TABLE)}.id = v.id AND {q(TABLE)}.dirty = v.dirty",
        params,
    )


@contextmanager
def _brief_waits(cursor):
    """Lock waits of at most WAIT_MS inside the block (PostgreSQL: this transaction only)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL lock_timeout = '{WAIT_MS}ms'")
        yield  # on a timeout the savepoint's rollback undoes the SET LOCAL too
        cursor.execute("SET LOCAL lock_timeout = DEFAULT")
        return
    cursor.execute("PRAGMA busy_timeout")
    previous = cursor.fetchone()[0]
    cursor.execute(f"PRAGMA busy_timeout = {WAIT_MS}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")
