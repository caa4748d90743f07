"""Browser journey of the checks around the annual report: the legal officer dismisses a data-check
warning with a reason before drafting, and after the report is signed downloads its public edition
(公开版) once the 保密审查 checklist is confirmed. Screenshots go to test-output/e2e/<journey>/."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document

from brigade.models import Training
from enforcement.models import Violation, ViolationType
from reports import docx, services
from reports.models import AnnualReport, PublicEdition, WarningDismissal
from tests.e2e.test_journeys import last_year

pytestmark = pytest.mark.django_db(transaction=True)


def test_legal_officer_dismisses_a_warning_and_downloads_the_public_edition(open_ui, legal, leader):
    year = last_year()
    speeding, _ = ViolationType.objects.get_or_create(name="超速")  # a flushed database has no list
    for n, number in enumerate(["公交决字2025001", "公交决字 2025 001", "公交决字2025002"]):
        Violation.objects.create(
            brigade=legal.brigade, decision_no=number, violation_type=speeding, method="现场", outcome="罚款",
            fine=Decimal(200), plate=f"甲A1234{n}", occurred_at=timezone.make_aware(datetime.datetime(year, 3, 10 + n, 9)),
        )  # fmt: skip
    report = services.report_create(brigade=legal.brigade, year=year, user=legal)
    ui = open_ui("review")
    page = ui.page
    ui.login(legal.username)
    ui.goto(f"/reports/{report.pk}/")
    loaded = "#data-checks:not([data-fragment])"  # the check is fetched after the page shows
    page.wait_for_selector(loaded)
    warning = page.locator("#data-checks li.data-warning", has_text="只差空格或全角、半角")
    assert warning.count() == 1
    ui.shot("warning")

    # An empty reason is refused by the browser; a written one dismisses it.
    warning.locator("summary", has_text="忽略此提示").click()
    warning.locator("input[name=reason]").fill("经核对为同一决定书，已由录入员合并")
    text = ui.submit(warning.get_by_role("button", name="确认忽略"))
    assert "已忽略该提示" in text
    page.wait_for_selector(loaded)
    assert page.locator("#data-checks li.data-warning", has_text="只差空格或全角、半角").count() == 0
    dismissed = page.locator("#data-checks details.dismissed")
    assert "已忽略的提示（1）" in dismissed.inner_text()
    dismissed.locator("summary").click()
    assert "经核对为同一决定书，已由录入员合并" in dismissed.inner_text()
    ui.shot("dismissed")
    assert WarningDismissal.objects.get().dismissed_by == legal

    # Signed (the signing journey is tests/e2e/test_journeys.py), then the public edition.
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    ui.goto(f"/reports/{report.pk}/")
    text = ui.submit(page.get_by_role("link", name="公开版", exact=True))
    assert "尚未进行保密审查" in text and page.get_by_role("link", name="下载公开版Word").count() == 0
    ui.goto(f"/reports/{report.pk}/public/docx/")  # asked for anyway: refused, back to the checklist
    assert "尚未通过保密审查" in page.inner_text("body")

    # Confirming with an item left unticked names it; all ticked, the download appears.
    for box in page.locator(".public-checklist input[type=checkbox][name^=check_]").all():
        box.check()
    page.locator("input[name=check_plates]").uncheck()
    page.locator("input[name=check_plates]").evaluate("box => box.removeAttribute('required')")
    text = ui.submit(page.get_by_role("button", name="确认保密审查"))
    assert "请核对并勾选：不含号牌号码" in text
    # Each flag of the automatic check is resolved before the checklist: here, a reason each.
    while page.locator("form.flag-override").count():
        form = page.locator("form.flag-override").first
        form.locator("input[name=reason]").fill("经核对可以公开")
        assert "可以公开的理由" in ui.submit(form.get_by_role("button", name="确认可以公开"))
    for box in page.locator(".public-checklist input[type=checkbox][name^=check_]").all():
        box.check()
    ui.shot("checklist")
    text = ui.submit(page.get_by_role("button", name="确认保密审查"))
    assert "已通过保密审查" in text
    ui.shot("confirmed")
    edition = PublicEdition.objects.get()
    assert edition.confirmed_by == legal

    with page.expect_download() as download:
        page.get_by_role("link", name="下载公开版Word").click()
    assert download.value.suggested_filename.endswith("（公开版）.docx")
    words = "\n".join(
        p.text for p in Document(io.BytesIO(Path(download.value.path()).read_bytes())).paragraphs
    )
    final = AnnualReport.objects.get(pk=report.pk)
    assert (
        "特此报告。" in words
        and "签发人" not in words
        and final.title.replace("\n", "") in words.replace("\n", "")
    )
    if docx.pdf_available():
        # In tests the PDF is converted inside the POST (the immediate backend): give it time.
        with page.expect_navigation(timeout=120_000):
            page.get_by_role("button", name="生成公开版PDF").click(timeout=120_000)
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("link", name=re.compile("^下载 .*公开版.*pdf$")).click(timeout=120_000)
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_a_figure_that_changed_after_drafting_is_explained_before_the_leader_signs(open_ui, legal, leader):
    """A training recorded after the report was drafted: the report page and the submit show the
    sentence, the officer records why its figures stay, the leader reads that on the 签发 page."""
    year = last_year()
    for month in range(1, 13):
        Training.objects.create(brigade=legal.brigade, date=datetime.date(year, month, 3), name=f"{month}月学法",
                                kind="专题学法", mode="线下", attendees=30)  # fmt: skip
    report = services.report_create(brigade=legal.brigade, year=year, user=legal)
    Training.objects.create(brigade=legal.brigade, date=datetime.date(year, 6, 20), name="补录的学法",
                            kind="专题学法", mode="线下", attendees=30)  # fmt: skip
    ui = open_ui("stale-figures")
    page = ui.page
    ui.login(legal.username)
    ui.goto(f"/reports/{report.pk}/")
    page.wait_for_selector("#stale-figures:not([data-fragment])")  # fetched after the page
    box = page.locator("#stale-figures")
    assert "报告中有1句话的数字与最新台账不一致" in box.inner_text()
    assert "学法培训12期" in box.inner_text() and "学法培训13期" in box.inner_text()
    ui.shot("stale")

    text = ui.submit(page.get_by_role("button", name="提交领导签发"))
    assert "仍然提交领导签发（1句数字未更新）" in text
    ui.shot("submit-shows-it")
    page.locator("details.acknowledge summary").click()
    page.locator("details.acknowledge input[name=reason]").fill("该数字按市局培训计划口径核定")
    assert "已记录保留原数字的理由" in ui.submit(page.get_by_role("button", name="记录理由"))
    assert "报告已提交领导签发" in ui.submit(page.get_by_role("button", name="提交领导签发"))

    boss = open_ui("stale-figures-leader")
    boss.login(leader.username)
    boss.goto(f"/reports/{report.pk}/")
    text = boss.submit(boss.page.get_by_role("button", name="签发", exact=True))
    assert "该数字按市局培训计划口径核定" in text and f"签发后报告定稿，{year}年度台账锁定" in text
    boss.shot("sign-page")
    boss.page.check("input[name=confirm]")
    text = boss.submit(boss.page.get_by_role("button", name="确认签发"))
    assert "报告状态：已定稿" in text
