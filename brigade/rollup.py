"""Monthly rollups: every indicator of a ledger, per brigade and month, kept in the database.

Why this design (docs/figures.md has the longer account):

- **In the database, nowhere else.** A figure may not come from state that can outlive the
  records it counts. The rollups are a table next to the ledgers: a `pg_dump` holds both at the
  same instant and a restore brings both back together; another `DATABASE_URL` has its own.
- **Writers leave marks, and never wait.** A trigger on every ledger table (installed after each
  `migrate` from the ledger declarations) appends a `RollupMark` (brigade, ledger, month, day)
  for each day a statement touches, old and new day alike, in the writer's own transaction. It
  fires for every path that writes: forms, the importer's bulk SQL, the admin, a restore, raw
  SQL (on SQLite too: the trigger is plain SQL). Appending takes no lock another writer could
  hold, so the rollups add no waits and no deadlocks to writing. TRUNCATE drops the ledger's
  rollups.
- **Readers recount the marked days.** One statement reads the buckets together with the marks
  on them (one snapshot). A bucket with no mark, stored for today's declarations (`signature`:
  the indicators and the reference lists they look through, such as 违法行为 → 统计分组), is
  read as it is. Otherwise the marked days are counted again (a bucket never stored: the whole
  month) and merged with the stored days. The result is stored back, and the marks it accounts
  for deleted, only if no other reader stored the bucket meanwhile (`version`), taking bucket
  locks with SKIP LOCKED so that readers never wait for each other either. A mark committed
  after the read is not deleted: commit order cannot make a stored value claim to be current.
- **Days inside the month.** A bucket keeps its indicators' daily values too, so a period that
  ends inside a month (the year so far, and the same days a year earlier) is read from it.

So a change costs its own brigade a recount of the days it touched, and other brigades nothing."""

import datetime
import hashlib
import json
import zoneinfo
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Count, DateField, DateTimeField, DecimalField, F, Func, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from brigade.ledger import registry as ledgers
from brigade.models import Brigade, MonthlyRollup, RollupMark

TABLE = MonthlyRollup._meta.db_table
MARKS = RollupMark._meta.db_table
RECORDS = "records"  # the bucket's number of records, whatever the indicators count
WAIT_MS = 100  # how long a reader waits for another reader's insert before leaving a bucket unstored


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


def sql_literal(value: str) -> str:
    """A text as an SQL string literal, for trigger bodies (which take no parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def _inline(sql: str, params) -> str:
    return sql % tuple(sql_literal(p) for p in params)


def _utc_offsets_minutes() -> list[int]:
    """The least and the greatest UTC offset the zone has had (Asia/Shanghai: +8, and +9 in the
    summers of 1986–1991), whole minutes rounded outwards."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    moment, end, seen = datetime.datetime(1900, 1, 1), datetime.datetime(2100, 1, 1), set()
    while moment < end:
        seen.add(moment.replace(tzinfo=datetime.UTC).astimezone(zone).utcoffset().total_seconds())
        moment += datetime.timedelta(days=7)
    low, high = min(seen), max(seen)
    return sorted({int(low // 60), -int(-high // 60)})


def _mark_sql(model, events) -> list[str]:
    """Statements that (re)create the model's triggers appending marks."""
    q = connection.ops.quote_name
    table, name = model._meta.db_table, label(model)
    field = date_field(model)
    column = q(field.column)
    insert = f"INSERT INTO {q(MARKS)} (brigade_id, ledger, month, day) "
    statements = []
    if connection.vendor == "postgresql":
        if isinstance(field, DateTimeField):
            day = _inline(*connection.ops.datetime_cast_date_sql(f"s.{column}", (), settings.TIME_ZONE))
        else:
            day = f"s.{column}"
        sources = {
            "insert": "SELECT brigade_id, {c} FROM new_rows",
            "update": "SELECT brigade_id, {c} FROM old_rows UNION SELECT brigade_id, {c} FROM new_rows",
            "delete": "SELECT brigade_id, {c} FROM old_rows",
        }
        for event in events:
            function = f"rollup_mark_{table}_{event}"[:63]
            body = (
                f"{insert}SELECT DISTINCT t.brigade_id, {sql_literal(name)}, date_trunc('month', t.d)::date, "
                f"extract(day FROM t.d)::int FROM (SELECT s.brigade_id, {day} AS d FROM "
                f"({sources[event].format(c=column)}) AS s WHERE s.{column} IS NOT NULL) AS t"
            )
            transition = {
                "insert": "NEW TABLE AS new_rows",
                "delete": "OLD TABLE AS old_rows",
                "update": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
            }[event]
            statements += [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN NULL; END $$",
                f"DROP TRIGGER IF EXISTS rollup_{event} ON {q(table)}",
                f"CREATE TRIGGER rollup_{event} AFTER {event.upper()} ON {q(table)} "
                f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        function = f"rollup_mark_{table}_truncate"[:63]
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"DELETE FROM {q(TABLE)} WHERE ledger = {sql_literal(name)}; "
            f"DELETE FROM {q(MARKS)} WHERE ledger = {sql_literal(name)}; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS rollup_truncate ON {q(table)}",
            f"CREATE TRIGGER rollup_truncate AFTER TRUNCATE ON {q(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
        return statements
    # SQLite: row triggers in plain SQL, so that writes from outside Django (the sqlite3 shell)
    # leave marks too. A stored date-time is UTC text; its local day is marked at the zone's
    # least and greatest offset, which covers the true day whatever summer time there was.
    for event in events:
        rows = {"insert": ["NEW"], "update": ["OLD", "NEW"], "delete": ["OLD"]}[event]
        body = ""
        for row in rows:
            if isinstance(field, DateTimeField):
                days = " UNION ".join(
                    f"SELECT date({row}.{column}, '{minutes:+d} minutes') AS d"
                    for minutes in _utc_offsets_minutes()
                )
            else:
                days = f"SELECT {row}.{column} AS d"
            body += (
                f"{insert}SELECT {row}.brigade_id, {sql_literal(name)}, substr(d, 1, 8) || '01', "
                f"CAST(substr(d, 9, 2) AS INTEGER) FROM ({days}) WHERE d IS NOT NULL; "
            )
        statements += [
            f"DROP TRIGGER IF EXISTS rollup_{table}_{event}",
            f"CREATE TRIGGER rollup_{table}_{event} AFTER {event.upper()} ON {q(table)} BEGIN {body}END",
        ]
    return statements


def install_triggers(*, using="default", **_kwargs):
    """(Re)create the triggers from the ledger declarations: run after every `migrate` (and a
    test database's flush), so a new ledger is tracked without a migration of its own."""
    if using != "default" or TABLE not in connection.introspection.table_names():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for model in tracked_models():
            for sql in _mark_sql(model, ("insert", "update", "delete")):
                cursor.execute(sql)


# ── reading, and recounting what is marked ───────────────────────────────────────────────────


def signature(model, indicators) -> str:
    """What stored values are valid for: the zone, the date field, the indicators' declarations
    and the reference rows their conditions look through (a regrouped 违法行为 changes it)."""
    references = [
        list(ref._default_manager.order_by("pk").values_list(*[f.attname for f in ref._meta.concrete_fields]))
        for ref in sorted(dependencies(model, indicators), key=lambda m: m._meta.label)
    ]
    text = repr(
        [settings.TIME_ZONE, date_field(model).name, RECORDS, references]
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
    days), with daily values for the months in `daily_months`. One statement reads the buckets
    and their marks; a bucket with marks is counted again for the marked days (never stored:
    the whole month), one aggregate query per ledger, and stored back."""
    brigade_ids, months = sorted(set(brigade_ids)), sorted(set(months))
    daily_months = set(daily_months)
    result = {model: [] for model in indicators_by_model}
    if not brigade_ids or not months:
        return result
    signatures = {label(m): signature(m, inds) for m, inds in indicators_by_model.items()}
    by_label = {label(m): m for m in indicators_by_model}
    seen = {
        (row["ledger"], row["brigade_id"], row["month"]): row
        for row in _select(list(by_label), brigade_ids, months, daily_months)
    }
    stale = defaultdict(dict)  # model → {(brigade, month): the row as read, or None when missing}
    for name, model in by_label.items():
        decode = _decoders(model, indicators_by_model[model])
        for b in brigade_ids:
            for month in months:
                row = seen.get((name, b, month))
                if not row or row["id"] is None or row["marked"] or row["signature"] != signatures[name]:
                    stale[model][(b, month)] = row
                    continue
                totals = {k: decode[k](v) for k, v in row["totals"].items() if k in decode}
                daily = _decode_daily(decode, row["daily"]) if month in daily_months else None
                result[model].append(Bucket(b, month, totals, daily))
    if not stale:
        return result

    missing, present = [], []
    for model, rows_of in stale.items():
        decode = _decoders(model, indicators_by_model[model])
        sig = signatures[label(model)]
        # Stored values stay good for the days no mark names; a bucket stored for other
        # declarations, or never, is counted whole.
        days_of = {
            bucket: row["marked"]
            if row and row["id"] and row["signature"] == sig and row["daily"] is not None
            else None
            for bucket, row in rows_of.items()
        }
        counted = _count(model, indicators_by_model[model], days_of)
        for (b, month), days in days_of.items():
            row, daily = rows_of[(b, month)], counted[(b, month)]
            if days is not None:
                kept = _decode_daily(decode, row["daily"])
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
            if row is None or row["id"] is None:
                missing.append(((b, label(model), month), row and row["marks"], sig, encoded))
            else:
                present.append((row, sig, encoded))
    _store(missing, present)
    return result


def refresh(*, brigade_ids=None, models=None) -> int:
    """Count and store now every bucket that writes have marked (of `brigade_ids` and `models`;
    default all): what a writer of many records calls once it has committed (load_demo, an
    import), so that the first reader after it — a leader's dashboard — finds the months stored
    instead of counting them itself (5.5 s after the demo was loaded). Returns the number of
    buckets counted. The marks stay the source of truth: a write committed meanwhile leaves its
    own, which the next reader counts as before."""
    from brigade.figures import indicators_of

    tracked = {label(m): m for m in (models or tracked_models())}
    marks = RollupMark.objects.filter(ledger__in=list(tracked))
    if brigade_ids is not None:
        marks = marks.filter(brigade_id__in=list(brigade_ids))
    pending = defaultdict(lambda: (set(), set()))  # model → (brigades, months)
    for brigade_id, ledger, month in marks.values_list("brigade_id", "ledger", "month").distinct():
        brigades, months = pending[tracked[ledger]]
        brigades.add(brigade_id)
        months.add(month)
    counted = 0
    for model, (brigades, months) in pending.items():
        found = read(indicators_by_model={model: indicators_of(model)}, brigade_ids=brigades, months=months)
        counted += len(found[model])
    return counted


def _select(ledger_labels, brigade_ids, months, daily_months) -> list[dict]:
    """The buckets and the marks on them, in one statement (one snapshot)."""
    q = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    as_param = (lambda m: m) if pg else (lambda m: m.isoformat())

    def placeholders(values):
        return ", ".join(["%s"] * len(values))

    where = (
        f"ledger IN ({placeholders(ledger_labels)}) AND brigade_id IN ({placeholders(brigade_ids)}) "
        f"AND month IN ({placeholders(months)})"
    )
    params = [*ledger_labels, *brigade_ids, *map(as_param, months)]
    aggregate = "array_agg(DISTINCT day), array_agg(id)" if pg else "group_concat(DISTINCT day), max(id)"
    daily_when = f"r.month IN ({placeholders(daily_months)}) OR " if daily_months else ""
    sql = (
        f"SELECT r.id, r.brigade_id, r.ledger, r.month, r.version, r.signature, r.totals, "
        f"CASE WHEN {daily_when}m.days IS NOT NULL THEN r.daily END, m.days, m.ids "
        f"FROM {q(TABLE)} r LEFT JOIN (SELECT brigade_id, ledger, month, {aggregate.replace(', ', ' AS days, ', 1)} AS ids "
        f"FROM {q(MARKS)} WHERE {where} GROUP BY brigade_id, ledger, month) m "
        f"ON m.brigade_id = r.brigade_id AND m.ledger = r.ledger AND m.month = r.month "
        f"WHERE {' AND '.join('r.' + part for part in where.split(' AND '))} "
        # …and the marks on buckets not stored yet, which the bucket's first count accounts for
        f"UNION ALL SELECT NULL, m.brigade_id, m.ledger, m.month, NULL, NULL, NULL, NULL, m.days, m.ids "
        f"FROM (SELECT brigade_id, ledger, month, {aggregate.replace(', ', ' AS days, ', 1)} AS ids "
        f"FROM {q(MARKS)} WHERE {where} GROUP BY brigade_id, ledger, month) m "
        f"WHERE NOT EXISTS (SELECT 1 FROM {q(TABLE)} r WHERE r.brigade_id = m.brigade_id "
        f"AND r.ledger = m.ledger AND r.month = m.month)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*map(as_param, sorted(daily_months)), *params, *params, *params])
        rows = cursor.fetchall()
    found = []
    for pk, b, ledger, month, version, sig, totals, daily, days, ids in rows:
        if isinstance(month, str):
            month = datetime.date.fromisoformat(month)
        if isinstance(days, str):
            days = [int(d) for d in days.split(",")]
        found.append(
            {
                "id": pk,
                "brigade_id": b,
                "ledger": ledger,
                "month": month,
                "version": version,
                "signature": sig,
                "totals": _json(totals),
                "daily": _json(daily),
                "marked": set(days) if days else None,
                "marks": ids,
            }
        )
    return found


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def count_records(*, model, brigade_ids, start: datetime.date, end: datetime.date, key: str = RECORDS) -> int:
    """How many records of `model` the brigades hold dated in [start, end), from the rollups: all
    of them, or those a count indicator (`key`) counts."""
    from brigade.figures import indicators_of
    from brigade.periods import month_split

    whole, parts = month_split(start, end)
    buckets = read(
        indicators_by_model={model: indicators_of(model)},
        brigade_ids=brigade_ids,
        months=whole + list(parts),
        daily_months=list(parts),
    )[model]
    return sum(bucket.value(key, parts.get(bucket.month)) for bucket in buckets)


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
    day = _local_day(field, [span for spans in groups for span in spans])
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


class _ShiftedDate(Func):
    """SQLite: the date of a stored UTC date-time shifted by a fixed number of minutes, in SQL."""

    template = "date(%(expressions)s, '%(shift)s')"
    output_field = DateField()


def _local_day(field, spans):
    """The local day of each record's date field, to group by. On SQLite, Django's TruncDate
    converts every row's date-time to the zone in a Python function, which was 70% of counting a
    cold dashboard (two years of the demo's violations: 1.3 s against 0.4 s in SQL). Where the
    zone's offset is the same throughout the spans counted (Asia/Shanghai since 1991), the local
    day is the UTC date-time plus that offset, in SQL, as the triggers mark it; across a change of
    offset (summer time), TruncDate as before. PostgreSQL converts zones natively."""
    if not isinstance(field, DateTimeField):
        return F(field.name)
    if connection.vendor == "sqlite" and spans:
        minutes = _fixed_offset_minutes(min(s for s, _ in spans), max(e for _, e in spans))
        if minutes is not None:
            return _ShiftedDate(F(field.name), shift=f"{minutes:+d} minutes")
    return TruncDate(field.name)


def _fixed_offset_minutes(start: datetime.date, end: datetime.date) -> int | None:
    """The zone's UTC offset in minutes if it is the same from the day before `start` to the day
    after `end` (local days), else None. Sampled every six hours: no zone changes its offset and
    back again within that."""
    zone = timezone.get_current_timezone()
    moment = datetime.datetime.combine(
        start - datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
    )
    last = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
    seen = set()
    while moment <= last:
        seen.add(moment.astimezone(zone).utcoffset())
        if len(seen) > 1:
            return None
        moment += datetime.timedelta(hours=6)
    (offset,) = seen
    seconds = offset.total_seconds()
    return int(seconds // 60) if seconds % 60 == 0 else None


def _merge(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and merged[-1][1] >= start:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(span) for span in merged]


def _store(missing, present):
    """Store what was counted, and delete the marks it accounts for. A bucket is written only
    if no other reader has stored it since it was read (`version`); a bucket another reader
    holds is skipped rather than waited for."""
    if not (missing or present):
        return
    pg = connection.vendor == "postgresql"
    own_transaction = not connection.in_atomic_block
    accounted = []  # (bucket key, the marks read on it) of what was stored
    try:
        with _brief_begin(), transaction.atomic(), connection.cursor() as cursor, _brief_waits(cursor):
            if pg and own_transaction:
                # Derived data: a commit lost in a crash loses the stored values and the deletion
                # of their marks together, so they are simply counted again. Not waiting for the
                # disk keeps a dashboard view after a save from queueing behind the WAL's fsync.
                # (Inside another transaction, a finalise's, its durability is left alone.)
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for start in range(0, len(missing), 500):
                accounted += _insert(cursor, missing[start : start + 500])
            if present:
                ids = sorted(row["id"] for row, _, _ in present)
                if pg:
                    cursor.execute(
                        f"SELECT id FROM {_q(TABLE)} WHERE id = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED",
                        [ids],
                    )
                    free = {pk for (pk,) in cursor.fetchall()}
                else:
                    free = set(ids)  # SQLite: one writer at a time already
                for row, sig, (totals, daily) in present:
                    if row["id"] not in free:
                        continue
                    cursor.execute(
                        f"UPDATE {_q(TABLE)} SET version = version + 1, signature = %s, totals = %s{_JSON()}, "
                        f"daily = %s{_JSON()} WHERE id = %s AND version = %s",
                        [sig, json.dumps(totals), json.dumps(daily), row["id"], row["version"]],
                    )
                    if cursor.rowcount == 1:
                        accounted.append(((row["brigade_id"], row["ledger"], row["month"]), row["marks"]))
            _delete_marks(cursor, [(key, marks) for key, marks in accounted if marks is not None])
    except OperationalError:
        pass  # another reader holds it: the values stay unstored, the answer is still exact


def _q(name):
    return connection.ops.quote_name(name)


def _JSON():  # noqa: N802 — reads as the cast it is
    return "::jsonb" if connection.vendor == "postgresql" else ""


def _insert(cursor, batch) -> list:
    """Buckets stored for the first time; returns (key, marks read) of those actually inserted
    (another reader may have stored one first)."""
    rows = ", ".join([f"(%s, %s, %s, 0, %s, %s{_JSON()}, %s{_JSON()})"] * len(batch))
    params, marks_of = [], {}
    for (b, name, month), marks, sig, (totals, daily) in batch:
        month_param = month if connection.vendor == "postgresql" else month.isoformat()
        params += [b, name, month_param, sig, json.dumps(totals), json.dumps(daily)]
        marks_of[(b, name, month)] = marks
    cursor.execute(
        f"INSERT INTO {_q(TABLE)} (brigade_id, ledger, month, version, signature, totals, daily) VALUES {rows} "
        f"ON CONFLICT (brigade_id, ledger, month) DO NOTHING RETURNING brigade_id, ledger, month",
        params,
    )
    inserted = []
    for b, name, month in cursor.fetchall():
        month = datetime.date.fromisoformat(month) if isinstance(month, str) else month
        inserted.append(((b, name, month), marks_of[(b, name, month)]))
    return inserted


def _delete_marks(cursor, accounted):
    """Delete the marks a stored bucket accounts for: exactly those read (PostgreSQL), or on
    SQLite, where one writer commits at a time so ids grow in commit order, every mark of the
    bucket up to the greatest id read."""
    if not accounted:
        return
    if connection.vendor == "postgresql":
        cursor.execute(
            f"DELETE FROM {_q(MARKS)} WHERE id = ANY(%s)", [[i for _, ids in accounted for i in ids]]
        )
        return
    for (b, name, month), greatest in accounted:
        cursor.execute(
            f"DELETE FROM {_q(MARKS)} WHERE ledger = %s AND brigade_id = %s AND month = %s AND id <= %s",
            [name, b, month.isoformat(), greatest],
        )


@contextmanager
def _brief_begin():
    """SQLite: the write lock is taken at BEGIN (IMMEDIATE, fazhi/settings.py), before the block
    runs, and would be waited for up to the connection's timeout (60 s: as long as an import's
    write) — so the brief wait is set before the transaction begins. A reader that cannot store
    its counts at once leaves them unstored; its answer is exact either way."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {WAIT_MS}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


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
