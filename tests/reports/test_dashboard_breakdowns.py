"""The dashboard's breakdowns add up: the largest values, then 其他 (the rest), then 合计, which
is the figure on the card (reports/dashboard.py, brigade/figures.py `composition`)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from brigade.figures import Period, composition
from enforcement.models import Campaign, Violation
from tests.reports.test_indicators import at, violation

TODAY = timezone.localdate()
# Ten types, the first with ten violations this year, the last with one: 55 in all.
TYPES = [
    "违法停车",
    "超速",
    "闯红灯",
    "不系安全带",
    "酒后驾驶",
    "醉酒驾驶",
    "货车超载",
    "违法载人",
    "无证驾驶",
    "疲劳驾驶",
]


@pytest.fixture
def ten_types(brigade, other_brigade):
    n = 0
    for rank, name in enumerate(TYPES):
        for _ in range(10 - rank):
            n += 1
            violation(brigade, n, at(TODAY.year, 1, 1), name)
    violation(brigade, 999, at(TODAY.year - 1, 1, 1), "疲劳驾驶")  # last year: only in 去年同期
    violation(other_brigade, 1, at(TODAY.year, 1, 1), "疲劳驾驶")  # another brigade's: nowhere
    return brigade


def table(response, title):
    return next(b for b in response.context["breakdowns"] if b["title"] == title)


def test_the_violation_table_adds_up_to_the_figure_on_the_card(as_leader, ten_types):
    response = as_leader.get(reverse("home"))
    types = table(response, "违法行为类型")
    labels = [row["label"] for row in types["rows"]]
    assert labels[:8] == TYPES[:8]  # the largest first
    assert labels[8] == "其他（另2类）" and types["rows"][8]["current"] == 2 + 1
    assert sum(row["current"] for row in types["rows"]) == types["total"]["current"] == 55
    assert sum(row["previous"] for row in types["rows"]) == types["total"]["previous"] == 1
    card = next(c for c in response.context["cards"] if c.figure.key == "violations.total")
    assert card.value == "55起"  # the 合计 is the card's number
    page = response.content.decode()
    assert "其他（另2类）" in page and "合计" in page


def test_each_row_opens_the_records_it_counts(as_leader, ten_types):
    types = table(as_leader.get(reverse("home")), "违法行为类型")
    for row in types["rows"][:8] + [types["total"]]:
        listed = as_leader.get(row["url"])
        assert listed.status_code == 200 and listed.context["paginator"].count == row["current"], row["label"]
    assert types["rows"][8]["url"] is None  # 其他 is many values: no single list


def test_blank_values_are_folded_into_other_and_said_so(brigade):
    campaign = Campaign.objects.create(
        brigade=brigade,
        name="夏季整治",
        kind="集中整治",
        start_date=datetime.date(TODAY.year, 1, 1),
        officers=5,
    )
    for n in range(3):
        violation(brigade, n, at(TODAY.year, 1, 1))
    Violation.objects.filter(brigade=brigade).update(campaign=campaign)
    violation(brigade, 10, at(TODAY.year, 1, 1))  # no campaign
    parts = composition(
        indicator_key="violations.total",
        field="campaign",
        brigade_ids=[brigade.pk],
        period=Period.year_to_date(TODAY.year, TODAY),
        top=8,
    )
    assert [(p.label, p.current) for p in parts.top] == [("夏季整治", 3)]
    assert parts.rest.label == "其他（含未填写）" and parts.rest.current == 1
    assert parts.total.current == 4 == sum(p.current for p in parts.rows)


def test_a_table_with_few_values_has_no_empty_other_row(as_leader, ten_types):
    channels = table(as_leader.get(reverse("home")), "投诉举报来源渠道")
    assert not any(row.get("rest") for row in channels["rows"])
    assert channels["total"]["current"] == sum(row["current"] for row in channels["rows"]) == 0
