import dataclasses
import datetime

import pytest
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
    Training.objects.create(
        brigade=other_brigade,
        date=datetime.date(year, 1, 1),
        name="乙县独有培训",
        kind="全警培训",
        mode="线下",
        attendees=99,
    )
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


def test_a_figure_links_to_the_records_it_counts(as_leader, records):
    drunk = cards(as_leader.get(reverse("home")))["violations.drunk"]
    assert drunk.url == (
        reverse("ledger:list", args=["violations"])
        + f"?indicator=violations.drunk&period_after={TODAY.year}-01-01&period_before={TODAY}"
    )
    listed = as_leader.get(drunk.url)
    assert listed.context["paginator"].count == 1
    assert "按统计口径「酒醉驾」合计 <strong>1起</strong>" in listed.content.decode()


def test_query_count_does_not_grow_with_the_data(as_leader, records, brigade):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            as_leader.get(reverse("home"))
        return len(captured)

    first = queries()  # counts every month afresh and stores it
    for n in range(30):
        violation(brigade, 100 + n, at(TODAY.year, 1, 3))
    after_change = queries()  # January counted again, the rest read as stored
    warm = queries()
    assert warm <= after_change <= first <= 30
    for n in range(300):
        violation(brigade, 1000 + n, at(TODAY.year - 1, 2, 3))
    queries()
    assert queries() == warm


def test_the_year_selector_shows_a_past_year_whole(as_leader, records, brigade):
    response = as_leader.get(reverse("home"), {"year": TODAY.year - 1})
    drunk = cards(response)["violations.drunk"]
    # the brigade kept no violations at all two years ago: nothing to compare with
    assert drunk.value == "2起" and drunk.change == "去年同期无记录" and drunk.direction == "none"
    assert len(response.context["trends"][0]["months"]) == 12
    violation(brigade, 9, at(TODAY.year - 2, 5, 1), "超速")
    drunk = cards(as_leader.get(reverse("home"), {"year": TODAY.year - 1}))["violations.drunk"]
    assert drunk.change == "去年同期为0" and drunk.direction == "up" and drunk.tone == "neutral"


def test_detachment_user_sees_each_brigade_side_by_side(detachment_user, records, brigade):
    from brigade.services import brigade_upsert

    brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")
    client = login(detachment_user)
    response = client.get(reverse("home"))
    names = response.context["comparison"]["brigades"]
    assert names == ["甲县大队", "丙县大队"]  # 乙县 is not under this detachment; the 支队 is no row
    assert response.context["scope_name"] == "测试支队"
    one = client.get(reverse("home"), {"brigade": brigade.pk})
    assert cards(one)["violations.drunk"].value == "1起"
    assert f"brigade={brigade.pk}" in cards(one)["violations.drunk"].url


def test_due_dates_of_the_report(as_leader, records):
    due = as_leader.get(reverse("home"), {"year": 2025}).context["due"]
    assert (due["submit"], due["publish"]) == (datetime.date(2026, 3, 1), datetime.date(2026, 4, 1))


def test_a_mistyped_indicator_key_fails_the_system_check(monkeypatch):
    from reports import checks, dashboard

    assert checks.check_indicator_keys() == []
    cards = (*dashboard.DASHBOARD.cards, "violations.overlod")
    monkeypatch.setattr(dashboard, "DASHBOARD", dataclasses.replace(dashboard.DASHBOARD, cards=cards))
    errors = checks.check_indicator_keys()
    assert [e.id for e in errors] == ["reports.E001"] and "violations.overlod" in errors[0].msg


def test_a_dashboard_that_cannot_be_drawn_fails_the_system_check(monkeypatch):
    from reports import checks, dashboard

    assert checks.check_dashboard() == []
    declared = dashboard.DASHBOARD
    broken = dataclasses.replace(
        declared,
        trends=(dashboard.Trend("调解率", ("accidents.mediation_rate",)),),
        breakdowns=(dashboard.Breakdown("按地点", "violations.total", "location"),),
    )
    monkeypatch.setattr(dashboard, "DASHBOARD", broken)
    errors = checks.check_dashboard()
    assert [e.id for e in errors] == ["reports.E004", "reports.E003"]
    assert "accidents.mediation_rate" in errors[0].msg and "location" in errors[1].msg


@pytest.mark.django_db
def test_a_figure_named_in_the_declaration_appears_as_a_card(brigade, monkeypatch):
    from reports import dashboard

    declared = dashboard.DASHBOARD
    monkeypatch.setattr(
        dashboard, "DASHBOARD", dataclasses.replace(declared, cards=(*declared.cards, "media.views"))
    )
    shown = dashboard.dashboard(brigade_ids=[brigade.pk], year=2025, today=datetime.date(2025, 6, 30))
    assert [c.figure.key for c in shown["cards"]][-1] == "media.views"


def _accident(brigade, n, when):
    from mediation.models import AccidentCase

    return AccidentCase.objects.create(
        brigade=brigade,
        case_no=f"A{brigade.pk}-{n}",
        occurred_at=when,
        severity="轻微事故",
        procedure="快处快赔",
        mediation_method="现场调解",
        mediation_result="调解成功",
    )


def test_the_detachment_view_opens_with_its_brigades_ranked_by_each_figure(detachment_user, brigade):
    """Per key figure: each brigade's value, change and rank, 1 the best by the indicator's own
    direction (the fewest accidents); equal values share a rank; no rank where neither is better."""
    from brigade.services import brigade_upsert

    c = brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")[0]
    d = brigade_upsert(code="d", name="丁县公安局交通警察大队", short_name="丁县大队", parent_code="zd")[0]
    year = TODAY.year - 1
    for unit, now, before in ((brigade, 3, 2), (c, 1, 4), (d, 3, 0)):
        for n in range(now):
            _accident(unit, n, at(year, 3, 1 + n))
        for n in range(before):
            _accident(unit, 100 + n, at(year - 1, 3, 1 + n))
    violation(brigade, 1, at(year, 2, 1), "醉酒驾驶")
    client = login(detachment_user)
    response = client.get(reverse("home"), {"year": year})
    comparison = response.context["comparison"]
    assert comparison["brigades"] == ["甲县大队", "丙县大队", "丁县大队"]
    rows = {row["label"]: row for row in comparison["rows"]}
    accidents = rows["交通事故"]["cells"]
    assert [cell["value"] for cell in accidents] == ["3起", "1起", "3起"]
    assert [cell["rank"] for cell in accidents] == [2, 1, 2] and accidents[0]["tied"]
    assert accidents[0]["change"] == "较去年同期上升50%" and accidents[0]["tone"] == "bad"
    assert accidents[1]["change"] == "较去年同期下降75%" and accidents[1]["tone"] == "good"
    assert f"brigade={c.pk}" in accidents[1]["url"]
    assert [cell["rank"] for cell in rows["酒醉驾"]["cells"]] == [None, None, None]  # neither direction
    page = response.content.decode()
    assert "测试支队所辖各大队对比" in page and "并列第2名" in page and "不分好坏，不排名" in page
    assert page.index('id="compare"') < page.index('class="kpis"')  # the page opens with it


def test_a_brigade_that_recorded_nothing_is_not_ranked_first(detachment_user, brigade):
    """丁县大队 has no accident records at all this year: its 0 is no result, not the best one."""
    from brigade.services import brigade_upsert

    c = brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")[0]
    brigade_upsert(code="d", name="丁县公安局交通警察大队", short_name="丁县大队", parent_code="zd")
    year = TODAY.year - 1
    for unit, now in ((brigade, 3), (c, 1)):
        for n in range(now):
            _accident(unit, n, at(year, 3, 1 + n))
    comparison = login(detachment_user).get(reverse("home"), {"year": year}).context["comparison"]
    accidents = {row["label"]: row for row in comparison["rows"]}["交通事故"]["cells"]
    assert [cell["rank"] for cell in accidents] == [2, 1, None]
    assert accidents[2]["value"] == "本期无记录"


def test_the_comparison_costs_the_same_queries_for_more_brigades(detachment_user, brigade):
    from brigade.services import brigade_upsert

    brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")
    client = login(detachment_user)

    def queries():
        client.get(reverse("home"))  # counts and stores the months
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).context["comparison"]
        return len(captured)

    two = queries()
    for code in "efgh":
        unit = brigade_upsert(
            code=code, name=f"{code}县公安局交通警察大队", short_name=f"{code}县大队", parent_code="zd"
        )[0]
        violation(unit, 1, at(TODAY.year, 1, 1))
    assert queries() == two


def test_the_detachment_view_states_the_detachments_own_report(detachment_user, detachment, brigade, legal):
    from brigade.services import brigade_upsert
    from reports import services

    brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")
    year = TODAY.year - 1
    violation(brigade, 1, at(year, 5, 1))  # the year has records, so it can be chosen
    services.report_create(brigade=brigade, year=year, user=legal)  # a brigade's: not the 支队's
    client = login(detachment_user)
    assert client.get(reverse("home"), {"year": year}).context["report"] is None  # 尚未起草
    own = services.report_create(brigade=detachment, year=year)
    response = client.get(reverse("home"), {"year": year})
    assert response.context["report"].pk == own.pk
    assert reverse("reports:detail", args=[own.pk]) in response.content.decode()


def test_a_workload_is_neither_coloured_nor_ranked(detachment_user, brigade):
    """Events held and calls received are workloads: a card shows how they moved, never good or
    bad, and the brigades are not ranked by them; the people the events reached (an outcome) are."""
    from brigade.services import brigade_upsert
    from mediation.models import PoliceCall
    from publicity.models import PublicityEvent

    c = brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")[0]
    year = TODAY.year - 1
    for unit, now, before in ((brigade, 1, 3), (c, 2, 1)):
        for n in range(now):
            PublicityEvent.objects.create(
                brigade=unit,
                date=datetime.date(year, 4, 1 + n),
                name=f"活动{n}",
                kind="进校园",
                audience="中小学生",
                attendees=100,
            )
        for n in range(before):
            PublicityEvent.objects.create(
                brigade=unit,
                date=datetime.date(year - 1, 4, 1 + n),
                name=f"旧活动{n}",
                kind="进校园",
                audience="中小学生",
                attendees=100,
            )
        for n in range(now):
            PoliceCall.objects.create(
                brigade=unit, received_at=at(year, 5, 1 + n), category="其他", follow_up="满意"
            )
    client = login(detachment_user)
    response = client.get(reverse("home"), {"year": year, "brigade": brigade.pk})
    events = cards(response)["events.total"]
    assert events.direction == "down" and events.tone == "neutral"
    assert cards(response)["events.attendees"].tone == "bad"  # 300 → 100 people reached
    rows = {
        row["label"]: row for row in client.get(reverse("home"), {"year": year}).context["comparison"]["rows"]
    }
    for label in ("开展各类宣传活动", "接警", "组织学法培训", "查纠各类交通违法行为"):
        row = rows[label]
        assert (row["kind"], row["ranked"], row["sense"]) == ("workload", False, "工作量，不分好坏，不排名")
        assert {cell["rank"] for cell in row["cells"]} == {None}
        assert {cell["tone"] for cell in row["cells"]} == {"neutral"}
    attendees = rows["受教育群众"]
    assert attendees["ranked"] and attendees["sense"] == "越高越好" and attendees["why"]
    assert [cell["rank"] for cell in attendees["cells"]] == [2, 1]
    assert [cell["tone"] for cell in attendees["cells"]] == ["bad", "good"]
