"""Every figure's link opens the records it counts: the list's total is the figure, for every
registered indicator, the same brigade and the same period."""

import importlib
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from brigade.figures import Indicator, Period, evaluate, registry
from brigade.ledger import registry as ledgers
from reports.dashboard import ledger_url
from tests.conftest import login


@pytest.fixture
def sampled_demo(brigade, other_brigade):
    """The demo's records of two years for `brigade` (every ledger, every kind of record), the
    large ledgers thinned to 3% so the test stays quick; and some of another brigade's."""
    today = timezone.localdate()
    rng = random.Random(7)
    for target, share in ((brigade, 0.03), (other_brigade, 0.005)):

        def save(model, objs, share=share):
            if len(objs) > 1000:
                objs = [o for o in objs if rng.random() < share]
            model.objects.bulk_create(objs, batch_size=1000)

        for app in ("brigade", "enforcement", "mediation", "publicity"):
            importlib.import_module(f"{app}.demo").populate(
                brigade=target, years=[today.year - 1, today.year], today=today, rng=rng, save=save
            )
    return brigade


def test_every_indicator_links_to_a_list_whose_total_is_the_figure(sampled_demo, legal):
    client = login(legal)
    today = timezone.localdate()
    indicators = [i for i in registry.all() if isinstance(i, Indicator)]
    # every indicator counts a dated ledger (a ledger need not have one: docs/ledgers.md)
    assert {i.model for i in indicators} <= {lg.model for lg in ledgers.all() if lg.date_field}
    checked = 0
    for period in (Period.year_to_date(today.year, today), Period.year(today.year - 1)):
        figures = evaluate(brigade_ids=[sampled_demo.pk], period=period)
        for indicator in indicators:
            figure = figures[indicator.key]
            url = ledger_url(figure, period, None)
            response = client.get(url)
            assert response.status_code == 200, url
            shown = response.context["indicator"]
            assert shown["indicator"] is indicator
            assert Decimal(shown["value"]) == Decimal(figure.current), (indicator.key, period.label)
            if indicator.aggregate == "count":
                assert response.context["paginator"].count == figure.current, (indicator.key, period.label)
            checked += bool(figure.current)
    # Thinned as it is, the demo still leaves most indicators with records to count.
    assert checked > len(indicators)


def test_a_list_narrowed_by_period_counts_from_the_rollups_exactly(sampled_demo, legal, detachment_user):
    today = timezone.localdate()
    for user in (legal, detachment_user):
        client = login(user)
        for kind in ("violations", "accidents", "training", "events"):
            for query in (
                {},
                {"year": today.year},
                {"year": today.year - 1},
                {"period_after": f"{today.year - 1}-03-15", "period_before": f"{today.year}-02-03"},
                {"year": today.year - 1, "period_after": f"{today.year - 1}-12-31"},
                {"brigade": sampled_demo.pk, "year": today.year - 1},
            ):
                response = client.get(f"/ledgers/{kind}/", query)
                paginator = response.context["paginator"]
                assert paginator.count == paginator.object_list.count(), (kind, query)
                # from the rollups (an unbounded list with nothing in it is simply counted)
                assert paginator.span is not None or paginator.count == 0, (kind, query)
        # a filter that is exactly a count indicator's condition (执法方式 现场 is violations.onsite,
        # or the indicator itself as 统计口径) is counted from that indicator's rollups, exactly
        for query in (
            {"method": "现场"},
            {"method": "非现场"},
            {"indicator": "violations.onsite"},
            {"violation_type__group": "酒醉驾"},
            {"method": "现场", "period_after": f"{today.year - 1}-03-15"},
        ):
            response = client.get("/ledgers/violations/", {"year": today.year - 1, **query})
            paginator = response.context["paginator"]
            assert paginator.span is not None and paginator.span[-1].startswith("violations."), query
            assert paginator.count == paginator.object_list.count() > 0, query
        # any other filter counts the records themselves
        for query in ({"outcome": "罚款", "method": "现场"}, {"q": "湘"}, {"indicator": "violations.fines"}):
            response = client.get("/ledgers/violations/", {"year": today.year, **query})
            paginator = response.context["paginator"]
            assert paginator.span is None and paginator.count == paginator.object_list.count(), query
