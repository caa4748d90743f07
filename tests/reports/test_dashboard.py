import datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brigade.models import Training
from tests.conftest import login
from tests.reports.test_indicators import at, violation

TODAY = timezone.localdate()


@pytest.fixture
def records(brigade, other_brigade):
    year = TODAY.year
    violation(brigade, 1, at(year, 1, 1), "醉酒驾驶")
    violation(brigade, 2, at(year - 1, 1, 1), "醉酒驾驶")
    violation(brigade, 3, at(year - 1, 1, 2), "醉酒驾驶")
    violation(other_brigade, 4, at(year, 1, 1), "醉酒驾驶")
    Training.objects.create(brigade=other_brigade, date=datetime.date(year, 1, 1), name="乙县独有培训",
                            kind="全警培训", mode="线下", attendees=99)  # fmt: skip
    return brigade


def cards(response):
    return {c.figure.key: c for c in response.context["cards"]}


@pytest.mark.parametrize("role", ["clerk", "legal", "leader"])
def test_every_role_lands_on_the_dashboard(role, records, request):
    client = login(request.getfixturevalue(role))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    drunk = cards(response)["violations.drunk"]
    assert drunk.value == "1起" and drunk.change == "较去年同期下降50%" and drunk.direction == "down"


def test_another_brigade_never_appears(as_clerk, records):
    response = as_clerk.get(reverse("home"))
    assert cards(response)["training.sessions"].value == "0期"
    assert "乙县" not in response.content.decode()
    assert response.context["comparison"] is None


def test_a_figure_links_to_its_filtered_ledger(as_leader, records):
    drunk = cards(as_leader.get(reverse("home")))["violations.drunk"]
    assert (
        drunk.url
        == reverse("ledger:list", args=["violations"])
        + f"?year={TODAY.year}&violation_type__group=%E9%85%92%E9%86%89%E9%A9%BE"
    )
    listed = as_leader.get(drunk.url)
    assert listed.context["paginator"].count == 1


def test_the_year_selector_shows_a_past_year_whole(as_leader, records):
    response = as_leader.get(reverse("home"), {"year": TODAY.year - 1})
    drunk = cards(response)["violations.drunk"]
    assert drunk.value == "2起" and drunk.change == "去年同期为0"
    assert len(response.context["trends"][0]["months"]) == 12


def test_query_count_does_not_grow_with_the_data(as_leader, records, brigade):
    def queries():
        caches["figures"].clear()  # count the queries of a dashboard computed afresh
        with CaptureQueriesContext(connection) as captured:
            as_leader.get(reverse("home"))
        return len(captured)

    first = queries()
    for n in range(30):
        violation(brigade, 100 + n, at(TODAY.year, 1, 3))
    assert queries() == first <= 15
    # once counted, the figures are served from the cache until a record changes
    with CaptureQueriesContext(connection) as captured:
        as_leader.get(reverse("home"))
    assert len(captured) < first


def test_detachment_user_sees_each_brigade_side_by_side(detachment_user, records, brigade):
    client = login(detachment_user)
    response = client.get(reverse("home"))
    names = [name for name, _ in response.context["comparison"]["rows"]]
    assert names == ["甲县大队", "测试支队"]  # 乙县 is not under this detachment
    one = client.get(reverse("home"), {"brigade": brigade.pk})
    assert cards(one)["violations.drunk"].value == "1起"
    assert f"brigade={brigade.pk}" in cards(one)["violations.drunk"].url


def test_due_dates_of_the_report(as_leader, records):
    due = as_leader.get(reverse("home"), {"year": 2025}).context["due"]
    assert (due["submit"], due["publish"]) == (datetime.date(2026, 3, 1), datetime.date(2026, 4, 1))
