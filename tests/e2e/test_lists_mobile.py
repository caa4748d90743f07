"""A ledger list as a clerk uses it on a phone (390×844, touch) and a laptop (1366×768): a choice
of year applies when it is made (and the back button shows the list and the box agreeing), the
search box names what it searches and finds a 违法行为 by name, each row opens its record by a
tap or a click anywhere on it with its actions in view and nothing scrolling sideways, and the
list, the dashboard and the report print inside A4's margins. Screenshots go to
test-output/e2e/lists-<width>/."""

import datetime
import re

import pytest
from django.utils import timezone

from enforcement.models import Violation, ViolationType
from reports import services
from tests.e2e.conftest import CHROMIUM, UI  # noqa: F401 — CHROMIUM: the browser the fixture starts

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [(390, 844), (1366, 768)]
PRINTABLE = 186 / 25.4 * 96  # A4's width between app.css's 12 mm margins, in CSS pixels (702.99)


@pytest.fixture
def violations(brigade):
    """Three violations of last year (two of them 超速) and two of the year before."""
    year = timezone.localdate().year - 1
    kinds = {name: ViolationType.objects.get_or_create(name=name)[0] for name in ("超速", "闯红灯")}
    rows = [
        ("超速", year, 3),
        ("闯红灯", year, 4),
        ("超速", year, 5),
        ("闯红灯", year - 1, 6),
        ("闯红灯", year - 1, 7),
    ]
    made = [
        Violation.objects.create(
            brigade=brigade, decision_no=f"JD{y}{m:02d}", violation_type=kinds[kind], method="现场",
            outcome="警告", occurred_at=timezone.make_aware(datetime.datetime(y, m, 10, 9, 30)), plate=f"湘M{m}0000",
            location="潇水中路与永州大道交叉口北侧二百米处",  # long: a card's cell wraps, never widens the page
        )
        for kind, y, m in rows
    ]  # fmt: skip
    return {"year": year, "records": made}


def open_at(chromium, live_server, size, journey="lists") -> UI:
    """A browser tab of the given size; a phone's is a touch screen (taps, not clicks)."""
    phone = size[0] < 760
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": size[0], "height": size[1]},
        has_touch=phone, is_mobile=phone, device_scale_factor=1,
    )  # fmt: skip
    context.set_default_timeout(5_000)
    return UI(context.new_page(), live_server.url, f"{journey}-{size[0]}")


def no_sideways_scroll(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= inner, f"{page.url}: scrolls sideways ({width} > {inner})"


def in_view_horizontally(page, locator):
    box = locator.bounding_box()
    inner = page.evaluate("innerWidth")
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= inner, f"{box} outside 0…{inner}"
    assert locator.is_visible()


def count_line(page) -> str:
    return page.locator("p.count").inner_text().strip()


@pytest.mark.parametrize("size", WIDTHS, ids=lambda s: f"{s[0]}px")
def test_a_clerk_finds_and_opens_records(chromium, live_server, clerk, violations, size):
    ui = open_at(chromium, live_server, size)
    page = ui.page
    phone = size[0] < 760
    year, records = violations["year"], violations["records"]
    try:
        ui.login(clerk.username)
        ui.goto("/ledgers/violations/")
        assert count_line(page) == "全部年度，共 5 条"
        no_sideways_scroll(page)

        # The search box says what it searches.
        box = page.locator("form.filters input[name=q]")
        assert (
            box.get_attribute("placeholder")
            == "搜索：决定书编号、违法行为、号牌号码、违法地点、执勤民警、专项行动"
        )
        if phone:  # the placeholder is cut on a phone: the fields are said in full beneath
            assert (
                "决定书编号、违法行为、号牌号码、违法地点、执勤民警、专项行动"
                in page.locator(".search-hint").inner_text()
            )
            assert not page.locator("form.filters select[name=method]").is_visible()  # folded: 更多筛选
        ui.shot("list")

        # Choosing a year applies it at once, and the line above the rows says so.
        with page.expect_navigation():
            page.select_option("form.filters select[name=year]", str(year))
        ui.check(200)
        assert f"year={year}" in page.url and count_line(page) == f"{year}年，共 3 条"
        assert page.locator("table.records tbody tr").count() == 3

        # Back to all years: the box shows what the list shows, not the year left chosen.
        with page.expect_navigation():
            page.go_back()
        assert page.locator("select[name=year] option:checked").inner_text() == "全部年度"
        assert count_line(page) == "全部年度，共 5 条"

        # 超速 is a 违法行为: typed in the search box, it finds those records (Enter applies it).
        box.fill("超速")
        assert page.locator(".pending").is_visible()  # typed, not yet applied: said so
        with page.expect_navigation():
            box.press("Enter")
        ui.check(200)
        assert count_line(page) == "搜索“超速”，共 2 条"
        assert {t.strip() for t in page.locator("table.records td[data-label=决定书编号]").all_inner_texts()} == {
            records[0].decision_no, records[2].decision_no
        }  # fmt: skip
        assert not page.locator(".pending").is_visible()

        # Each row's actions are in view, nothing scrolls sideways.
        ui.goto(f"/ledgers/violations/?year={year}")
        no_sideways_scroll(page)
        row = page.locator("table.records tbody tr", has_text=records[1].decision_no)
        for action in ("查看", "修改"):
            in_view_horizontally(page, row.get_by_role("link", name=action))
        if phone:  # a card: the key fields, each labelled
            cell = row.locator("td[data-label=违法行为]")
            assert cell.is_visible() and cell.inner_text().strip() == "闯红灯"
            assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"违法行为"'
        ui.shot("list-year")

        # A tap (or click) anywhere on a row opens its record.
        cell = row.locator("td[data-label=违法行为]")
        with page.expect_navigation():
            cell.tap() if phone else cell.click()
        text = ui.check(200)
        assert page.url.endswith(f"/ledgers/violations/{records[1].pk}/") and records[1].decision_no in text
        no_sideways_scroll(page)
        ui.shot("record")

        # A link inside a row still goes where it says: 修改 opens the form, not the record.
        ui.goto(f"/ledgers/violations/?year={year}")
        row = page.locator("table.records tbody tr", has_text=records[1].decision_no)
        with page.expect_navigation():
            link = row.get_by_role("link", name="修改")
            link.tap() if phone else link.click()
        ui.check(200)
        assert page.url.endswith(f"/ledgers/violations/{records[1].pk}/edit/"), page.url

        # From the keyboard: the row's 查看 is reached and opened with Enter.
        ui.goto(f"/ledgers/violations/?year={year}")
        row = page.locator("table.records tbody tr", has_text=records[0].decision_no)
        row.get_by_role("link", name="查看").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        ui.check(200)
        assert page.url.endswith(f"/ledgers/violations/{records[0].pk}/")
    finally:
        ui.close()


def test_back_to_the_dashboard_its_year_box_shows_the_year_shown(chromium, live_server, leader, violations):
    """The browser restores a box as it was left (the year just chosen) when going back; the page
    puts it back to the year its figures are of."""
    year = violations["year"]
    ui = open_at(chromium, live_server, (1366, 768), "lists-back")
    page = ui.page
    try:
        ui.login(leader.username)
        shown = page.locator("select[name=year] option:checked").inner_text()
        assert shown == f"{year + 1}年"
        with page.expect_navigation():
            page.select_option("select[name=year]", str(year))
        assert f"统计区间：{year}年" in ui.check(200)
        with page.expect_navigation():
            page.go_back()
        page.wait_for_load_state("load")
        assert f"统计区间：{year + 1}年" in ui.check()
        assert page.locator("select[name=year] option:checked").inner_text() == shown
    finally:
        ui.close()


def _printed_width(page) -> dict:
    """While Chromium prints the page to A4: how wide it lays the page out, and what lies past
    the printable width (cut off on paper)."""
    page.evaluate(
        """() => matchMedia("print").addEventListener("change", (e) => {
             if (!e.matches) return;
             const past = [...document.querySelectorAll("body *")]
               .filter((el) => el.getBoundingClientRect().width && el.getBoundingClientRect().right > %f)
               .map((el) => el.tagName + "." + el.className);
             window.onPaper = {width: document.documentElement.getBoundingClientRect().width, past: past.slice(0, 5)};
           })"""
        % (PRINTABLE + 0.01)
    )
    page.pdf(format="A4")
    return page.evaluate("window.onPaper")


def test_lists_the_dashboard_and_the_report_print_inside_the_page(chromium, live_server, legal, violations):
    report = services.report_create(brigade=legal.brigade, year=violations["year"], user=legal)
    ui = open_at(chromium, live_server, (1366, 768), "lists-print")
    page = ui.page
    try:
        ui.login(legal.username)
        for path in (f"/ledgers/violations/?year={violations['year']}", "/ledgers/training/", "/",
                     f"/reports/{report.pk}/"):  # fmt: skip
            ui.goto(path)
            on_paper = _printed_width(page)
            assert on_paper["width"] <= PRINTABLE + 0.01 and not on_paper["past"], (path, on_paper)
        ui.goto(f"/ledgers/violations/?year={violations['year']}")
        page.emulate_media(media="print")
        assert not page.locator("table.records .row-actions").first.is_visible()  # 查看/修改 not on paper
        assert re.search(r"\d+年，共 3 条", count_line(page))
    finally:
        ui.close()
