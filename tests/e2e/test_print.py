"""Printing to A4: the dashboard's charts are drawn for the paper (not the screen's drawing shrunk,
with its text too small to read), nothing is printed past the page's margins, and a report
section being edited prints whole. Checked on the PDF Chromium prints (pdftotext reads it)."""

import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from enforcement.models import ViolationType
from reports import services
from reports.models import ReportSection
from tests.e2e.conftest import OUTPUT
from tests.e2e.test_dashboard_mobile import TYPES
from tests.reports.test_indicators import at, violation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("pdftotext") is None, reason="pdftotext 未安装（apt-get install poppler-utils）"
    ),
]

A4_WIDTH = 595.92  # points
MARGIN = 12 * 72 / 25.4  # the side margins of @page in app.css: 12 mm
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def printed(page, name: str, emulate: bool = True) -> tuple[str, list]:
    """Print the page to A4 as a browser does (print media), keep the PDF, and read its words
    with their horizontal positions."""
    if emulate:
        page.emulate_media(media="print")
    path = OUTPUT / f"print-{name}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(path), format="A4")
    page.emulate_media(media="screen")
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s", "", text), [(float(a), float(b), w) for a, b, w in WORD.findall(boxes)]


def within_margins(words):
    # 3 pt of slack: pdftotext's box of a chart's slanted axis label is a little wider than the label.
    outside = [w for w in words if w[0] < MARGIN - 3 or w[1] > A4_WIDTH - MARGIN + 3]
    assert not outside, f"printed past the margins: {outside[:5]}"


def test_the_dashboard_prints_its_charts_for_the_paper(open_ui, leader):
    """With ten kinds of violation this year, the 违法行为类型 table prints its top kinds, 其他 and
    合计 inside the margins too."""
    today = timezone.localdate()
    for rank, name in enumerate(TYPES):
        ViolationType.objects.get_or_create(name=name)  # a flushed database has no list
        for k in range(len(TYPES) - rank):
            violation(leader.brigade, rank * 100 + k, at(today.year, 1, 1), name)
    ui = open_ui("print-dashboard")
    page = ui.page
    page.set_viewport_size({"width": 1366, "height": 768})
    ui.login(leader.username)
    # While the page is laid out on paper, each chart's drawing should be as wide as its box there
    # (drawn again for the paper, not the screen's drawing shrunk with its text too small to read).
    page.evaluate(
        """() => matchMedia("print").addEventListener("change", (e) => {
             if (e.matches) window.onPaper = [...document.querySelectorAll("canvas[data-trend]")]
               .map((c) => [c.width / devicePixelRatio, c.getBoundingClientRect().width]); })"""
    )
    text, words = printed(page, "dashboard", emulate=False)
    sizes = page.evaluate("window.onPaper")
    assert sizes and len(sizes) == 5, sizes
    assert all(abs(drawn - shown) <= 2 for drawn, shown in sizes), f"(drawn, on paper): {sizes}"
    assert all(shown < 400 for _, shown in sizes[:4])  # two charts a row on A4
    within_margins(words)
    for label in ("违法行为类型", "宣传活动形式", "投诉举报来源渠道", "领导班子集中学法"):
        assert label in text, label
    # the table's rows on paper (this year, then last year's 0): the most frequent kind of ten, the
    # two least as 其他 (pdftotext reads a wrapped "其他（另2类）" around the row's numbers), 合计 55
    table = text[text.index("违法行为类型（起）") :]
    assert "违法停车100" in table and "合计550" in table, table
    assert re.search(r"其他（另2(类）)?30", table), table


def test_a_report_being_edited_prints_each_section_whole(open_ui, legal):
    report = services.report_create(brigade=legal.brigade, year=timezone.localdate().year - 1, user=legal)
    lines = [
        f"第{n}段：全年组织开展交通安全宣传活动，受教育群众逐年增加，群众满意度持续提升。"
        for n in range(1, 13)
    ]
    section = report.sections.filter(level=2).order_by("order").first()
    ReportSection.objects.filter(pk=section.pk).update(body="\n".join(lines))  # longer than its box
    ui = open_ui("print-report")
    page = ui.page
    page.set_viewport_size({"width": 1366, "height": 768})
    ui.login(legal.username)
    ui.goto(f"/reports/{report.pk}/")
    text, words = printed(page, "report")
    within_margins(words)
    assert re.sub(r"\s", "", report.title) in text
    for line in lines:  # the twelfth paragraph as much as the first, none cut at the box
        assert line in text, line
    assert "报告中的数字" not in text and "保存全部修改" not in text  # working material stays on screen
