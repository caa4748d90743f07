"""Indicator values against hand-counted fixtures."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from brigade.figures import Period, evaluate, evaluate_each, registry
from brigade.indicators import staffing
from brigade.models import Officer, Training
from enforcement.models import SupervisionCheck, Violation, ViolationType
from mediation.models import AccidentCase, Complaint, PoliceCall

TZ = timezone.get_current_timezone()


def violation(brigade, n, when, type_name="超速", method="现场", outcome="罚款"):
    return Violation.objects.create(
        brigade=brigade,
        decision_no=f"D{brigade.pk}-{n}",
        occurred_at=when,
        violation_type=ViolationType.objects.get(name=type_name),
        method=method,
        outcome=outcome,
    )


def at(y, m, d, h=12):
    return datetime.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def counted(brigade, other_brigade):
    """2024: 3 violations (1 drunk); 2025: 5 (2 drunk, 1 helmet, 1 warning, 1 off-site), plus one
    of 2025 at 23:30 on 31 December, Beijing time, and another brigade's violations."""
    violation(brigade, 1, at(2024, 3, 1), "酒后驾驶")
    violation(brigade, 2, at(2024, 6, 1))
    violation(brigade, 3, at(2024, 12, 31))
    violation(brigade, 4, at(2025, 1, 2), "醉酒驾驶")
    violation(brigade, 5, at(2025, 2, 2), "酒后驾驶", method="非现场")
    violation(brigade, 6, at(2025, 3, 2), "电动自行车驾乘人员不戴安全头盔", outcome="警告")
    violation(brigade, 7, at(2025, 3, 3))
    violation(brigade, 8, at(2025, 12, 31, 23))  # 15:xx UTC: still 2025 in Shanghai
    for n in range(10):
        violation(other_brigade, 100 + n, at(2025, 5, 5), "酒后驾驶")
    return brigade


def test_counts_for_a_year_and_the_year_before(counted):
    f = evaluate(brigade_ids=[counted.pk], period=Period.year(2025))
    assert (f["violations.total"].current, f["violations.total"].previous) == (5, 3)
    assert (f["violations.drunk"].current, f["violations.drunk"].previous) == (2, 1)
    assert f["violations.drunk_severe"].current == 1
    assert f["violations.helmet"].current == 1
    assert f["violations.lenient"].current == 1
    assert (f["violations.onsite"].current, f["violations.offsite"].current) == (4, 1)
    assert f["violations.total"].change_percent == pytest.approx(Decimal("66.6667"), rel=Decimal("0.0001"))
    assert f["violations.total"].monthly[3] == (2, 1) and f["violations.total"].monthly[12] == (1, 1)


def test_another_brigade_never_leaks_in(counted, other_brigade):
    mine = evaluate(brigade_ids=[counted.pk], period=Period.year(2025), keys=["violations.drunk"])
    theirs = evaluate(brigade_ids=[other_brigade.pk], period=Period.year(2025), keys=["violations.drunk"])
    assert (mine["violations.drunk"].current, theirs["violations.drunk"].current) == (2, 10)
    each = evaluate_each(
        brigade_ids=[counted.pk, other_brigade.pk], period=Period.year(2025), keys=["violations.total"]
    )
    assert each[counted.pk]["violations.total"].current == 5
    assert each[other_brigade.pk]["violations.total"].current == 10


def test_an_empty_year_is_zero_and_has_no_change(brigade):
    f = evaluate(brigade_ids=[brigade.pk], period=Period.year(2023))
    assert f["violations.total"].current == 0 and f["violations.total"].previous == 0
    assert f["violations.total"].change_percent is None
    assert f["supervision.recorder_rate"].current is None  # no data, not 0%


def test_rates_come_from_their_counts_and_a_zero_denominator_is_no_data(brigade):
    SupervisionCheck.objects.create(
        brigade=brigade,
        date="2025-04-01",
        kind="执法记录仪检查",
        checked=40,
        passed=30,
        problems_found=5,
        problems_fixed=4,
        notices=1,
    )
    SupervisionCheck.objects.create(
        brigade=brigade,
        date="2025-05-01",
        kind="执法记录仪检查",
        checked=60,
        passed=57,
        problems_found=0,
        problems_fixed=0,
        notices=0,
    )
    SupervisionCheck.objects.create(
        brigade=brigade,
        date="2024-05-01",
        kind="案卷评查",
        checked=10,
        passed=10,
        problems_found=2,
        problems_fixed=1,
        notices=1,
    )
    f = evaluate(brigade_ids=[brigade.pk], period=Period.year(2025))
    assert f["supervision.recorder_rate"].current == Decimal(87)  # (30 + 57) / (40 + 60)
    assert f["supervision.recorder_rate"].previous is None  # no recorder checks in 2024
    assert f["supervision.fix_rate"].current == Decimal(80)
    assert f["supervision.fix_rate"].previous == Decimal(50)
    assert f["supervision.recorder"].current == 2 and f["supervision.files"].previous == 1


def test_mediation_and_complaint_rates(brigade):
    for n, result in enumerate(["调解成功", "调解成功", "调解成功", "调解未成功", "未申请调解"]):
        AccidentCase.objects.create(
            brigade=brigade,
            case_no=f"A{n}",
            occurred_at=at(2025, 6, 1),
            severity="轻微事故",
            procedure="快处快赔",
            mediation_method="现场调解",
            mediation_result=result,
        )
    Complaint.objects.create(
        brigade=brigade,
        received_date="2025-02-01",
        channel="信访",
        category="其他",
        closed_date="2025-02-10",
        satisfaction="满意",
    )
    Complaint.objects.create(
        brigade=brigade, received_date="2025-03-01", channel="电话", category="其他", satisfaction="未评价"
    )
    f = evaluate(brigade_ids=[brigade.pk], period=Period.year(2025))
    assert f["accidents.mediation_rate"].current == Decimal(75)  # 3 of the 4 that applied
    assert f["accidents.mediated_onsite"].current == 3 and f["accidents.quick"].current == 5
    assert f["complaints.close_rate"].current == Decimal(50)
    assert f["complaints.satisfaction"].current == Decimal(100)  # 1 of 1 rated
    assert f["complaints.petition"].current == 1


def test_year_to_date_compares_the_same_days(brigade):
    today = datetime.date(2025, 3, 15)
    Training.objects.create(
        brigade=brigade, date="2024-03-10", name="a", kind="全警培训", mode="线下", attendees=10
    )
    Training.objects.create(
        brigade=brigade, date="2024-03-20", name="b", kind="全警培训", mode="线下", attendees=10
    )
    Training.objects.create(
        brigade=brigade, date="2025-03-01", name="c", kind="全警培训", mode="线下", attendees=30
    )
    f = evaluate(brigade_ids=[brigade.pk], period=Period.year_to_date(2025, today))
    assert (f["training.sessions"].current, f["training.sessions"].previous) == (
        1,
        1,
    )  # 20 March 2024 is later
    assert (f["training.attendees"].current, f["training.attendees"].previous) == (30, 10)


def test_figures_follow_a_change_of_the_records(counted):
    keys = ["violations.total"]
    assert (
        evaluate(brigade_ids=[counted.pk], period=Period.year(2025), keys=keys)["violations.total"].current
        == 5
    )
    Violation.objects.filter(decision_no=f"D{counted.pk}-7").first().delete()
    assert (
        evaluate(brigade_ids=[counted.pk], period=Period.year(2025), keys=keys)["violations.total"].current
        == 4
    )
    # a reference-list change moves the figures too (a type regrouped)
    ViolationType.objects.filter(name="超速").update(group="酒醉驾")
    speeding = ViolationType.objects.get(name="超速")
    speeding.save()  # writes history: the figures' data version moves
    drunk = evaluate(brigade_ids=[counted.pk], period=Period.year(2025), keys=["violations.drunk"])
    assert drunk["violations.drunk"].current == 3


def test_staffing(brigade):
    today = datetime.date(2025, 7, 1)
    Officer.objects.create(
        brigade=brigade,
        badge_no="1",
        name="甲",
        category="民警",
        birth_date="1985-07-01",
        is_legal_officer="是",
        qualification="中级",
    )
    Officer.objects.create(brigade=brigade, badge_no="2", name="乙", category="民警", birth_date="1995-07-01")
    Officer.objects.create(brigade=brigade, badge_no="3", name="丙", category="辅警", status="在职")
    Officer.objects.create(
        brigade=brigade, badge_no="4", name="丁", category="民警", status="退休", birth_date="1960-01-01"
    )
    s = staffing(brigade_ids=[brigade.pk], on=today)
    assert s["by_category"] == {"民警": 2, "辅警": 1, "工勤人员": 0} and s["total"] == 3
    assert s["police_average_age"] == 35.0
    assert s["legal_officers"] == 1 and s["qualifications"]["中级"] == 1


def test_every_indicator_has_a_label_unit_and_ledger():
    for item in registry.all():
        assert item.label and item.unit
        if hasattr(item, "model"):
            assert item.ledger is not None, item.key


def test_indicators_command_prints_json(counted):
    out = io.StringIO()
    call_command("indicators", "--brigade", counted.code, "--year", "2025", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["violations.drunk"]["current"] == 2 and data["violations.drunk"]["previous"] == 1
    out = io.StringIO()
    call_command("indicators", "--brigade", counted.code, "--year", "2025", stdout=out)
    assert "酒醉驾" in out.getvalue() and "较去年同期上升100%" in out.getvalue()


def _calls(brigade, year, n, unsatisfied, follow_up="满意"):
    for i in range(n):
        PoliceCall.objects.create(
            brigade=brigade,
            received_at=at(year, 1 + i % 12, 1 + i % 28),
            category="交通事故",
            follow_up="不满意" if i < unsatisfied else follow_up,
        )


def test_fewer_follow_ups_because_of_fewer_calls_is_no_shortcoming(brigade):
    """The reviewer's case: every call followed up in both years, calls fell, dissatisfied
    follow-ups fell. Follow-ups (a workload) fell with the calls; the visit rate is flat; the
    dissatisfied ones are better. Nothing about calls is worse."""
    _calls(brigade, 2024, 40, unsatisfied=25)
    _calls(brigade, 2025, 35, unsatisfied=5)
    f = evaluate(brigade_ids=[brigade.pk], period=Period.year(2025))
    visited = f["calls.visited"]
    assert (visited.current, visited.previous, visited.trend) == (35, 40, "down")
    assert visited.item.kind == "workload" and visited.judgement is None and not visited.worse
    assert (f["calls.visit_rate"].current, f["calls.visit_rate"].previous) == (100, 100)
    assert f["calls.visit_rate"].trend == "flat" and f["calls.visit_rate"].judgement is None
    assert f["calls.unsatisfied"].better and f["calls.satisfaction"].better
    assert [k for k, figure in f.items() if figure.worse and k.startswith("calls.")] == []


def test_a_follow_up_left_undone_is_worse_through_the_visit_rate(brigade):
    _calls(brigade, 2024, 10, unsatisfied=0)
    _calls(brigade, 2025, 10, unsatisfied=0)
    first = PoliceCall.objects.filter(brigade=brigade, received_at__year=2025).order_by("pk").first()
    PoliceCall.objects.filter(pk=first.pk).update(follow_up="未回访")
    f = evaluate(brigade_ids=[brigade.pk], period=Period.year(2025))
    assert (f["calls.visit_rate"].current, f["calls.visit_rate"].previous) == (90, 100)
    assert f["calls.visit_rate"].worse and not f["calls.visited"].worse
