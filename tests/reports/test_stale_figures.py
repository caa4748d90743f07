"""What is signed is what the ledger says: a record added after the report was drafted makes a
sentence of it out of date; the officer sees it, the submit shows it and records it, and 签发 is
refused until the officer takes the new figures or records why the text keeps its own."""

import datetime

import pytest
from django.urls import reverse

from brigade.models import Training
from reports import merge, services, stale
from reports.models import FigureAcknowledgement
from tests.conftest import login

YEAR = 2025
SIGN = {"to": "final", "confirm": "on"}  # as the 签发 page posts it


def trainings(brigade, count, *, start=0):
    for n in range(start, start + count):
        Training.objects.create(
            brigade=brigade,
            date=datetime.date(YEAR, 1 + n % 12, 1 + n % 28),
            name=f"学法培训{n}",
            kind="专题学法",
            mode="线下",
            attendees=40,
        )


@pytest.fixture
def report(brigade, legal):
    """Drafted with 学法培训20期; then one more training is recorded."""
    trainings(brigade, 20)
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    assert "学法培训20期，参训800人次" in report.sections.get(key="1.study").body
    trainings(brigade, 1, start=20)
    return report


def fragment(client, report):
    """The figures check as the report page fetches it after showing (static/js/app.js)."""
    response = client.get(reverse("reports:stale", args=[report.pk]), HTTP_X_FRAGMENT="1")
    assert response.status_code == 200 and response["X-Fragment"] == "stale-figures"
    return response.content.decode()


def test_the_sentence_is_shown_and_signing_waits_for_a_recorded_reason(
    report, as_legal, as_leader, legal, leader
):
    url = reverse("reports:transition", args=[report.pk])
    page = as_legal.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert f'data-fragment="{reverse("reports:stale", args=[report.pk])}"' in page
    html = fragment(as_legal, report)
    assert "报告中有1句话的数字与最新台账不一致" in html
    assert "学法培训<del>20</del>期，参训<del>800</del>人次" in html  # the report's, its old figures marked
    assert "学法培训<ins>21</ins>期，参训<ins>840</ins>人次" in html  # what the ledger says now
    assert "用最新台账数据更新" in html and "记录理由" in html

    # 提交: the sentence is shown first; nothing is submitted yet
    shown = as_legal.post(url, {"to": "review"})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "学法培训<del>20</del>期" in html and "仍然提交领导签发（1句数字未更新）" in html
    report.refresh_from_db()
    assert report.status == "draft"

    # submitted anyway: the history says with how many
    assert as_legal.post(url, {"to": "review", "accept_stale": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "review" and report.stale_at_submit == 1
    last = report.history.first()
    assert last.history_user == legal and "有1句数字与最新台账不一致" in last.history_change_reason
    assert "须先撤回或退回修改" in fragment(as_legal, report)  # waiting for 签发: no editing

    # the leader sees the sentence on the 签发 page, and cannot sign
    sign = as_leader.get(reverse("reports:sign", args=[report.pk])).content.decode()
    assert "不能签发" in sign and "学法培训<del>20</del>期" in sign and "学法培训<ins>21</ins>期" in sign
    assert "确认签发" not in sign and "提交时报告中有1句话" not in sign  # (that line is the report page's)
    assert "法制员提交时，报告中有1句话的数字与台账不一致" in sign
    refused = as_leader.post(url, SIGN, follow=True).content.decode()
    assert "报告中有1句话的数字与最新台账不一致" in refused and "不能签发" in refused
    assert "学法培训20期" in refused  # the message names the sentence
    report.refresh_from_db()
    assert report.status == "review" and not report.signer

    # the officer records why the figures stay (while the report waits): it may be signed
    (mismatch,) = stale.mismatches(report)
    response = as_legal.post(
        reverse("reports:acknowledge", args=[report.pk]),
        {"mismatch": mismatch.id, "reason": "该数字按市局培训计划口径核定"},
    )
    assert response.status_code == 302
    ack = FigureAcknowledgement.objects.get(report=report)
    assert ack.acknowledged_by == legal and ack.reason == "该数字按市局培训计划口径核定"
    assert "20" in ack.stated and "21" in ack.ledger and "20期" in ack.sentence
    assert ack.history.first().history_user == legal
    assert ack.history.first().history_change_reason == "记录保留原数字的理由：该数字按市局培训计划口径核定"
    sign = as_leader.get(reverse("reports:sign", args=[report.pk])).content.decode()
    assert "该数字按市局培训计划口径核定" in sign and "确认签发" in sign
    as_leader.post(url, SIGN)
    report.refresh_from_db()
    assert report.is_final and report.finalised_by == leader


def test_a_reason_holds_only_while_the_ledger_gives_the_figures_it_was_given_for(report, legal, leader):
    (mismatch,) = stale.mismatches(report)
    stale.figure_acknowledge(
        report=report, mismatch_id=mismatch.id, reason="该数字按市局口径核定", user=legal
    )
    assert not stale.blocking(stale.mismatches(report))
    trainings(report.brigade, 1, start=21)  # the ledger changes again: 22期
    (again,) = stale.mismatches(report)
    assert again.blocking and "22期" in again.fresh
    services.report_transition(report=report, to="review", user=legal, accept_stale=1)
    with pytest.raises(Exception, match="与最新台账不一致"):
        services.report_transition(report=report, to="final", user=leader)
    report.refresh_from_db()
    assert report.status == "review"


def test_taking_the_new_figures_clears_it(report, as_legal, leader):
    as_legal.post(reverse("reports:redraft", args=[report.pk]), {"take": ["1.study"]})
    assert "学法培训21期，参训840人次" in report.sections.get(key="1.study").body
    assert "与最新台账一致" in fragment(as_legal, report)
    response = as_legal.post(reverse("reports:transition", args=[report.pk]), {"to": "review"})
    assert response.status_code == 302  # nothing to show: submitted at once
    report.refresh_from_db()
    assert report.status == "review" and report.stale_at_submit == 0
    login(leader).post(reverse("reports:transition", args=[report.pk]), SIGN)
    report.refresh_from_db()
    assert report.is_final and report.final_figures["training.sessions"]["current"] == 21


def test_a_submit_with_every_sentence_explained_goes_straight_ahead_and_says_so(report, as_legal, legal):
    (mismatch,) = stale.mismatches(report)
    stale.figure_acknowledge(
        report=report, mismatch_id=mismatch.id, reason="该数字按市局口径核定", user=legal
    )
    assert as_legal.post(reverse("reports:transition", args=[report.pk]), {"to": "review"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "review" and report.stale_at_submit == 0
    assert "1句数字与最新台账不一致，均已记录理由" in report.history.first().history_change_reason


def test_only_the_legal_officer_gives_a_reason_and_it_must_say_something(
    report, as_legal, as_leader, as_clerk
):
    (mismatch,) = stale.mismatches(report)
    url = reverse("reports:acknowledge", args=[report.pk])
    assert as_leader.post(url, {"mismatch": mismatch.id, "reason": "该数字按市局口径核定"}).status_code == 403
    assert "记录理由" not in fragment(as_leader, report)  # the leader reads, nothing to fill in
    assert as_clerk.get(reverse("reports:stale", args=[report.pk])).status_code == 403
    page = as_legal.post(url, {"mismatch": mismatch.id, "reason": "  "}, follow=True).content.decode()
    assert "请写明保留原数字的理由" in page
    page = as_legal.post(
        url, {"mismatch": "0" * 20, "reason": "该数字按市局口径核定"}, follow=True
    ).content.decode()
    assert "请刷新页面" in page  # a sentence the page no longer shows
    assert not FigureAcknowledgement.objects.exists()


def test_a_figure_the_records_no_longer_give_and_a_part_they_now_give(brigade, legal):
    Training.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 3, 1),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=30,
    )
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    assert report.sections.get(key="1.enforce").body == ""  # no violation recorded yet
    Training.objects.all().delete()  # recorded in error
    from tests.reports.test_indicators import at, violation

    violation(brigade, 1, at(YEAR, 4, 1), "醉酒驾驶")
    found = {m.section.key: m for m in stale.mismatches(report)}
    assert "学法培训1期" in found["1.study"].mine and found["1.study"].fresh == ""
    assert found["1.enforce"].mine == "" and "1起" in found["1.enforce"].fresh
    page = (
        login(legal).get(reverse("reports:stale", args=[report.pk])).content.decode()
    )  # the page of its own
    assert "台账中已没有这项记录" in page and "报告中没有这句话" in page and "返回报告" in page


@pytest.mark.parametrize(
    ("base", "fresh"),
    [
        # a point of 三 gone and another come: other things said, not other figures
        (
            "（一）台账录入的规范性仍需加强。2025年违法查处台账有重复记录。",
            "（一）执法监督仍需加强。全年发现问题10个，整改8个。",
        ),
        # a sentence whose only number is its year, no longer drafted: no figure to be wrong
        ("2025年违法查处台账有决定书编号只差空格的重复记录。", ""),
    ],
)
def test_what_the_draft_says_differently_is_not_a_stale_figure(base, fresh):
    assert merge.stale_sentences(base=base, mine=base, theirs=fresh) == []
