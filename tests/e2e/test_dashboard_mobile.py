"""The dashboard and the report list in Chromium on a phone (390×844) and a laptop (1366×768):
the 支队's comparison reads without sideways scrolling, each breakdown adds up to its 合计 through
an 其他 row, and the data check shows before the year's report is drafted. Screenshots go to
test-output/e2e/<journey>/."""

import pytest
from django.utils import timezone

from brigade.services import brigade_upsert
from enforcement.models import Violation, ViolationType
from mediation.models import AccidentCase
from tests.reports.test_indicators import at, violation

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(390, 844), (1366, 768)]
TODAY = timezone.localdate()
TYPES = [
    "违法停车",
    "超速",
    "闯红灯",
    "不系安全带",
    "酒后驾驶",
    "醉酒驾驶",
    "货车超载",
    "违法载人",
    "无证驾驶",
    "疲劳驾驶",
]


@pytest.fixture
def three_brigades(detachment, brigade):
    """Three brigades under the 支队 whose figures differ; the third recorded no accidents."""
    for name in TYPES:  # a transactional test empties the list the migration filled
        ViolationType.objects.get_or_create(name=name)
    second = brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")[
        0
    ]
    third = brigade_upsert(code="d", name="丁县公安局交通警察大队", short_name="丁县大队", parent_code="zd")[
        0
    ]
    n = 0
    for unit, share in ((brigade, 3), (second, 2), (third, 1)):
        for rank, name in enumerate(TYPES):
            for _ in range(share * (10 - rank) // 2 + 1):
                n += 1
                violation(unit, n, at(TODAY.year, 1, 1), name)
        violation(unit, n + 1000, at(TODAY.year - 1, 1, 1), "超速")
    for unit, accidents in ((brigade, 4), (second, 2)):
        for k in range(accidents):
            AccidentCase.objects.create(
                brigade=unit, case_no=f"SG{unit.pk}-{k}", occurred_at=at(TODAY.year, 1, 1), location="国道",
                severity="轻微事故", procedure="简易程序", mediation_method="未调解", mediation_result="未申请调解",
            )  # fmt: skip
    return brigade, second, third


def close_up(ui, locator, name, height=900):
    """A screenshot of the part of the page under test (its first `height` pixels), beside the
    whole page's."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    top = box["y"] + ui.page.evaluate("window.scrollY")  # the box is in the viewport, the clip in the page
    clip = {
        "x": 0,
        "y": top,
        "width": ui.page.viewport_size["width"],
        "height": min(box["height"], height),
    }
    ui.page.screenshot(path=str(ui.dir / f"{name}.png"), clip=clip, full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_comparison_reads_without_a_sideways_scroll(
    open_ui, detachment_user, three_brigades, width, height
):
    ui = open_ui(f"dashboard-compare-{width}")
    page = ui.page
    page.set_viewport_size({"width": width, "height": height})
    ui.login(detachment_user.username)
    text = ui.goto("/")
    assert "所辖各大队对比" in text
    assert fits(page), "the page scrolls sideways"
    table = page.locator(".compare-table")
    assert page.evaluate("(t) => t.scrollWidth <= t.parentElement.clientWidth", table.element_handle())
    # the accidents row: the brigades that recorded some ranked (fewest first), the third not ranked
    row = page.locator(".compare-table tbody tr", has_text="交通事故").first
    cells = row.locator("td")
    assert cells.count() == 3
    third = cells.nth(2).inner_text()
    assert "本期无记录" in third and "第1名" not in third and "不排名" in third
    assert "第1名" in cells.nth(1).inner_text()  # 丙县: 2 accidents, fewer than 甲县's 4
    if width < 700:  # each value under its brigade's name, all on the screen
        assert cells.nth(2).locator(".brigade").is_visible() and "丁县" in third
        box = cells.nth(2).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    ui.shot("compare")
    close_up(ui, page.locator("#compare"), "compare-close-up")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_each_breakdown_adds_up_to_its_total(open_ui, leader, three_brigades, width, height):
    ui = open_ui(f"dashboard-breakdown-{width}")
    page = ui.page
    page.set_viewport_size({"width": width, "height": height})
    ui.login(leader.username)
    ui.goto("/")
    assert fits(page), "the page scrolls sideways"
    table = page.locator("table.breakdown", has_text="违法行为类型")
    rows = table.locator("tbody tr")
    labels = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert labels[-1].startswith("其他"), labels
    numbers = [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(rows.count())]
    total = int(table.locator("tfoot td").first.inner_text())
    recorded = Violation.objects.filter(brigade=three_brigades[0], occurred_at__year=TODAY.year).count()
    assert sum(numbers) == total == recorded
    ui.shot("breakdown")
    close_up(ui, page.locator(".breakdowns"), "breakdown-close-up")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_data_check_shows_before_drafting(open_ui, legal, three_brigades, width, height):
    brigade = three_brigades[0]
    for n, number in enumerate(["公交决字 9001", "公交决字9001"]):  # one number typed two ways
        violation(brigade, 9001 + n, at(TODAY.year, 1, 1))
        Violation.objects.filter(decision_no=f"D{brigade.pk}-{9001 + n}").update(decision_no=number)
    ui = open_ui(f"report-list-checks-{width}")
    page = ui.page
    page.set_viewport_size({"width": width, "height": height})
    ui.login(legal.username)
    ui.goto(f"/reports/?year={TODAY.year}")
    checks = page.locator("#data-checks")
    checks.get_by_text("起草前请核对").wait_for()
    assert "公交决字 9001" in checks.inner_text()
    draft = page.get_by_role("button", name=f"核对无误，起草{TODAY.year}年度报告")
    assert draft.is_visible()
    assert checks.bounding_box()["y"] < draft.bounding_box()["y"]  # read first, then draft
    assert fits(page), "the page scrolls sideways"
    ui.shot("checks-before-drafting")
    close_up(ui, page.locator("#before-drafting"), "checks-close-up")
