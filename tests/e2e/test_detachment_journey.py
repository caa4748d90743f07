"""The detachment's (支队's) own report in Chromium: its legal officer drafts it from its brigades'
records and submits it, its leader signs it, a brigade's officer cannot open it. Screenshots go
to test-output/e2e/<journey>/."""

import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document

from brigade.services import brigade_upsert, user_upsert
from enforcement.models import Violation, ViolationType
from reports.models import AnnualReport
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_detachments_legal_officer_drafts_and_its_leader_signs_its_report(
    open_ui, detachment, brigade, legal
):
    year = timezone.localdate().year - 1
    brigade_upsert(code="zd", name=detachment.name, superior="中共测试市委")
    third = brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")[
        0
    ]
    drunk, _ = ViolationType.objects.get_or_create(name="醉酒驾驶", defaults={"group": "酒醉驾"})
    speeding, _ = ViolationType.objects.get_or_create(name="超速")
    for n, (unit, kind) in enumerate([(brigade, drunk)] * 3 + [(third, drunk), (third, speeding)]):
        Violation.objects.create(
            brigade=unit, decision_no=f"ZD-{n}", violation_type=kind, method="现场", outcome="罚款", fine=200,
            occurred_at=timezone.make_aware(datetime.datetime(year, 3, 1 + n, 9)),
        )  # fmt: skip
    officer = user_upsert(
        username="fazhi_zd", brigade_code="zd", role="legal", detachment=True, password=PASSWORD
    )[0]
    chief = user_upsert(
        username="leader_zd",
        brigade_code="zd",
        role="leader",
        detachment=True,
        password=PASSWORD,
        full_name="李支队",
    )[0]

    ui = open_ui("detachment-legal")
    page = ui.page
    ui.login(officer.username)
    ui.submit(page.locator("nav.sidebar").get_by_role("link", name="年度报告"))
    with page.expect_navigation():  # the year chosen reloads the list with that year's data check
        page.select_option("select[name=year]", str(year))
    ui.check(200)
    text = ui.submit(page.get_by_role("button", name=f"核对无误，起草{year}年度报告"))
    assert f"测试市公安局交通警察支队关于{year}年法治政府建设情况的报告" in text
    assert "全年共查纠各类交通违法行为5起" in page.locator("#s-1\\.enforce textarea").input_value()
    assert "甲县大队查处酒醉驾3起，居各大队首位。" in page.locator("#s-1\\.enforce textarea").input_value()
    table = page.locator("#unit-table")
    assert [row.inner_text().split()[0] for row in table.locator("tbody tr").all()] == [
        "甲县大队",
        "丙县大队",
        "合计",
    ]
    ui.shot("drafted")
    page.locator("#s-5 textarea").fill("全支队全年未发生执法过错责任追究案件。")
    assert "已保存（修改了1处）" in ui.submit(page.get_by_role("button", name="保存全部修改"))
    text = ui.submit(page.get_by_role("button", name="提交领导签发"))
    assert "报告已提交领导签发" in text and page.get_by_role("button", name="签发").count() == 0
    report_path = page.url.removeprefix(ui.base_url)

    boss = open_ui("detachment-leader")
    boss.login(chief.username)
    boss.goto(report_path)
    assert boss.page.locator("#unit-table").is_visible()
    text = boss.submit(boss.page.get_by_role("button", name="签发", exact=True))  # its own page
    assert f"支队本级{year}年度台账锁定" in text
    boss.page.check("input[name=confirm]")
    text = boss.submit(boss.page.get_by_role("button", name="确认签发"))
    assert "报告状态：已定稿" in text and f"{year}年度台账已锁定" in text
    boss.shot("signed")
    with boss.page.expect_download() as download:
        boss.page.get_by_role("link", name="下载Word").click()
    content = Path(download.value.path()).read_bytes()
    assert content == bytes(AnnualReport.objects.get(brigade__code="zd", year=year).final_docx)
    document = Document(io.BytesIO(content))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "签发人：李支队" in words and "全支队全年未发生执法过错责任追究案件。" in words
    assert [row.cells[0].text for row in document.tables[0].rows] == ["单位", "甲县大队", "丙县大队", "合计"]

    # A brigade's officer: not even its existence shows.
    other = open_ui("detachment-brigade-officer")
    other.login(legal.username)
    assert "不存在" in other.goto(report_path, status=404)
