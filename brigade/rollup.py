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
from django.db.models import Case, Count, DateTimeField, DecimalField, F, JSONField, Q, When
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


def _day_sql(model, row: str) -> str:
    """SQL for the local date of `row`'s record: Django's own SQL for a local date (TruncDate),
    so triggers and recounts place a record on the same day."""
    field = date_field(model)
    column = f"{row}.{connection.ops.quote_name(field.column)}"
    if isinstance(field, DateTimeField):
        return _inline(
            *connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
        )
    return column


def _trigger_sql(models, indicators_by_model) -> list[str]:
    q = connection.ops.quote_name
    statements = []
    upsert = (
        f"INSERT INTO {q(TABLE)} (brigade_id, ledger, month, dirty, dirty_days, signature) {{rows}} "
        f"ON CONFLICT (brigade_id, ledger, month) DO UPDATE SET dirty = {q(TABLE)}.dirty + 1, "
        f"dirty_days = {q(TABLE)}.dirty_days | excluded.dirty_days"
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
            day = _day_sql(model, "s")
            for event, source in sources.items():
                function = f"rollup_mark_{table}_{event}"[:63]
                rows = (
                    f"SELECT r.brigade_id, {_literal(name)}, r.month, 1, "
                    f"bit_or(1::bigint << extract(day FROM r.day)::int), '' FROM ("
                    f"SELECT s.brigade_id, {day} AS day, date_trunc('month', {day})::date AS month "
                    f"FROM ({source.format(d=date_col)}) AS s WHERE s.{date_col} IS NOT NULL) AS r "
                    f"GROUP BY r.brigade_id, r.month ORDER BY 1, 3"
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
                body = ""
                for row in rows:
                    day = _day_sql(model, row)
                    body += (
                        upsert.format(
                            rows=f"SELECT {row}.brigade_id, {_literal(name)}, substr({day}, 1, 8) || '01', 1, "
                            f"1 << CAST(substr({day}, 9, 2) AS INTEGER), '' WHERE {row}.{date_col} IS NOT NULL"
                        )
                        + "; "
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
            f"UPDATE {q(TABLE)} SET dirty = dirty + 1, computed = NULL "
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
    are (two queries for all ledgers). A stale bucket is counted again for the days writers have
    marked since it was stored (the whole month when it was never stored): one aggregate query
    per ledger with stale buckets; the result is stored back when no writer intervened."""
    brigade_ids, months = sorted(set(brigade_ids)), sorted(set(months))
    daily_months = set(daily_months)
    result = {model: [] for model in indicators_by_model}
    if not brigade_ids or not months:
        return result
    signatures = {label(m): signature(m, inds) for m, inds in indicators_by_model.items()}
    by_label = {label(m): m for m in indicators_by_model}
    base = MonthlyRollup.objects.filter(ledger__in=list(by_label), brigade_id__in=brigade_ids)
    fields = ["id", "brigade_id", "ledger", "month", "dirty", "dirty_days", "computed", "signature", "totals"]
    # A stale bucket's stored days come in the same statement as the marks on it (one snapshot).
    base = base.annotate(
        stale_daily=Case(
            When(~Q(computed=F("dirty")), then=F("daily")), default=None, output_field=JSONField()
        )
    )
    fields.append("stale_daily")
    rows = list(base.filter(month__in=[m for m in months if m not in daily_months]).values(*fields))
    if daily_months:
        rows += base.filter(month__in=sorted(daily_months)).values(*fields, "daily")
    seen = {(row["ledger"], row["brigade_id"], row["month"]): row for row in rows}
    stale = defaultdict(dict)  # model → {(brigade, month): the row as read, or None when missing}
    for name, model in by_label.items():
        decode = _decoders(model, indicators_by_model[model])
        for b in brigade_ids:
            for month in months:
                row = seen.get((name, b, month))
                if not row or row["computed"] != row["dirty"] or row["signature"] != signatures[name]:
                    stale[model][(b, month)] = row
                    continue
                totals = {k: decode[k](v) for k, v in row["totals"].items()}
                daily = _decode_daily(decode, row["daily"]) if month in daily_months else None
                result[model].append(Bucket(b, month, totals, daily))
    if not stale:
        return result

    # What was stored before the writers came stays good for the days they did not mark.
    earlier = {
        row["id"]: row["stale_daily"]
        for model, rows_of in stale.items()
        for row in rows_of.values()
        if row and row["computed"] is not None and row["stale_daily"] is not None
        and row["signature"] == signatures[label(model)]
    }  # fmt: skip
    missing, present = [], []
    for model, rows_of in stale.items():
        decode = _decoders(model, indicators_by_model[model])
        days_of = {}
        for bucket, row in rows_of.items():
            if row and row["id"] in earlier:
                days_of[bucket] = {d for d in range(1, 32) if row["dirty_days"] >> d & 1}
            else:
                days_of[bucket] = None  # the whole month
        counted = _count(model, indicators_by_model[model], days_of)
        sig = signatures[label(model)]
        for (b, month), days in days_of.items():
            daily = counted[(b, month)]
            if days is not None:  # merge the recounted days into what was stored
                kept = _decode_daily(decode, earlier[rows_of[(b, month)]["id"]])
                for key in decode:
                    merged = {d: v for d, v in kept.get(key, {}).items() if d not in days}
                    merged.update(daily.get(key, {}))
                    daily[key] = merged
            totals = {key: sum(daily.get(key, {}).values(), start=0) for key in decode}
            result[model].append(Bucket(b, month, totals, daily if month in daily_months else None))
            encoded = (
                {k: _encode(v) for k, v in totals.items()},
                {k: {str(d): _encode(v) for d, v in values.items()} for k, values in daily.items() if values},
            )
            row = rows_of[(b, month)]
            if row is None:
                missing.append(MonthlyRollup(
                    brigade_id=b, ledger=label(model), month=month, dirty=0, computed=0, signature=sig,
                    totals=encoded[0], daily=encoded[1],
                ))  # fmt: skip
            else:
                present.append(((row["id"], row["dirty"]), sig, encoded))
    _store(missing, present)
    return result


def count_records(*, model, brigade_ids, start: datetime.date, end: datetime.date) -> int:
    """How many records of `model` the brigades hold dated in [start, end), from the rollups."""
    from brigade.figures import indicators_of, month_split

    whole, parts = month_split(start, end)
    buckets = read(
        indicators_by_model={model: indicators_of(model)}, brigade_ids=brigade_ids,
        months=whole + list(parts), daily_months=list(parts),
    )[model]  # fmt: skip
    return sum(bucket.value(RECORDS, parts.get(bucket.month)) for bucket in buckets)


def _decoders(model, indicators) -> dict:
    return {RECORDS: int, **{i.key: _decoder(model, i) for i in indicators}}


def _decode_daily(decode, daily) -> dict:
    return {
        k: {int(d): decode[k](v) for d, v in days.items()} for k, days in (daily or {}).items() if k in decode
    }


def _spans(month, days) -> list:
    """The days of `month` to count as [start, end) ranges: the whole month for None."""
    if days is None:
        return [(month, _next_month(month))]
    spans = []
    for day in sorted(days):
        try:
            date = month.replace(day=day)
        except ValueError:  # 30 February: no such day
            continue
        if spans and spans[-1][1] == date:
            spans[-1][1] = date + datetime.timedelta(days=1)
        else:
            spans.append([date, date + datetime.timedelta(days=1)])
    return [tuple(span) for span in spans]


def _count(model, indicators, days_of) -> dict:
    """(brigade, month) → {key: {day: value}} counted from the records, for the given days of
    each bucket (None: the whole month). One query, grouped by brigade and day."""
    spans_of = defaultdict(list)  # brigade → [(start, end)]
    for (b, month), days in days_of.items():
        spans_of[b] += _spans(month, days)
    groups = defaultdict(list)  # identical spans → brigades (a detachment's cold start is one term)
    for b, spans in spans_of.items():
        groups[tuple(_merge(spans))].append(b)
    condition = Q(pk__in=[])
    for spans, bs in groups.items():
        when = Q(pk__in=[])
        for start, end in spans:
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
    counted = {bucket: {} for bucket in days_of}
    for row in query:
        day_value = row["day"]
        daily = counted.get((row["brigade_id"], day_value.replace(day=1)))
        if daily is None:
            continue
        daily.setdefault(RECORDS, {})[day_value.day] = row["records"]
        for n, indicator in enumerate(indicators):
            value = row[f"v{n}"]
            if value:
                daily.setdefault(indicator.key, {})[day_value.day] = value
    return counted


def _merge(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and merged[-1][1] >= start:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(span) for span in merged]


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
        f"UPDATE {q(TABLE)} SET computed = v.dirty, dirty_days = 0, signature = v.sig, totals = v.totals{json}, "
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
