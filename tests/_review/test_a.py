import datetime, time
import pytest
from django.db import connection
from django.db.models import Q
from brigade import rollup
from brigade.figures import Period, evaluate, registry
from brigade.models import MonthlyRollup, Training
from enforcement.models import Violation
from tests.reports.test_indicators import at, violation
from tests.conftest import login


def direct(bids, start, end, key="violations.total"):
    ind = registry.get(key)
    return ind.model._default_manager.filter(brigade_id__in=bids).filter(
        rollup.range_q(ind.model, start, end)).aggregate(v=ind.expression(Q()))["v"] or 0


@pytest.mark.usefixtures("violation_types")
def test_feb28_previous(brigade):
    violation(brigade, 1, at(2023, 2, 28))
    p = Period.year_to_date(2024, datetime.date(2024, 2, 28))
    f = evaluate(brigade_ids=[brigade.pk], period=p, keys=["violations.total"])["violations.total"]
    print("previous period", p.previous.start, p.previous.end, "figure", f.previous,
          "direct same days", direct([brigade.pk], datetime.date(2023, 1, 1), datetime.date(2023, 3, 1)))
    assert f.previous == 1


@pytest.mark.usefixtures("violation_types")
def test_rolling_year_period(brigade):
    violation(brigade, 1, at(2024, 3, 10))  # previous period only
    violation(brigade, 2, at(2024, 3, 20))  # current only
    violation(brigade, 3, at(2024, 3, 21))  # current only
    p = Period(datetime.date(2024, 3, 15), datetime.date(2025, 3, 15))
    f = evaluate(brigade_ids=[brigade.pk], period=p, keys=["violations.total"])["violations.total"]
    exp = (direct([brigade.pk], p.start, p.end), direct([brigade.pk], p.previous.start, p.previous.end))
    print("got", (f.current, f.previous), "expected", exp)
    assert (f.current, f.previous) == exp


@pytest.mark.usefixtures("violation_types")
def test_has_previous_uses_whole_month(brigade):
    violation(brigade, 1, at(2024, 1, 20))
    p = Period.year_to_date(2025, datetime.date(2025, 1, 5))
    f = evaluate(brigade_ids=[brigade.pk], period=p, keys=["violations.total"])["violations.total"]
    print("has_previous", f.has_previous, "previous", f.previous)
    assert f.has_previous is False


def test_list_old_record_creates_buckets(brigade, other_brigade, detachment_user, django_assert_max_num_queries):
    Training.objects.create(brigade=brigade, date=datetime.date(1900, 1, 1), name="x", kind="全警培训",
                            mode="线下", attendees=3)
    Training.objects.create(brigade=brigade, date=datetime.date(2025, 1, 1), name="y", kind="全警培训",
                            mode="线下", attendees=3)
    client = login(detachment_user)
    t = time.perf_counter()
    r = client.get("/ledgers/training/")
    dt = time.perf_counter() - t
    t = time.perf_counter()
    r = client.get("/ledgers/training/")
    dt2 = time.perf_counter() - t
    n = MonthlyRollup.objects.count()
    print("rows", n, "first", dt, "second", dt2, "count", r.context["paginator"].count)
    assert n < 100
