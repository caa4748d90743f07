"""The data check before drafting: keys typed two ways, records breaking a rule of their model,
and dismissing a warning with a reason (kept in the history, shown again when things change)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brigade.ledger.keys import key_text
from brigade.models import Role
from enforcement.models import Campaign, SupervisionCheck, Violation, ViolationType
from mediation.models import AccidentCase
from reports import dismissals, quality, services
from reports.models import WarningDismissal
from tests.conftest import _user, login
from tests.reports.test_indicators import at

YEAR = 2025


def fined(brigade, decision_no, when=None, outcome="罚款", fine=Decimal("200")):
    return Violation.objects.create(
        brigade=brigade,
        decision_no=decision_no,
        occurred_at=when or at(YEAR, 3, 1),
        violation_type=ViolationType.objects.get(name="超速"),
        method="现场",
        outcome=outcome,
        fine=fine,
    )


def warnings_of(brigade, kind):
    return [w for w in quality.data_warnings(brigade_ids=[brigade.pk], year=YEAR) if w["kind"] == kind]


def checks(client, report):
    """The report's data check, as the report page fetches it after showing (report_checks)."""
    return client.get(reverse("reports:checks", args=[report.pk]), headers={"X-Fragment": "1"})


def test_key_text_drops_spaces_and_makes_full_width_half_width():
    assert key_text("甲Ａ１２３４５") == "甲A12345"
    assert key_text("公交决字 2026 001") == key_text("公交决字\u30002026001") == "公交决字2026001"
    assert key_text("公交决字〔2026〕第001号") == "公交决字〔2026〕第001号"  # 〔〕 are not full-width ASCII


@pytest.fixture
def duplicates(brigade, other_brigade):
    fined(brigade, "公交决字2026001")
    fined(brigade, "公交决字 2026 001")
    fined(brigade, "公交决字２０２６００１")
    fined(brigade, "公交决字2026002")  # a different number
    fined(brigade, "甲Ａ１２３４５")  # odd, but alone: nothing to confuse it with
    fined(other_brigade, "公交决字2026001 ")  # another brigade's: not the same record
    fined(brigade, "公交决字2026009", when=at(YEAR - 1, 5, 1))
    fined(brigade, "公交决字 2026 009", when=at(YEAR - 1, 5, 2))  # last year's: not this report's
    return brigade


def test_keys_typed_two_ways_are_named_with_a_link_to_those_records(duplicates, as_legal):
    found = warnings_of(duplicates, "samekey")
    assert len(found) == 1, [w["text"] for w in found]
    text = found[0]["text"]
    assert "「违法查处」决定书编号" in text and "只差空格或全角、半角" in text
    assert "公交决字2026001" in text and "公交决字 2026 001" in text and "公交决字２０２６００１" in text
    ((label, url),) = found[0]["links"]
    assert label == "这3条记录"
    listed = as_legal.get(url)
    assert listed.status_code == 200
    assert sorted(obj.decision_no for obj, *_ in listed.context["rows"]) == sorted(
        ["公交决字2026001", "公交决字 2026 001", "公交决字２０２６００１"]
    )


def test_the_list_finds_a_key_whatever_its_spacing_or_width(duplicates, as_legal):
    listed = as_legal.get(reverse("ledger:list", args=["violations"]), {"key": "公交决字 ２０２６ ００１"})
    assert listed.context["paginator"].count == 3  # not the other brigade's


def test_a_key_of_name_and_date_is_the_same_only_on_the_same_day(brigade, as_legal):
    Campaign.objects.create(
        brigade=brigade,
        name="夏季治超百日行动",
        start_date=datetime.date(YEAR, 6, 1),
        kind="百日行动",
        officers=10,
    )
    Campaign.objects.create(
        brigade=brigade,
        name="夏季治超 百日行动",
        start_date=datetime.date(YEAR, 6, 1),
        kind="百日行动",
        officers=10,
    )
    Campaign.objects.create(
        brigade=brigade,
        name="夏季治超　百日行动",
        start_date=datetime.date(YEAR, 9, 1),
        kind="百日行动",
        officers=10,
    )
    found = warnings_of(brigade, "samekey")
    assert len(found) == 1 and "行动名称+开始日期" in found[0]["text"]
    listed = as_legal.get(found[0]["links"][0][1])
    assert listed.context["paginator"].count == 2  # the September one is another campaign


def test_the_key_check_costs_the_same_few_queries_however_many_duplicates(brigade):
    fined(brigade, "A1")
    fined(brigade, "A 1")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            quality.data_warnings(brigade_ids=[brigade.pk], year=YEAR)
        return len(ctx.captured_queries)

    count()  # the monthly rollups are built on the first read
    few = count()
    for n in range(2, 12):
        fined(brigade, f"B{n}")
        fined(brigade, f"B {n}")
        fined(brigade, f"B{n}".replace(str(n)[0], chr(0xFEE0 + ord(str(n)[0]))))
    count()
    assert count() == few
    assert len(warnings_of(brigade, "samekey")) == 11


def test_records_that_break_a_rule_of_their_model_are_found_with_links(brigade, other_brigade, as_legal):
    fined(brigade, "D1", outcome="警告", fine=Decimal("50"))  # a warning carries no fine
    fined(brigade, "D2", outcome="不予处罚", fine=Decimal("0"))  # 0 is allowed
    fined(brigade, "D3", outcome="罚款", fine=None)  # a fine needs an amount
    fined(brigade, "D4", outcome="罚款", fine=Decimal("0"))
    fined(brigade, "D5")  # right
    fined(other_brigade, "D6", outcome="警告", fine=Decimal("50"))
    SupervisionCheck.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 5, 1),
        kind="案卷评查",
        checked=10,
        passed=12,
        problems_found=1,
        problems_fixed=1,
        notices=0,
    )
    for day, closed in (
        (2, datetime.date(YEAR, 4, 1)),
        (3, datetime.date(YEAR, 4, 3)),
    ):  # the same day is not before
        AccidentCase.objects.create(
            brigade=brigade,
            case_no=f"S{day}",
            occurred_at=at(YEAR, 4, day, 23),
            severity="一般事故",
            procedure="一般程序",
            mediation_method="大队调解",
            mediation_result="调解成功",
            closed_date=closed,
        )
    found = {w["ledger"].kind + ":" + w["id"].split(":")[-1]: w for w in warnings_of(brigade, "rule")}
    assert set(found) == {
        "violations:EmptyWhen.fine.outcome",
        "violations:PositiveWhen.fine.outcome",
        "supervision:NotMore.passed.checked",
        "accidents:NotBefore.closed_date.occurred_at",
    }
    empty = found["violations:EmptyWhen.fine.outcome"]
    assert "有1条记录不符合“处理结果为警告或不予处罚时，罚款金额应为空或0”" in empty["text"]
    assert (
        "有2条记录不符合“处理结果为罚款时，罚款金额必须填写且大于0”"
        in found["violations:PositiveWhen.fine.outcome"]["text"]
    )
    for warning, numbers in ((empty, ["D1"]), (found["violations:PositiveWhen.fine.outcome"], ["D3", "D4"])):
        listed = as_legal.get(warning["links"][0][1])
        assert sorted(obj.decision_no for obj, *_ in listed.context["rows"]) == numbers
    listed = as_legal.get(found["accidents:NotBefore.closed_date.occurred_at"]["links"][0][1])
    assert [obj.case_no for obj, *_ in listed.context["rows"]] == ["S2"]


# ── Dismissing a warning ──────────────────────────────────────────────────────────────────────


@pytest.fixture
def report(duplicates, legal):
    return services.report_create(brigade=duplicates, year=YEAR, user=legal)


def dismiss_url(report):
    return reverse("reports:warning_dismiss", args=[report.pk])


def the_duplicate(report):
    return next(
        w for w in quality.data_warnings(brigade_ids=[report.brigade_id], year=YEAR) if w["kind"] == "samekey"
    )


def post_dismiss(client, report, warning, reason="经核对为同一决定书，已通知录入员合并"):
    return client.post(
        dismiss_url(report),
        {"warning": warning["id"], "fingerprint": warning["fingerprint"], "reason": reason},
    )


def test_the_legal_officer_dismisses_a_warning_with_a_reason_and_may_restore_it(report, legal, as_legal):
    warning = the_duplicate(report)
    assert "决定书编号只差空格或全角、半角" in report.sections.get(key="3").body  # 三 takes it up
    response = post_dismiss(as_legal, report, warning)
    assert response.status_code == 302
    assert "已忽略该提示" in as_legal.get(response["Location"]).content.decode()
    page = checks(as_legal, report)
    html = page.content.decode()
    assert warning["id"] not in [w["id"] for w in page.context["warnings"]]
    ((shown, dismissal),) = [(w, d) for w, d in page.context["dismissed"] if w["id"] == warning["id"]]
    assert (
        "已忽略的提示（1）" in html
        and "经核对为同一决定书，已通知录入员合并" in html
        and legal.username in html
    )
    assert dismissal.dismissed_by == legal
    last = dismissal.history.latest()
    assert last.history_user == legal and last.history_change_reason.startswith("忽略数据检查提示：经核对")

    # 三 no longer takes it up
    assert not any(
        w["id"] == warning["id"] for w in quality.data_warnings(brigade_ids=[report.brigade_id], year=YEAR)
    )
    fresh = services.redraft_preview(report)
    three = next((c for c in fresh if c["section"].key == "3"), None)
    assert three is not None and "决定书编号只差空格或全角、半角" not in three["new"]

    # restored: shown again, in the history too
    response = as_legal.post(reverse("reports:warning_restore", args=[report.pk, dismissal.pk]))
    assert response.status_code == 302
    assert warning["id"] in [w["id"] for w in checks(as_legal, report).context["warnings"]]
    deleted = WarningDismissal.history.filter(id=dismissal.pk).latest()
    assert (
        deleted.history_type == "-"
        and deleted.history_user == legal
        and deleted.history_change_reason == "恢复显示数据检查提示"
    )


def test_a_dismissed_warning_shows_again_when_more_records_share_the_key(report, as_legal):
    warning = the_duplicate(report)
    post_dismiss(as_legal, report, warning)
    assert the_duplicate_or_none(report) is None
    fined(report.brigade, "公交决字2026 001")  # a fourth way of typing it
    again = the_duplicate(report)
    assert again["id"] == warning["id"] and "录入了4次" in again["text"]
    page = checks(as_legal, report)
    assert again["id"] in [w["id"] for w in page.context["warnings"]]


def the_duplicate_or_none(report):
    return next(
        (
            w
            for w in quality.data_warnings(brigade_ids=[report.brigade_id], year=YEAR)
            if w["kind"] == "samekey"
        ),
        None,
    )


def test_a_dismissal_needs_a_reason_and_says_so_in_chinese(report, as_legal):
    warning = the_duplicate(report)
    for reason in ("", "  ", "\u200b\u200b好"):
        response = post_dismiss(as_legal, report, warning, reason=reason)
        text = as_legal.get(response["Location"]).content.decode()
        assert "没有忽略该提示。忽略理由：" in text, reason
        assert warning["id"] in [w["id"] for w in checks(as_legal, report).context["warnings"]]
    assert not WarningDismissal.objects.exists()


def test_a_warning_that_changed_since_the_page_showed_it_is_not_dismissed(report, as_legal):
    warning = the_duplicate(report)
    fined(report.brigade, "公交决字2026 001")
    page = as_legal.get(post_dismiss(as_legal, report, warning)["Location"])
    assert "情况已有变化" in page.content.decode()
    assert not WarningDismissal.objects.exists()


def test_only_the_brigades_legal_officer_may_dismiss_or_restore(
    report, legal, clerk, leader, other_brigade, as_legal
):
    warning = the_duplicate(report)
    post_dismiss(as_legal, report, warning)
    dismissal = WarningDismissal.objects.get()
    restore = reverse("reports:warning_restore", args=[report.pk, dismissal.pk])
    assert as_legal.get(dismiss_url(report)).status_code == 405
    assert as_legal.get(restore).status_code == 405
    for user in (clerk, leader):
        assert post_dismiss(login(user), report, warning).status_code == 403
        assert login(user).post(restore).status_code == 403
    stranger = login(_user(other_brigade, Role.LEGAL))
    assert post_dismiss(stranger, report, warning).status_code == 404
    assert stranger.post(restore).status_code == 404
    assert WarningDismissal.objects.get().pk == dismissal.pk  # still dismissed
    page = checks(login(leader), report).content.decode()
    assert "已忽略的提示（1）" in page and "恢复显示" not in page and "确认忽略" not in page
    with pytest.raises(PermissionDenied):
        dismissals.warning_dismiss(
            report=report,
            warning_id=warning["id"],
            fingerprint=warning["fingerprint"],
            reason="理由充分",
            user=leader,
        )


def test_a_detachment_report_keeps_its_own_dismissals_apart_from_its_brigades(
    report, detachment, legal, as_legal
):
    """The 支队's report checks its brigades' records too; a brigade dismissing a warning on its
    own report does not dismiss it on the 支队's, and the 支队's legal officer may dismiss it there."""
    zd_legal = _user(detachment, Role.LEGAL, name="fazhi_zd", detachment=True)
    zd_report = services.report_create(brigade=detachment, year=YEAR, user=zd_legal)
    post_dismiss(as_legal, report, the_duplicate(report))
    assert WarningDismissal.objects.get().brigade == report.brigade
    zd_client = login(zd_legal)
    page = checks(zd_client, zd_report)
    shown = next(w for w in page.context["warnings"] if w["kind"] == "samekey")
    assert not page.context["dismissed"]
    response = post_dismiss(zd_client, zd_report, shown, reason="支队已核对该重复记录")
    assert response.status_code == 302
    page = checks(zd_client, zd_report)
    assert [d.reason for _, d in page.context["dismissed"]] == ["支队已核对该重复记录"]
    assert shown["id"] not in [w["id"] for w in page.context["warnings"]]


def test_the_checks_fragment_is_marked_and_varies_on_its_header(report, as_legal, client):
    url = reverse("reports:checks", args=[report.pk])
    fragment = as_legal.get(url, headers={"X-Fragment": "1"})
    page = as_legal.get(url)
    assert fragment["X-Fragment"] == "data-checks" and "X-Fragment" not in page
    assert "<html" not in fragment.content.decode() and "<html" in page.content.decode()
    for response in (fragment, page):
        assert "X-Fragment" in response["Vary"] and "no-cache" in response["Cache-Control"]
    # signed out: a redirect to the login page, which carries no mark (static/js/app.js inserts nothing)
    signed_out = client.get(url, headers={"X-Fragment": "1"})
    assert signed_out.status_code == 302 and "X-Fragment" not in signed_out


def test_a_draft_runs_the_data_check_once(brigade, legal, monkeypatch):
    """三 and 四 answer the same points: the check that reads the year's records is run once."""
    from reports import quality

    calls = []
    real = quality.data_warnings
    monkeypatch.setattr(quality, "data_warnings", lambda **kw: calls.append(kw) or real(**kw))
    services.report_create(brigade=brigade, year=YEAR, user=legal)
    assert len(calls) == 1
