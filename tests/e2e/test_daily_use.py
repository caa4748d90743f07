"""Daily use, role by role, on a phone (390 px) and a laptop (1366 px): what each user sees is
right and readable. On every page: no sideways scroll, and breadcrumbs below the top level. Per
role: times in Beijing time in the app's one format (2026-11-20 10:00), the filters showing
exactly what is applied, and in a finalised (locked) year no edit or delete offered but the reason.
Screenshots go to test-output/e2e/daily-<role>-<width>/."""

import datetime
import re

import pytest
from django.utils import timezone

from brigade.models import Training
from brigade.services import brigade_upsert
from enforcement.models import Violation, ViolationType
from reports import services
from reports.models import AnnualReport

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [(390, 844), (1366, 768)]
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # the one format the app shows a time in
LOCKED_REASON = "已定稿，该年度的台账已锁定"


def shown(value: datetime.datetime) -> str:
    """A time as every page shows it: Beijing time, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def office(brigade, legal, leader):
    """Last year finalised (so locked) with its records, this year open; one violation of last
    year at 10:00 Beijing time."""
    locked = timezone.localdate().year - 1
    for n, month in enumerate([3, 9]):
        Training.objects.create(brigade=brigade, date=datetime.date(locked, month, 1), name=f"上年度培训{n + 1}",
                                kind="全警培训", mode="线下", attendees=20)  # fmt: skip
    open_record = Training.objects.create(brigade=brigade, date=timezone.localdate(), name="本年度培训",
                                          kind="专题学法", mode="线下", attendees=15)  # fmt: skip
    speeding, _ = ViolationType.objects.get_or_create(name="超速")
    violation = Violation.objects.create(
        brigade=brigade, decision_no="E2E-LOCKED-1", violation_type=speeding, method="现场", outcome="罚款",
        fine=200, occurred_at=timezone.make_aware(datetime.datetime(locked, 3, 15, 10, 0)),
    )  # fmt: skip
    report = services.report_create(brigade=brigade, year=locked, user=legal)
    AnnualReport.objects.filter(pk=report.pk).update(doc_number="")
    report.refresh_from_db()
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    report.refresh_from_db()
    return {"year": locked, "report": report, "violation": violation, "open": open_record,
            "locked": Training.objects.filter(brigade=brigade, date__year=locked).order_by("date").first()}  # fmt: skip


def at_width(open_ui, role: str, size):
    ui = open_ui(f"daily-{role}-{size[0]}")
    ui.page.set_viewport_size({"width": size[0], "height": size[1]})
    return ui


def fits(ui, crumbs: list[str] | None = None):
    """Nothing scrolls sideways; breadcrumbs (their labels) below the top level, none at it."""
    page = ui.page
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("innerWidth")
    assert width <= inner, f"{page.url}: scrolls sideways ({width} > {inner})"
    trail = page.locator("nav.breadcrumbs li")
    if crumbs is None:
        assert trail.count() == 0, f"{page.url}: breadcrumbs on a top-level page"
    else:
        assert [t.strip().lstrip("›").strip() for t in trail.all_inner_texts()] == crumbs, page.url
        assert page.locator("nav.breadcrumbs").is_visible()


def selected(page, name: str) -> str:
    return page.locator(f"select[name={name}] option:checked").inner_text().strip()


def total(text: str) -> int:
    return int(re.search(r"共 (\d+) 条", text)[1])


def test_clerk(open_ui, clerk, office):
    year, record = office["year"], office["locked"]
    for size in WIDTHS:
        ui = at_width(open_ui, "clerk", size)
        page = ui.page
        ui.login(clerk.username)
        fits(ui)
        ui.shot("dashboard")

        # No year asked: the box says 全部年度 and all years are counted.
        text = ui.goto("/ledgers/training/")
        assert selected(page, "year") == "全部年度" and total(text) == 3
        fits(ui)
        # Choosing a year applies it: the list reloads for that year, no 筛选 to press.
        with page.expect_navigation():
            page.select_option("form.filters select[name=year]", str(year))
        text = ui.check(200)
        assert f"year={year}" in page.url and selected(page, "year") == f"{year}年" and total(text) == 2
        assert "本年度培训" not in text
        # A finalised year: no 修改 in the rows, 已锁定 said instead.
        assert page.locator("table.grid").get_by_role("link", name="修改").count() == 0
        assert page.locator("table.grid").get_by_text("已锁定").count() == 2
        fits(ui)
        ui.shot("list-locked-year")

        text = ui.submit(page.locator("table.grid tr", has_text=record.name).get_by_role("link", name="查看"))
        assert LOCKED_REASON in text and str(record) in text
        assert page.get_by_role("link", name="修改", exact=True).count() == 0
        assert page.get_by_role("link", name="删除", exact=True).count() == 0
        fits(ui, ["驾驶舱", "学法培训台账", str(record)])
        ui.shot("record-locked")
        # The breadcrumb back to the list keeps the filter it was left with.
        ui.submit(page.locator("nav.breadcrumbs").get_by_role("link", name="学法培训台账"))
        assert selected(page, "year") == f"{year}年" and f"year={year}" in page.url

        # Beijing time, in the one format, on a record and in its history.
        violation = office["violation"]
        text = ui.goto(f"/ledgers/violations/{violation.pk}/")
        assert f"{year}-03-15 10:00" in text and shown(violation.created_at) in text
        assert "+00:00" not in text and "02:00" not in text
        assert set(TIME.findall(text)) <= {f"{year}-03-15 10:00", shown(violation.created_at)}
        fits(ui, ["驾驶舱", "违法查处台账", str(violation)])

        # This year's record is open: its form, with the trail back.
        open_record = office["open"]
        ui.goto(f"/ledgers/training/{open_record.pk}/")
        assert LOCKED_REASON not in page.inner_text("body")
        ui.submit(page.get_by_role("link", name="修改", exact=True))
        fits(ui, ["驾驶舱", "学法培训台账", str(open_record), "修改"])
        ui.shot("form")


def test_legal_officer(open_ui, legal, office):
    year, report = office["year"], office["report"]
    this_year = year + 1
    for size in WIDTHS:
        ui = at_width(open_ui, "legal", size)
        page = ui.page
        ui.login(legal.username)
        text = ui.goto("/reports/")
        assert shown(report.finalised_at) in text  # 定稿时间, Beijing time
        assert [o.strip() for o in page.locator("select[name=year] option").all_inner_texts()] == [
            f"{this_year}年", f"{year}年"
        ]  # from this year back to the first year with records, no further  # fmt: skip
        fits(ui)

        # The finalised year: nothing editable, the lock said, unlocking offered.
        text = ui.submit(page.get_by_role("link", name=report.title))
        assert f"定稿于 {shown(report.finalised_at)}" in text and f"{year}年度台账已锁定" in text
        assert (
            page.get_by_role("button", name="保存全部修改").count() == 0
            and page.locator("textarea").count() == 0
        )
        assert page.get_by_role("button", name="解锁年度台账").count() == 1
        fits(ui, ["驾驶舱", "年度报告", f"甲县大队 {year}年度报告"])
        ui.shot("report-final")

        # This year's draft: the year chosen reloads the list with its data check, then drafted.
        # The save bar never sits over a section's text.
        ui.goto("/reports/")
        with page.expect_navigation():
            page.select_option("select[name=year]", str(this_year))
        ui.check(200)
        # drafted at the first width, opened at the second
        action = "核对无误，起草" if size == WIDTHS[0] else "打开"
        ui.submit(page.get_by_role("button", name=f"{action}{this_year}年度报告"))
        fits(ui, ["驾驶舱", "年度报告", f"甲县大队 {this_year}年度报告"])
        bar = page.locator(".savebar")
        areas = page.locator(".report-editor textarea")
        for area in (areas.nth(areas.count() // 2), areas.last):
            area.evaluate("el => el.scrollIntoView({block: 'end'})")
            assert bar.is_visible()
            bottom = area.evaluate("el => el.getBoundingClientRect().bottom")
            top = bar.evaluate("el => el.getBoundingClientRect().top")
            assert bottom <= top + 1, f"the save bar covers a section ({bottom} > {top})"
        ui.shot("report-draft-savebar")


def test_leader(open_ui, leader, office):
    year, report, record = office["year"], office["report"], office["locked"]
    for size in WIDTHS:
        ui = at_width(open_ui, "leader", size)
        page = ui.page
        ui.login(leader.username)
        assert selected(page, "year") == f"{year + 1}年"
        with page.expect_navigation():
            page.select_option("select[name=year]", str(year))
        text = ui.check(200)
        assert f"year={year}" in page.url and selected(page, "year") == f"{year}年"
        assert f"统计区间：{year}年" in text
        fits(ui)
        ui.shot("dashboard-year")

        text = ui.goto(f"/reports/{report.pk}/")
        assert f"定稿于 {shown(report.finalised_at)}" in text and f"{year}年度台账已锁定" in text
        for refused in ("签发", "退回修改", "保存全部修改", "解锁年度台账"):
            assert page.get_by_role("button", name=refused, exact=True).count() == 0, refused
        fits(ui, ["驾驶舱", "年度报告", f"甲县大队 {year}年度报告"])
        ui.shot("report")

        text = ui.goto(f"/ledgers/training/{record.pk}/")
        assert LOCKED_REASON in text and page.get_by_role("link", name="修改", exact=True).count() == 0
        fits(ui, ["驾驶舱", "学法培训台账", str(record)])


def test_detachment_user(open_ui, detachment_user, brigade, office):
    brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")
    year, record = office["year"], office["locked"]
    for size in WIDTHS:
        ui = at_width(open_ui, "detachment", size)
        page = ui.page
        text = ui.login(detachment_user.username)
        # It opens with the comparison of its brigades, titled by the 支队, without a 支队 column.
        compare = page.locator("#compare")
        assert compare.is_visible() and compare.evaluate("el => el.getBoundingClientRect().top") < size[1]
        assert "测试支队所辖各大队对比" in text
        headers = [h.strip() for h in compare.locator("thead th").all_inner_texts()]
        assert headers == ["指标", "甲县大队", "丙县大队"]
        assert selected(page, "brigade") == "全部（并列对比）"
        fits(ui)
        ui.shot("dashboard-compare")

        with page.expect_navigation():
            page.select_option("select[name=brigade]", str(brigade.pk))
        text = ui.check(200)
        assert selected(page, "brigade") == "甲县大队" and "甲县大队 · 法治建设驾驶舱" in text
        assert page.locator("#compare").count() == 0

        ui.goto("/ledgers/training/")
        # Each choice applies when made: two choices, two reloads, both kept.
        with page.expect_navigation():
            page.select_option("form.filters select[name=brigade]", str(brigade.pk))
        ui.check(200)
        with page.expect_navigation():
            page.select_option("form.filters select[name=year]", str(year))
        text = ui.check(200)
        assert selected(page, "brigade") == "甲县大队" and selected(page, "year") == f"{year}年"
        assert total(text) == 2 and page.locator("table.grid").get_by_text("已锁定").count() == 2
        fits(ui)
        ui.shot("list-filtered")

        text = ui.goto(f"/ledgers/training/{record.pk}/")
        assert LOCKED_REASON in text and shown(record.created_at) in text  # 录入时间, Beijing time
        fits(ui, ["驾驶舱", "学法培训台账", str(record)])

        # Its brigades' reports, with when each was finalised in Beijing time.
        text = ui.goto("/reports/")
        assert office["report"].title in text and shown(office["report"].finalised_at) in text
        assert "+00:00" not in text and "UTC" not in text and "p.m." not in text
        fits(ui)
