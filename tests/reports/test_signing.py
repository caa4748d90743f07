"""签发 is deliberate: a page of its own naming what it locks, a box to tick, not a button beside
退回修改. Undoing a signed report (撤销定稿) is the leader's: the legal officer asks, with a
reason, and the leader undoes it or declines with a reason of their own."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from brigade import locks
from brigade.models import Training
from reports import services
from reports.models import AnnualReport, UnfinaliseRequest
from tests.conftest import login

YEAR = 2025
LOCKS = f"签发后报告定稿，{YEAR}年度台账锁定，不能再新增、修改、删除或导入记录"


@pytest.fixture
def submitted(brigade, legal, leader):
    leader.first_name = "张建国"
    leader.save()
    Training.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 3, 1),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=30,
    )
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    report.refresh_from_db()
    return report


@pytest.fixture
def final(submitted, leader):
    services.report_transition(report=submitted, to="final", user=leader)
    submitted.refresh_from_db()
    return submitted


def test_signing_is_a_page_of_its_own_with_a_box_to_tick(submitted, as_leader, leader):
    sign_url = reverse("reports:sign", args=[submitted.pk])
    page = as_leader.get(reverse("reports:detail", args=[submitted.pk])).content.decode()
    assert f'<form method="get" action="{sign_url}"' in page  # the report page's 签发 opens the page
    assert 'name="to" value="final"' not in page  # no one-click signing beside 退回修改

    sign = as_leader.get(sign_url).content.decode()
    assert LOCKS in sign and "张建国" in sign and "报告中的数字与最新台账一致" in sign
    assert timezone.localdate().strftime("%Y年") in sign and "（签发当天）" in sign
    assert 'type="checkbox" name="confirm" required' in sign and "确认签发" in sign and "退回修改" in sign

    url = reverse("reports:transition", args=[submitted.pk])
    unticked = as_leader.post(url, {"to": "final"}, follow=True)
    assert (
        unticked.redirect_chain[-1][0] == sign_url
        and "请在本页核对报告，并勾选确认" in unticked.content.decode()
    )
    submitted.refresh_from_db()
    assert submitted.status == "review" and not submitted.signer

    signed = as_leader.post(url, {"to": "final", "confirm": "on"}, follow=True).content.decode()
    assert "报告状态：已定稿" in signed and f"{YEAR}年度台账已锁定" in signed
    submitted.refresh_from_db()
    assert (
        submitted.is_final
        and submitted.signer == "张建国"
        and YEAR in locks.locked_years(submitted.brigade_id)
    )
    last = submitted.history.first()
    assert last.history_user == leader and last.history_change_reason == "签发定稿：张建国签发"
    # signed: the page sends back to the report
    again = as_leader.get(sign_url, follow=True).content.decode()
    assert "不能签发" in again
    figures = as_leader.get(reverse("reports:stale", args=[submitted.pk])).content.decode()
    assert "报告已定稿：定稿文件中的数字保持定稿时的样子" in figures


def test_only_the_units_leader_opens_the_signing_page(
    submitted, as_legal, as_clerk, as_outsider, detachment_user
):
    url = reverse("reports:sign", args=[submitted.pk])
    assert as_legal.get(url).status_code == 403
    assert as_clerk.get(url).status_code == 403
    assert as_outsider.get(url).status_code == 404
    assert login(detachment_user).get(url).status_code == 403  # reads the brigade's report, does not sign it
    assert (
        as_legal.post(reverse("reports:transition", args=[submitted.pk]), {"to": "final"}).status_code == 403
    )


def test_a_detachments_signing_names_what_it_locks(detachment, brigade):
    from brigade.services import user_upsert
    from tests.conftest import PASSWORD

    officer = user_upsert(
        username="zd_legal", brigade_code="zd", role="legal", detachment=True, password=PASSWORD
    )[0]
    chief = user_upsert(
        username="zd_leader", brigade_code="zd", role="leader", detachment=True, password=PASSWORD
    )[0]
    Training.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 3, 1),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=30,
    )
    report = services.report_create(brigade=detachment, year=YEAR, user=officer)
    services.report_transition(report=report, to="review", user=officer)
    sign = login(chief).get(reverse("reports:sign", args=[report.pk])).content.decode()
    assert f"支队本级{YEAR}年度台账锁定" in sign and "各大队的台账在各大队自己的报告定稿时锁定" in sign


def test_the_legal_officer_asks_to_undo_it_and_the_leader_declines(final, as_legal, as_leader, legal, leader):
    url = reverse("reports:transition", args=[final.pk])
    assert as_legal.post(url, {"to": "draft", "reason": "主送机关写错"}).status_code == 403
    final.refresh_from_db()
    assert final.is_final
    page = as_legal.get(reverse("reports:detail", args=[final.pk])).content.decode()
    assert ">申请撤销定稿</button>" in page and '<button class="btn">撤销定稿</button>' not in page

    ask = reverse("reports:unfinalise_request", args=[final.pk])
    refused = as_legal.post(ask, {"reason": " "}, follow=True).content.decode()
    assert "请写明申请撤销定稿的理由" in refused and not UnfinaliseRequest.objects.exists()
    as_legal.post(ask, {"reason": "主送机关写错"})
    asked = UnfinaliseRequest.objects.get()
    assert asked.requested_by == legal and asked.decision == "pending"
    assert asked.history.first().history_user == legal
    twice = as_legal.post(ask, {"reason": "主送机关写错"}, follow=True).content.decode()
    assert "已有一份撤销定稿的申请等待领导处理" in twice and UnfinaliseRequest.objects.count() == 1
    assert "已申请撤销定稿，等待领导处理" in twice

    page = as_leader.get(reverse("reports:detail", args=[final.pk])).content.decode()
    assert "申请撤销定稿，理由：主送机关写错" in page and ">不同意撤销定稿</button>" in page
    assert '<button class="btn">撤销定稿</button>' in page
    assert 'value="主送机关写错"' in page  # the leader's 撤销定稿 starts from the officer's reason

    decline = reverse("reports:unfinalise_decline", args=[final.pk, asked.pk])
    assert (
        as_legal.post(decline, {"reason": "我自己不同意"}).status_code == 403
    )  # not the officer's to decide
    as_leader.post(decline, {"reason": "主送机关无误，不必撤销"})
    asked.refresh_from_db()
    final.refresh_from_db()
    assert (
        asked.decision == "declined"
        and asked.decided_by == leader
        and asked.decision_reason == "主送机关无误，不必撤销"
    )
    assert asked.history.first().history_user == leader and final.is_final
    page = as_legal.get(reverse("reports:detail", args=[final.pk])).content.decode()
    assert "领导不同意" in page and "主送机关无误，不必撤销" in page and ">申请撤销定稿</button>" in page


def test_the_leader_undoes_it_and_the_request_is_settled(final, as_legal, as_leader, leader):
    as_legal.post(reverse("reports:unfinalise_request", args=[final.pk]), {"reason": "主送机关写错"})
    as_leader.post(reverse("reports:transition", args=[final.pk]), {"to": "draft", "reason": "主送机关写错"})
    final.refresh_from_db()
    asked = UnfinaliseRequest.objects.get()
    assert final.status == AnnualReport.Status.DRAFT and YEAR not in locks.locked_years(final.brigade_id)
    assert asked.decision == "granted" and asked.decided_by == leader
    assert final.history.first().history_change_reason == "撤销定稿：主送机关写错"
    assert final.history.first().history_user == leader
    page = as_legal.get(reverse("reports:detail", args=[final.pk])).content.decode()
    assert "撤销定稿的申请（1）" in page and "已撤销定稿" in page
