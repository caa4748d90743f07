"""The indicator machinery: every figure the dashboard and the annual report state, declared once.

Each data app declares its indicators in its own `indicators.py` (key, Chinese label, unit, the
model and the aggregate with its filter) and registers them here, the way Zulip's analytics
declares its counts once. `evaluate()` computes any set of them for a brigade and a period,
together with the same period a year earlier, by month, in one aggregate query per model —
the database does the counting; Python only adds up the monthly buckets."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import ExtractMonth

from brigade.ledger import registry as ledgers
from brigade.periods import Period, month_split  # re-exported: the apps read Period from here
from brigade.trend import trend

# What a figure means decides how it may be judged (docs/figures.md, 指标的三类):
# - a workload is driven by demand (violations found, calls received): neither more nor less is better;
# - an outcome is a result with a direction (accidents, complaints), or effort the brigade plans
#   itself where less is a shortfall (leaders' study, supervision);
# - a rate is a share of two counts, compared in points.
WORKLOAD = "workload"
OUTCOME = "outcome"
RATE = "rate"
KINDS = (WORKLOAD, OUTCOME)  # what an Indicator may declare; a Rate is always RATE


@dataclass(frozen=True)
class Indicator:
    """A count or a sum over one ledger's records."""

    key: str  # "violations.drunk": area.name, unique
    label: str  # 查处酒醉驾
    unit: str  # 起, 次, 人次, 元 …
    model: type
    aggregate: str = "count"  # "count", or the name of a field to sum
    where: Q = field(default_factory=Q)  # also what the ledger list filters by (its 统计口径)
    higher_is_better: bool | None = None  # None: neither direction is a shortcoming (a workload)
    kind: str = WORKLOAD  # WORKLOAD or OUTCOME: only an outcome may have a direction
    why: str = ""  # one line of Chinese: why this direction (required with one), or why none
    by: tuple[str, ...] = ()  # fields of `model` the figure is broken down by (`breakdown`)

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


_UNSET = object()


@dataclass(frozen=True, init=False)
class Rate:
    """A percentage of two indicators (相符率 = 合格/检查). Compared in points, not in percent.

    Higher is better unless declared otherwise (`better=False`, or `better=None` for a share
    with no direction); a direction needs its reason (`why=`), as an outcome's does."""

    key: str
    label: str
    numerator: str
    denominator: str
    higher_is_better: bool | None = True
    unit: str = "%"
    why: str = ""

    def __init__(
        self, key, label, numerator, denominator, higher_is_better=True, unit="%", *, better=_UNSET, why=""
    ):
        values = dict(
            key=key,
            label=label,
            numerator=numerator,
            denominator=denominator,
            higher_is_better=higher_is_better if better is _UNSET else better,
            unit=unit,
            why=why,
        )
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def kind(self) -> str:
        return RATE

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
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"没有声明指标 {key!r}（见各应用的 indicators.py）") from None

    def all(self) -> list[Indicator | Rate]:
        return list(self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)


registry = IndicatorRegistry()
register = registry.register


def _fields(by) -> tuple[str, ...]:
    return (by,) if isinstance(by, str) else tuple(by)


def count(
    key, label, model, where=None, *, unit="起", kind=WORKLOAD, better=None, why="", by=()
) -> Indicator:
    """The number of `model`'s records meeting `where`. A direction (`better=`) only with
    kind="outcome" and a reason (`why=`); `manage.py check` refuses anything else."""
    return Indicator(key, label, unit, model, "count", where or Q(), better, kind, why, _fields(by))


def total(
    key, label, model, field_name, where=None, *, unit="次", kind=WORKLOAD, better=None, why="", by=()
) -> Indicator:
    """The sum of `field_name` over `model`'s records meeting `where` (参训人次); as `count`."""
    return Indicator(key, label, unit, model, field_name, where or Q(), better, kind, why, _fields(by))


# ── periods ───────────────────────────────────────────────────────────────────────────────────


# ── evaluation ────────────────────────────────────────────────────────────────────────────────


@dataclass
class Figure:
    """One indicator for a period: its value, last year's, and the change."""

    item: Indicator | Rate
    current: Decimal | int | None
    previous: Decimal | int | None
    monthly: dict[int, tuple] = field(default_factory=dict)  # month → (current, previous)
    has_previous: bool = True  # last year's ledger held records for the period
    has_current: bool = True  # this period's ledger held records (a 0 from no records is no result)

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def unit(self) -> str:
        return self.item.unit

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
    def trend(self) -> str | None:
        """up / down / flat by the one rule (`trend`); None without last year to compare with."""
        if not self.has_previous:
            return None
        return trend(self.current, self.previous, rate=isinstance(self.item, Rate))

    @property
    def judgement(self) -> str | None:
        """Whether the figure got "better" or "worse", by the indicator's own sense of better (more
        accidents is worse); None when it has none (every workload), or nothing moved."""
        higher = self.item.higher_is_better
        if self.item.kind == WORKLOAD or higher is None or self.trend not in ("up", "down"):
            return None
        return "better" if (self.trend == "up") == higher else "worse"

    @property
    def worse(self) -> bool:
        """Moved the wrong way since last year (the material offered for 不足和原因)."""
        return self.judgement == "worse"

    @property
    def better(self) -> bool:
        return self.judgement == "better"


class Figures(dict):
    """key → Figure, with the period it covers. A key that is not declared is an error, never a
    silent zero: a mistyped key would otherwise drop a paragraph from the report."""

    def __init__(self, period: Period, *args):
        super().__init__(*args)
        self.period = period

    def __missing__(self, key):
        registry.get(key)  # raises for an undeclared key
        raise KeyError(f"指标 {key!r} 不在本次计算之内")

    def value(self, key):
        figure = self[key]
        return 0 if figure.current is None else figure.current


def indicators_of(model) -> list[Indicator]:
    """The indicators counted on `model`'s records, in declaration order."""
    return [i for i in registry.all() if isinstance(i, Indicator) and i.model is model]


def evaluate(*, brigade_ids, period: Period, keys=None) -> Figures:
    """Compute the indicators `keys` (default: all) for `period` and the same period a year
    earlier, summed over the brigades `brigade_ids`, from the monthly rollups (rollup.py)."""
    return _evaluate(brigade_ids, period, keys)[None]


def evaluate_each(*, brigade_ids, period: Period, keys=None) -> dict[int, Figures]:
    """The same, brigade by brigade (a detachment's side-by-side view), from the same reads."""
    result = _evaluate(brigade_ids, period, keys, split=True)
    return {b: result[b] for b in brigade_ids}


def evaluate_with_each(*, brigade_ids, period: Period, keys=None) -> tuple[Figures, dict[int, Figures]]:
    """Both at once, from one read: the figures summed over `brigade_ids` (rates from the summed
    parts) and each brigade's own (a detachment's report and its per-brigade table)."""
    result = _evaluate(brigade_ids, period, keys, split=True)
    return result[None], {b: result[b] for b in brigade_ids}


def _evaluate(brigade_ids, period, keys, split=False):
    from brigade import rollup  # rollup reads the ledger registry, loaded after this module

    wanted = [registry.get(k) for k in keys] if keys is not None else registry.all()
    rates = [i for i in wanted if isinstance(i, Rate)]
    needed = {i.key: i for i in wanted if isinstance(i, Indicator)}
    for rate in rates:
        for part in (rate.numerator, rate.denominator):
            needed.setdefault(part, registry.get(part))
    models = list(dict.fromkeys(i.model for i in needed.values()))

    # Each side of the comparison: its whole months, and its days in the months at its edges.
    # (Over a period of more than eleven months one month can be on both sides.)
    sides = [month_split(period.start, period.end), month_split(period.previous.start, period.previous.end)]
    months = {m for whole, parts in sides for m in [*whole, *parts]}
    buckets = rollup.read(
        indicators_by_model={m: indicators_of(m) for m in models},
        brigade_ids=brigade_ids,
        months=months,
        daily_months={m for _, parts in sides for m in parts},
    )

    # (brigade, or None for all) → key → [current, previous, {month: [current, previous]}]
    def empty():
        return {k: [0, 0, defaultdict(lambda: [0, 0])] for k in needed}

    sums = {None: empty(), **({b: empty() for b in brigade_ids} if split else {})}
    # A ledger with no records at all in last year's period cannot be compared with (the
    # brigade began using the system this year): its figures say so rather than "去年同期为0".
    had_previous = defaultdict(set)  # brigade or None → models with records last year
    had_current = defaultdict(set)  # … and in the period itself
    for model in models:
        keys_of_model = [i.key for i in needed.values() if i.model is model]
        for bucket in buckets[model]:
            month = bucket.month
            targets = [sums[None], sums[bucket.brigade_id]] if split else [sums[None]]
            for slot, (whole, parts) in enumerate(sides):
                if month in parts:
                    days = parts[month]
                elif month in whole:
                    days = None
                else:
                    continue
                if bucket.value(rollup.RECORDS, days):
                    had = had_previous if slot == 1 else had_current
                    had[None].add(model)
                    had[bucket.brigade_id].add(model)
                for key in keys_of_model:
                    value = bucket.value(key, days)
                    if not value:
                        continue
                    for target in targets:
                        entry = target[key]
                        entry[slot] += value
                        entry[2][month.month][slot] += value

    result = {}
    for brigade, entries in sums.items():
        figures = Figures(period)
        for key, (current, previous, monthly) in entries.items():
            months = {m: tuple(v) for m, v in sorted(monthly.items())}
            known = needed[key].model in had_previous[brigade]
            recorded = needed[key].model in had_current[brigade]
            figures[key] = Figure(
                needed[key], current, previous, months, has_previous=known, has_current=recorded
            )
        for rate in rates:
            num, den = figures[rate.numerator], figures[rate.denominator]
            figures[rate.key] = Figure(
                rate,
                _percent(num.current, den.current),
                _percent(num.previous, den.previous),
                has_previous=den.has_previous,
                has_current=den.has_current,
            )
        if keys is not None:
            figures = Figures(period, {k: figures[k] for k in keys})
        result[brigade] = figures
    return result


def _percent(numerator, denominator) -> Decimal | None:
    """numerator/denominator in percent; None ("no data") for a zero denominator."""
    if not denominator:
        return None
    return Decimal(numerator or 0) * 100 / Decimal(denominator)


# ── breakdowns ────────────────────────────────────────────────────────────────────────────────

MONTH = "month"  # every indicator can be broken down by month; its declared `by` adds the rest
BLANK = "未填写"  # the label of records that leave the field empty


def breakdown(*, indicator_key, field, brigade_ids, period: Period) -> list[tuple[str, object, object]]:
    """Where an indicator moved: (label, current, previous) for each value of `field` — one the
    indicator declares in `by`, or "month" — over `period` and the same days a year earlier
    (`Period.previous`, the [start, end) in local dates `evaluate` counts), summed over
    `brigade_ids`. Labels as the ledger shows them (a choice's label, a foreign key's name,
    `3月`); the largest change first. One aggregate query for both periods, on the records
    themselves (the same condition as the figure, so the rows add up to it)."""
    rows = _grouped(indicator_key, field, brigade_ids, period)
    result = [(part.label, part.current, part.previous) for part in rows]
    result.sort(key=lambda r: (-abs(r[1] - r[2]), -r[1], r[0]))
    return result


@dataclass
class Part:
    """One row of a breakdown: a value of the field (`value`: what the ledger's filter takes for
    it, None for 未填写 and 其他), its label, and the indicator over it in both periods."""

    label: str
    current: Decimal | int
    previous: Decimal | int
    value: object = None


@dataclass
class Composition:
    """A breakdown as a table that adds up: the `top` largest values of the field this period,
    then `rest` (其他: every other value, records leaving the field empty among them), then
    `total` — the indicator itself, the sum of every row."""

    field: str
    top: list[Part]
    rest: Part | None  # None when the top rows are all there is
    total: Part
    others: int = 0  # how many values `rest` holds
    blank: bool = False  # `rest` includes records that leave the field empty (未填写)

    @property
    def rows(self) -> list[Part]:
        return self.top + ([self.rest] if self.rest else [])


OTHERS = "其他"


def composition(*, indicator_key, field, brigade_ids, period: Period, top: int = 8) -> Composition:
    """The indicator over `period` (and a year earlier) by the values of `field`, largest this
    period first: the first `top` values, then 其他 (the rest, with the records that leave the
    field empty: a blank is never a row of its own), then the total. Grouped and summed in the
    database in one query (`breakdown`'s); the rows always add up to the total shown."""
    rows = _grouped(indicator_key, field, brigade_ids, period)
    named = sorted((p for p in rows if p.value is not None), key=lambda p: (-p.current, -p.previous, p.label))
    blank = [p for p in rows if p.value is None]
    shown, tail = named[:top], named[top:] + blank
    zero = 0
    total = Part("合计", sum((p.current for p in rows), zero), sum((p.previous for p in rows), zero))
    rest = None
    if tail:
        count = len(named[top:])
        parts = [f"另{count}类"] if count else []
        if blank:
            parts.append(f"含{BLANK}")
        rest = Part(
            f"{OTHERS}（{'，'.join(parts)}）",
            sum((p.current for p in tail), zero),
            sum((p.previous for p in tail), zero),
        )
    return Composition(field, shown, rest, total, others=len(named[top:]), blank=bool(blank))


def _grouped(indicator_key, field, brigade_ids, period) -> list[Part]:
    """The indicator by each value of `field`, in both periods: one aggregate query."""
    from brigade import rollup  # reads the ledger registry, loaded after this module

    item = registry.get(indicator_key)
    if not isinstance(item, Indicator):
        raise ValueError(
            f"指标 {indicator_key!r} 是比率，按它的分子、分母（{item.numerator}、{item.denominator}）分解"
        )
    if field != MONTH and field not in item.by:
        offered = "、".join([*item.by, MONTH])
        raise ValueError(f"指标 {indicator_key!r} 没有声明按 {field!r} 分解（可用：{offered}）")
    model = item.model
    current_q = rollup.range_q(model, period.start, period.end)
    previous = period.previous
    previous_q = rollup.range_q(model, previous.start, previous.end)

    group, label_of, value_of, extra = _grouping(model, field)
    records = model._default_manager.filter(
        item.where, current_q | previous_q, brigade_id__in=list(brigade_ids)
    )
    if field == MONTH:
        records = records.annotate(month=ExtractMonth(rollup.date_field(model).name))
    measure = (
        (lambda q: Count("pk", filter=q))
        if item.aggregate == "count"
        else (lambda q: Sum(F(item.aggregate), filter=q))
    )
    rows = (
        records.order_by()
        .values(*group)
        .annotate(**extra, current=measure(current_q), previous=measure(previous_q))
    )
    return [Part(label_of(row), row["current"] or 0, row["previous"] or 0, value_of(row)) for row in rows]


def _grouping(model, name):
    """The columns to group `model`'s records by for a breakdown by `name`, how a row of them
    reads, the value the ledger list filters it by (None for a blank), and any aggregate the
    row needs for its label. A foreign key groups by the row it points to: by its id alone, with
    its unique name in the same query when it has one (违法行为: grouping by every column of the
    joined row took three times as long on the demo's violations), else with that row's own
    columns to make its name (`str()`). The list filters a foreign key by that unique name when
    there is one (brigade/ledger/filters.py), else by id."""
    if name == MONTH:
        return [MONTH], lambda row: f"{row[MONTH]}月", lambda row: row[MONTH], {}
    field = model._meta.get_field(name)
    if field.is_relation:
        target = field.related_model
        if any(f.name == "name" and f.unique for f in target._meta.concrete_fields):

            def named(row):
                return None if row[name] is None else row["_name"]

            return [name], lambda row: named(row) or BLANK, named, {"_name": Min(f"{name}__name")}
        columns = {f"{name}__{f.attname}": f.attname for f in target._meta.concrete_fields}
        pk = f"{name}__{target._meta.pk.attname}"

        def label_of(row):
            if row[pk] is None:
                return BLANK
            return str(target(**{attname: row[column] for column, attname in columns.items()}))

        return list(columns), label_of, lambda row: row[pk], {}
    labels = {str(value): str(text) for value, text in field.flatchoices}

    def label_of(row):
        value = row[name]
        if value is None or value == "":
            return BLANK
        return labels.get(str(value), str(value))

    def value_of(row):
        return None if row[name] in (None, "") else row[name]

    return [name], label_of, value_of, {}
