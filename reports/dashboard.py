"""What the leaders' dashboard shows: key figures of the year so far against the same period
last year, monthly trends, breakdowns, and the report's due dates. All of it comes from one
`evaluate` call (one aggregate query per ledger involved)."""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from brigade.figures import WORKLOAD, Figure, Period, Rate, composition, evaluate, evaluate_each, registry
from reports import phrasing


@dataclass(frozen=True)
class Trend:
    title: str
    keys: tuple[str, ...]  # counts, drawn month by month against the same months last year


@dataclass(frozen=True)
class Breakdown:
    title: str
    key: str
    field: str  # one of the indicator's declared `by` fields (brigade/figures.py)


@dataclass(frozen=True)
class Dashboard:
    """What the leaders' dashboard shows, declared once and checked at `manage.py check`
    (reports/checks.py: reports.E001, E003, E004): a new indicator appears here by being named."""

    cards: tuple[str, ...]  # key figures, this period against the same days of last year
    trends: tuple[Trend, ...]
    # What each figure is made of: the largest values, then 其他 (the rest), then 合计, so that
    # each table adds up to its figure.
    breakdowns: tuple[Breakdown, ...]
    compare: tuple[str, ...]  # a detachment's brigades side by side

    @property
    def keys(self) -> list[str]:
        """Every indicator the page states, each once, in the order it first appears."""
        named = [*self.cards, *(k for t in self.trends for k in t.keys), *(b.key for b in self.breakdowns)]
        return list(dict.fromkeys([*named, *self.compare]))


CARDS = (
    "violations.total", "violations.onsite", "violations.drunk", "violations.overload", "violations.helmet",
    "violations.lenient", "accidents.total", "accidents.mediation_rate", "calls.total", "complaints.received",
    "complaints.close_rate", "supervision.recorder_rate", "events.total", "events.attendees", "training.sessions",
    "training.leaders",
)  # fmt: skip
DASHBOARD = Dashboard(
    cards=CARDS,
    trends=(
        Trend("查处交通违法", ("violations.total", "violations.onsite")),
        Trend(
            "重点违法：酒醉驾、超载超员、不戴头盔",
            ("violations.drunk", "violations.overload", "violations.helmet"),
        ),
        Trend("事故与矛盾化解", ("accidents.total", "accidents.mediated", "complaints.received")),
        Trend("普法宣传", ("events.total", "media.short_video")),
        Trend("学法培训", ("training.sessions", "training.leaders")),
    ),
    breakdowns=(
        Breakdown("违法行为类型", "violations.total", "violation_type"),
        Breakdown("宣传活动形式", "events.total", "kind"),
        Breakdown("投诉举报来源渠道", "complaints.received", "channel"),
    ),
    compare=CARDS,  # a detachment compares its brigades on the figures its leaders see as cards
)
TOP = 8  # rows of a breakdown before 其他


@dataclass
class Card:
    figure: Figure
    value: str
    change: str
    direction: str  # up, down, flat, none
    url: str | None

    @property
    def tone(self) -> str:
        return tone(self.figure)


def tone(figure: Figure) -> str:
    """good or bad by the indicator's own sense of better (more accidents is bad), else neutral:
    a workload (violations found, calls received) is never coloured good or bad."""
    return "good" if figure.better else "bad" if figure.worse else "neutral"


def ranked_by(item) -> bool | None:
    """The direction an indicator is ranked by: its own (brigade/figures.py), none for a workload."""
    return None if item.kind == WORKLOAD else item.higher_is_better


def ranks(values: dict, higher_is_better: bool | None) -> dict:
    """brigade → rank, 1 the best by the indicator's own sense of better (brigade/figures.py: the
    fewest accidents, the highest rate); equal values share a rank (1, 1, 3). None for every
    brigade when the indicator has no better direction, and for a brigade without a value (a
    rate over no records). A workload has no direction (`ranked_by`), so it is never ranked."""
    if higher_is_better is None:
        return dict.fromkeys(values)
    known = [v for v in values.values() if v is not None]
    better = (lambda a, b: a > b) if higher_is_better else (lambda a, b: a < b)
    return {b: None if v is None else 1 + sum(better(o, v) for o in known) for b, v in values.items()}


def compare(*, brigade_ids, period: Period) -> dict:
    """The detachment's brigades side by side: for each key figure, each brigade's value, its
    change since last year (as the cards phrase it) and its rank. One evaluation for all of
    them (one rollup read, whatever the number of brigades)."""
    each = evaluate_each(brigade_ids=brigade_ids, period=period, keys=list(DASHBOARD.compare))
    rows = []
    for key in DASHBOARD.compare:
        item = registry.get(key)
        higher = ranked_by(item)
        # a brigade that recorded nothing in the ledger has no result to rank (its 0 accidents
        # would otherwise come first)
        order = ranks(
            {b: each[b][key].current if each[b][key].has_current else None for b in brigade_ids}, higher
        )
        shared = [r for r in order.values() if r is not None]
        cells = []
        for b in brigade_ids:
            figure = each[b][key]
            change, direction = phrase_change(figure)
            rank = order[b]
            cells.append(
                {
                    "value": phrase_value(figure) if figure.has_current else "本期无记录",
                    "change": change,
                    "direction": direction,
                    "tone": tone(figure),
                    "rank": rank,
                    "tied": rank is not None and shared.count(rank) > 1,
                    "url": ledger_url(figure, period, b),
                }
            )
        sense = {True: "越高越好", False: "越低越好", None: "不分好坏，不排名"}[higher]
        if item.kind == WORKLOAD:
            sense = "工作量，" + sense
        rows.append(
            {
                "label": item.label,
                "sense": sense,
                "ranked": higher is not None,
                "kind": item.kind,
                "why": item.why,
                "cells": cells,
            }
        )
    return {"brigade_ids": list(brigade_ids), "rows": rows}


def phrase_value(figure: Figure) -> str:
    item = figure.item
    if isinstance(item, Rate):
        return "无数据" if figure.current is None else phrasing.percent(figure.current)
    if item.unit == "元":
        return phrasing.amount_yuan(figure.current or 0)
    return phrasing.count(int(figure.current or 0)) + item.unit


def phrase_change(figure: Figure) -> tuple[str, str]:
    """The change as the report phrases it, and its direction by the same rule (brigade/trend.py)."""
    item = figure.item
    if isinstance(item, Rate) and figure.current is None:
        return "本期无数据", "none"
    if not figure.has_previous:
        return "去年同期无记录", "none"
    if isinstance(item, Rate):
        text = phrasing.rate_change("", figure.current, figure.previous) or ""
        return text, figure.trend or "none"
    return phrasing.change(figure.current or 0, figure.previous or 0), figure.trend


def ledger_url(figure: Figure, period: Period, brigade_id: int | None) -> str | None:
    """The list of the records a figure counts: its indicator's own condition over its period
    (a rate: the records it is a share of), so the list's total is the figure."""
    item = figure.item
    if isinstance(item, Rate):
        item = registry.get(item.denominator)
    ledger = item.ledger
    if ledger is None:
        return None
    last_day = period.end - datetime.timedelta(days=1)
    params = {"indicator": item.key, "period_after": period.start, "period_before": last_day}
    if brigade_id:
        params["brigade"] = brigade_id
    return reverse("ledger:list", args=[ledger.kind]) + "?" + urlencode(params)


def breakdown_table(title, figure: Figure, field, brigade_ids, period: Period, link_brigade) -> dict:
    """A breakdown as the dashboard shows it: the largest values (each linked to its records),
    其他, and 合计, which is the figure itself (the card's number)."""
    parts = composition(
        indicator_key=figure.key, field=field, brigade_ids=brigade_ids, period=period, top=TOP
    )
    url = ledger_url(figure, period, link_brigade)
    filtered = field in figure.item.ledger.filters

    def row(part, link):
        return {"label": part.label, "current": part.current, "previous": part.previous, "url": link}

    rows = [row(p, f"{url}&{urlencode({field: p.value})}" if url and filtered else None) for p in parts.top]
    if parts.rest:
        rows.append(row(parts.rest, None) | {"rest": True})
    return {"title": title, "rows": rows, "total": row(parts.total, url), "unit": figure.unit}


def due_dates(year: int, today: datetime.date) -> dict:
    """厅字〔2019〕28号: the report on year Y goes to the superior by 1 March of Y+1 and is made
    public by 1 April of Y+1."""
    submit, publish = datetime.date(year + 1, 3, 1), datetime.date(year + 1, 4, 1)
    return {
        "submit": submit,
        "publish": publish,
        "submit_days": (submit - today).days,
        "publish_days": (publish - today).days,
    }


def dashboard(
    *, brigade_ids, year: int, today: datetime.date, link_brigade: int | None = None, compare_ids=None
) -> dict:
    period = Period.year_to_date(year, today)
    keys = [
        *DASHBOARD.cards,
        *(k for t in DASHBOARD.trends for k in t.keys),
        *(b.key for b in DASHBOARD.breakdowns),
    ]
    figures = evaluate(brigade_ids=brigade_ids, period=period, keys=list(dict.fromkeys(keys)))

    cards = []
    for key in DASHBOARD.cards:
        figure = figures[key]
        change, direction = phrase_change(figure)
        cards.append(
            Card(figure, phrase_value(figure), change, direction, ledger_url(figure, period, link_brigade))
        )

    months = list(range(1, 13 if period.is_whole_year or year < today.year else today.month + 1))
    trends = []
    for trend in DASHBOARD.trends:
        series = []
        for key in trend.keys:
            figure = figures[key]
            series.append(
                {
                    "label": figure.item.label,
                    "current": [int(figure.monthly.get(m, (0, 0))[0]) for m in months],
                    "previous": [int(figure.monthly.get(m, (0, 0))[1]) for m in months],
                }
            )
        trends.append(
            {"title": trend.title, "months": [f"{m}月" for m in months], "series": series, "year": year}
        )

    breakdowns = [
        breakdown_table(b.title, figures[b.key], b.field, brigade_ids, period, link_brigade)
        for b in DASHBOARD.breakdowns
    ]

    comparison = (
        compare(brigade_ids=compare_ids, period=period) if compare_ids and len(compare_ids) > 1 else None
    )
    return {
        "period": period,
        "cards": cards,
        "trends": trends,
        "breakdowns": breakdowns,
        "comparison": comparison,
        "due": due_dates(year, today),
    }
