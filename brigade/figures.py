"""The indicator machinery: every figure the dashboard and the annual report state, declared once.

Each data app declares its indicators in its own `indicators.py` (key, Chinese label, unit, the
model and the aggregate with its filter) and registers them here, the way Zulip's analytics
declares its counts once. `evaluate()` computes any set of them for a brigade and a period,
together with the same period a year earlier, by month, in one aggregate query per model —
the database does the counting; Python only adds up the monthly buckets."""

import datetime
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import caches
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from brigade.ledger import registry as ledgers


@dataclass(frozen=True)
class Indicator:
    """A count or a sum over one ledger's records."""

    key: str  # "violations.drunk": area.name, unique
    label: str  # 查处酒醉驾
    unit: str  # 起, 次, 人次, 元 …
    model: type
    aggregate: str = "count"  # "count", or the name of a field to sum
    where: Q = field(default_factory=Q)
    link: dict = field(default_factory=dict)  # list filters that show the records behind the figure
    higher_is_better: bool | None = None  # None: neither direction is a shortcoming

    @property
    def area(self) -> str:
        return self.key.split(".")[0]

    @property
    def ledger(self):
        return ledgers.for_model(self.model)

    def expression(self, period_q: Q):
        condition = self.where & period_q
        if self.aggregate == "count":
            return Count("pk", filter=condition)
        return Sum(F(self.aggregate), filter=condition)


@dataclass(frozen=True)
class Rate:
    """A percentage of two indicators (相符率 = 合格/检查). Compared in points, not in percent."""

    key: str
    label: str
    numerator: str
    denominator: str
    higher_is_better: bool | None = True
    unit: str = "%"

    @property
    def area(self) -> str:
        return self.key.split(".")[0]


class IndicatorRegistry:
    def __init__(self):
        self._items: dict[str, Indicator | Rate] = {}

    def register(self, *items):
        for item in items:
            if item.key in self._items:
                raise ValueError(f"indicator {item.key!r} declared twice")
            self._items[item.key] = item

    def get(self, key) -> Indicator | Rate:
        return self._items[key]

    def all(self) -> list[Indicator | Rate]:
        return list(self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)


registry = IndicatorRegistry()
register = registry.register


def count(key, label, model, where=None, *, unit="起", link=None, better=None) -> Indicator:
    return Indicator(key, label, unit, model, "count", where or Q(), link or {}, better)


def total(key, label, model, field_name, where=None, *, unit="次", link=None, better=None) -> Indicator:
    return Indicator(key, label, unit, model, field_name, where or Q(), link or {}, better)


# ── periods ───────────────────────────────────────────────────────────────────────────────────


def _year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    """[start, end) in local dates, and the same days a year earlier."""

    start: datetime.date
    end: datetime.date
    label: str = ""

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1), f"{year}年")

    @classmethod
    def year_to_date(cls, year: int, today: datetime.date | None = None) -> "Period":
        """The year so far: a past year whole, this year up to and including today."""
        today = today or timezone.localdate()
        if year < today.year:
            return cls.year(year)
        end = today + datetime.timedelta(days=1)
        return cls(datetime.date(year, 1, 1), end, f"{year}年1月1日至{today.month}月{today.day}日")

    @classmethod
    def months(cls, year: int, first: int, last: int) -> "Period":
        end = datetime.date(year + 1, 1, 1) if last == 12 else datetime.date(year, last + 1, 1)
        return cls(datetime.date(year, first, 1), end, f"{year}年{first}—{last}月")

    @property
    def previous(self) -> "Period":
        return Period(_year_earlier(self.start), _year_earlier(self.end), "去年同期")

    @property
    def is_whole_year(self) -> bool:
        return self.start.month == self.start.day == 1 and self.end == self.start.replace(
            year=self.start.year + 1
        )


def _bounds(model, period: Period):
    """The period as a condition on the model's date field (aware bounds for date-times)."""
    name = ledgers.for_model(model).date_field
    field_obj = model._meta.get_field(name)
    start, end = period.start, period.end
    if field_obj.get_internal_type() == "DateTimeField":
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)
        end = datetime.datetime.combine(end, datetime.time(), tzinfo=tz)
    return name, Q(**{f"{name}__gte": start, f"{name}__lt": end})


# ── evaluation ────────────────────────────────────────────────────────────────────────────────


@dataclass
class Figure:
    """One indicator for a period: its value, last year's, and the change."""

    item: Indicator | Rate
    current: Decimal | int | None
    previous: Decimal | int | None
    monthly: dict[int, tuple] = field(default_factory=dict)  # month → (current, previous)

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def delta(self):
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        """Change in percent of last year's value (counts); None without a base."""
        if isinstance(self.item, Rate) or not self.previous or self.current is None:
            return None
        return (Decimal(self.current) - Decimal(self.previous)) * 100 / Decimal(self.previous)

    @property
    def worse(self) -> bool:
        """Moved the wrong way since last year (the material offered for 不足和原因)."""
        better = self.item.higher_is_better
        if better is None or self.delta is None or self.delta == 0:
            return False
        return (self.delta < 0) if better else (self.delta > 0)


class Figures(dict):
    """key → Figure, with the period it covers."""

    def __init__(self, period: Period, *args):
        super().__init__(*args)
        self.period = period

    def value(self, key, default=0):
        figure = self.get(key)
        return default if figure is None or figure.current is None else figure.current


def evaluate(*, brigade_ids, period: Period, keys=None) -> Figures:
    """Compute the indicators `keys` (default: all) for `period` and the same period a year
    earlier, summed over the brigades `brigade_ids`: one aggregate query per model involved."""
    return _evaluate(brigade_ids, period, keys)[None]


def evaluate_each(*, brigade_ids, period: Period, keys=None) -> dict[int, Figures]:
    """The same, brigade by brigade (a detachment's side-by-side view), from the same queries."""
    result = _evaluate(brigade_ids, period, keys, split=True)
    return {b: result.get(b) or _empty(period, keys) for b in brigade_ids}


def _empty(period, keys):
    return _evaluate([], period, keys)[None]


def _evaluate(brigade_ids, period, keys, split=False):
    wanted = [registry.get(k) for k in keys] if keys is not None else registry.all()
    rates = [i for i in wanted if isinstance(i, Rate)]
    needed = {i.key: i for i in wanted if isinstance(i, Indicator)}
    for rate in rates:
        for part in (rate.numerator, rate.denominator):
            needed.setdefault(part, registry.get(part))
    by_model = defaultdict(list)
    for indicator in needed.values():
        by_model[indicator.model].append(indicator)

    first_month = period.start.replace(day=1)  # the year-earlier period lies wholly before it
    # (brigade or None for all) → key → [current, previous, {month: [current, previous]}]
    sums = defaultdict(lambda: {k: [0, 0, defaultdict(lambda: [0, 0])] for k in needed})
    sums[None]  # noqa: B018 — an empty selection still answers with zeros
    stamps = _stamps(by_model) if by_model else {}
    for model, indicators in by_model.items():
        date_name, current_q = _bounds(model, period)
        _, previous_q = _bounds(model, period.previous)
        group = ["brigade_id", "month"] if split else ["month"]
        cache_key = "figures:" + hashlib.sha1(repr((
            model._meta.label, stamps[model], sorted(brigade_ids), period.start, period.end, split,
            [i.key for i in indicators],
        )).encode()).hexdigest()  # fmt: skip
        query = (
            model._default_manager.filter(brigade_id__in=list(brigade_ids))
            .filter(current_q | previous_q)
            .annotate(month=TruncMonth(date_name))
            .values(*group)
            .annotate(**{f"v{n}": i.expression(Q()) for n, i in enumerate(indicators)})
            .order_by()
        )
        rows = cached(cache_key, lambda query=query: list(query))
        for row in rows:
            month = row["month"]
            month = month.date() if isinstance(month, datetime.datetime) else month
            slot = 0 if month >= first_month else 1
            targets = [sums[None], sums[row["brigade_id"]]] if split else [sums[None]]
            for n, indicator in enumerate(indicators):
                value = row[f"v{n}"] or 0
                for target in targets:
                    bucket = target[indicator.key]
                    bucket[slot] += value
                    bucket[2][month.month][slot] += value

    result = {}
    for brigade, buckets in sums.items():
        figures = Figures(period)
        for key, (current, previous, monthly) in buckets.items():
            months = {m: tuple(v) for m, v in sorted(monthly.items())}
            figures[key] = Figure(needed[key], current, previous, months)
        for rate in rates:
            num, den = figures[rate.numerator], figures[rate.denominator]
            figures[rate.key] = Figure(
                rate, _percent(num.current, den.current), _percent(num.previous, den.previous)
            )
        if keys is not None:
            figures = Figures(period, {k: figures[k] for k in keys})
        result[brigade] = figures
    return result


# Monthly aggregates are cached under the ledgers' data versions: a dashboard over a million
# records is counted once, and counted again only after a record has changed.
CACHE_SECONDS = 3600
LOCK_SECONDS = 20


def cached(key, compute):
    """The cached value of `key`, or `compute()` stored under it. When several web workers miss
    at once (the first views after a change), one counts and the others wait for its result
    rather than all running the same large aggregate."""
    figures_cache = caches["figures"]
    value = figures_cache.get(key)
    if value is not None:
        return value
    lock = f"{key}:counting"
    if not figures_cache.add(lock, True, LOCK_SECONDS):
        deadline = time.monotonic() + LOCK_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            value = figures_cache.get(key)
            if value is not None:
                return value
    try:
        value = compute()
        figures_cache.set(key, value, CACHE_SECONDS)
    finally:
        figures_cache.delete(lock)
    return value


def data_version(model) -> tuple:
    """The model's data version (see `_stamps`): changes whenever any of its records changes."""
    return _stamps([model])[model]


def _stamps(models) -> dict:
    """Each model's data version: the newest id in its audit history and in the history of the
    reference lists it joins (违法行为 → its group). Every create, change, delete, import and
    restore writes history, so the version moves with every change. One query for all."""
    quote = connection.ops.quote_name
    parts, order = [], []
    for model in models:
        related = [f.related_model for f in model._meta.concrete_fields if f.is_relation]
        for source in [model, *related]:
            history = getattr(source, "history", None)
            if history is not None and source._meta.label != "brigade.Brigade":
                parts.append(f"SELECT MAX(history_id) FROM {quote(history.model._meta.db_table)}")
                order.append(model)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT {n}, ({p})" for n, p in enumerate(parts)))
        values = [value for _, value in sorted(cursor.fetchall())]
    stamps = defaultdict(list)
    for model, value in zip(order, values, strict=True):
        stamps[model].append(value)
    return {model: tuple(v) for model, v in stamps.items()}


def _percent(numerator, denominator) -> Decimal | None:
    """numerator/denominator in percent; None ("no data") for a zero denominator."""
    if not denominator:
        return None
    return Decimal(numerator or 0) * 100 / Decimal(denominator)
