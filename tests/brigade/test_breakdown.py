"""`breakdown`: where a figure moved, by a field its indicator declares (`by`) or by month, from
the records themselves in one aggregate query (brigade/figures.py, docs/figures.md)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brigade.figures import Period, breakdown, evaluate, registry
from enforcement.models import Campaign, Violation
from publicity.models import PublicityEvent
from tests.reports.test_indicators import at, violation

YEAR = 2025


def event(brigade, day, kind, audience, attendees):
    return PublicityEvent.objects.create(
        brigade=brigade, date=day, name=f"{kind}{audience}", kind=kind, audience=audience, attendees=attendees
    )


@pytest.fixture
def events(brigade, other_brigade):
    d = datetime.date
    event(brigade, d(YEAR, 3, 1), "进校园", "中小学生", 500)
    event(brigade, d(YEAR, 3, 2), "进校园", "中小学生", 300)
    event(brigade, d(YEAR, 6, 1), "进农村", "老年人", 40)
    event(brigade, d(YEAR, 12, 31), "进企业", "职业驾驶人", 10)  # the last day: this year
    event(brigade, d(YEAR + 1, 1, 1), "进企业", "职业驾驶人", 9999)  # next year: neither
    event(brigade, d(YEAR - 1, 3, 1), "进校园", "中小学生", 200)
    event(brigade, d(YEAR - 1, 5, 1), "进农村", "老年人", 900)
    event(brigade, d(YEAR - 1, 1, 1), "集中宣传", "一般群众", 60)  # the first day of last year
    event(brigade, d(YEAR - 2, 12, 31), "集中宣传", "一般群众", 7777)  # before last year: neither
    event(other_brigade, d(YEAR, 3, 1), "进校园", "中小学生", 100000)  # another brigade's
    return brigade


def test_attendees_by_event_kind_largest_change_first(events):
    rows = breakdown(
        indicator_key="events.attendees", field="kind", brigade_ids=[events.pk], period=Period.year(YEAR)
    )
    assert rows == [("进农村", 40, 900), ("进校园", 800, 200), ("集中宣传", 0, 60), ("进企业", 10, 0)]


def test_the_rows_add_up_to_the_figure(events):
    period = Period.year(YEAR)
    figure = evaluate(brigade_ids=[events.pk], period=period, keys=["events.attendees", "events.total"])
    for key in ("events.attendees", "events.total"):
        for field in (*registry.get(key).by, "month"):
            rows = breakdown(indicator_key=key, field=field, brigade_ids=[events.pk], period=period)
            assert sum(r[1] for r in rows) == figure[key].current, (key, field)
            assert sum(r[2] for r in rows) == figure[key].previous, (key, field)


def test_by_audience_and_by_month(events):
    period = Period.year(YEAR)
    rows = breakdown(indicator_key="events.total", field="audience", brigade_ids=[events.pk], period=period)
    # equal changes: the larger this year first
    assert rows == [("中小学生", 2, 1), ("职业驾驶人", 1, 0), ("一般群众", 0, 1), ("老年人", 1, 1)]
    months = breakdown(
        indicator_key="events.attendees", field="month", brigade_ids=[events.pk], period=period
    )
    assert months == [("5月", 0, 900), ("3月", 800, 200), ("1月", 0, 60), ("6月", 40, 0), ("12月", 10, 0)]


def test_the_same_days_as_evaluate_for_the_year_so_far(events):
    """[start, end) and the same days a year earlier (Period.previous), as `evaluate` counts."""
    period = Period.year_to_date(YEAR, datetime.date(YEAR, 3, 1))  # up to and including 1 March
    rows = breakdown(indicator_key="events.attendees", field="kind", brigade_ids=[events.pk], period=period)
    assert rows == [("进校园", 500, 200), ("集中宣传", 0, 60)]
    figure = evaluate(brigade_ids=[events.pk], period=period, keys=["events.attendees"])["events.attendees"]
    assert (figure.current, figure.previous) == (500, 260)


def test_brigades_are_summed_and_others_left_out(events, other_brigade):
    period = Period.year(YEAR)
    both = breakdown(
        indicator_key="events.attendees",
        field="kind",
        brigade_ids=[events.pk, other_brigade.pk],
        period=period,
    )
    assert both[0] == ("进校园", 100800, 200)
    assert breakdown(indicator_key="events.attendees", field="kind", brigade_ids=[], period=period) == []


def test_violations_by_type_name_and_campaign_local_time(brigade):
    """A foreign key reads as the row it points to (违法行为's name); an empty one as 未填写. A
    violation at 23:30 on 31 December, Beijing time, is of that year, as in `evaluate`."""
    summer = Campaign.objects.create(
        brigade=brigade, name="夏季夜查", start_date=datetime.date(YEAR, 6, 1), kind="集中整治", officers=10
    )
    Violation.objects.filter(pk=violation(brigade, 1, at(YEAR, 6, 2), "醉酒驾驶").pk).update(campaign=summer)
    violation(brigade, 2, at(YEAR, 12, 31, 23), "酒后驾驶")
    violation(brigade, 3, at(YEAR, 12, 31, 23), "酒后驾驶")
    violation(brigade, 4, at(YEAR - 1, 4, 1), "醉酒驾驶")
    violation(brigade, 5, at(YEAR + 1, 1, 1, 0), "醉酒驾驶")  # 00:00 on 1 January: next year
    violation(brigade, 6, at(YEAR, 5, 1), "超速")  # not 酒醉驾: not in the figure
    period = Period.year(YEAR)
    by_type = breakdown(
        indicator_key="violations.drunk", field="violation_type", brigade_ids=[brigade.pk], period=period
    )
    assert by_type == [("酒后驾驶", 2, 0), ("醉酒驾驶", 1, 1)]
    by_campaign = breakdown(
        indicator_key="violations.total", field="campaign", brigade_ids=[brigade.pk], period=period
    )
    assert by_campaign == [("未填写", 3, 1), ("夏季夜查", 1, 0)]
    months = breakdown(
        indicator_key="violations.drunk", field="month", brigade_ids=[brigade.pk], period=period
    )
    assert months == [("12月", 2, 0), ("6月", 1, 0), ("4月", 0, 1)]


def test_a_sum_of_decimals(brigade):
    Violation.objects.filter(pk=violation(brigade, 1, at(YEAR, 2, 1)).pk).update(fine=Decimal("200.50"))
    rows = breakdown(
        indicator_key="violations.fines", field="method", brigade_ids=[brigade.pk], period=Period.year(YEAR)
    )
    assert rows == [("现场", Decimal("200.50"), 0)]


def test_one_query_for_both_periods(events, brigade):
    violation(brigade, 1, at(YEAR, 6, 2), "醉酒驾驶")
    for key, field in [
        ("events.attendees", "kind"),
        ("violations.total", "violation_type"),
        ("violations.total", "month"),
    ]:
        with CaptureQueriesContext(connection) as captured:
            breakdown(indicator_key=key, field=field, brigade_ids=[brigade.pk], period=Period.year(YEAR))
        assert len(captured) == 1, (key, field)


def test_only_a_declared_field_and_never_a_rate(events):
    period = Period.year(YEAR)
    with pytest.raises(ValueError, match=r"没有声明按 'place' 分解（可用：kind、audience、month）"):
        breakdown(indicator_key="events.attendees", field="place", brigade_ids=[events.pk], period=period)
    with pytest.raises(ValueError, match="是比率"):
        breakdown(indicator_key="calls.visit_rate", field="month", brigade_ids=[events.pk], period=period)
    with pytest.raises(KeyError, match="没有声明指标"):
        breakdown(indicator_key="events.attendes", field="kind", brigade_ids=[events.pk], period=period)
