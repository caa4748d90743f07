"""Three users' journeys through the real pages in Chromium: the clerk records and imports, the
legal officer writes and finalises the annual report, the leader reads and may not write.
Screenshots of the key pages go to test-output/e2e/<journey>/."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import Workbook

from brigade.models import Training
from enforcement.models import Violation, ViolationType

pytestmark = pytest.mark.django_db(transaction=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRAINING_HEADER = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]


def last_year() -> int:
    """A whole past year: every date in it is valid whatever day the tests run."""
    return timezone.localdate().year - 1


def xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def card(page, label: str):
    return page.locator("a.kpi", has=page.locator("span.label", has_text=re.compile(f"^{label}$")))


def test_clerk_records_imports_and_sees_the_dashboard(open_ui, clerk):
    year = last_year()
    ui = open_ui("clerk")
    page = ui.page

    ui.login(clerk.username)
    assert page.url == ui.url("/")
    ui.shot("dashboard")

    text = ui.submit(page.locator("nav.sidebar").get_by_role("link", name="学法培训"))
    assert "学法培训台账" in text and "没有符合条件的记录" in text

    # A record through the form: a future date and nobody attending are refused, field by field.
    ui.submit(page.get_by_role("link", name="新增", exact=True))
    future = timezone.localdate() + datetime.timedelta(days=30)
    page.fill("#id_date", future.isoformat())
    page.fill("#id_name", "宪法专题学习会")
    page.select_option("#id_kind", "专题学法")
    page.select_option("#id_mode", "线下")
    page.fill("#id_attendees", "0")
    page.fill("#id_hours", "2")
    page.fill("#id_content", "学习宪法及道路交通安全法")
    ui.submit(page.get_by_role("button", name="保存"))
    date_error = page.locator(".row.invalid:has(#id_date) .error").inner_text()
    attendees_error = page.locator(".row.invalid:has(#id_attendees) .error").inner_text()
    assert "不能晚于今天" in date_error
    assert re.search(r"[\u4e00-\u9fff]", attendees_error) and "1" in attendees_error, attendees_error
    ui.shot("form-errors")
    page.fill("#id_date", f"{year}-03-15")
    page.fill("#id_attendees", "36")
    text = ui.submit(page.get_by_role("button", name="保存"))
    assert "已保存学法培训记录" in text and "宪法专题学习会" in text
    ui.shot("record-saved")

    # An import through the browser: upload, preview, confirm.
    ui.goto("/ledgers/training/")
    ui.submit(page.get_by_role("link", name="Excel导入"))
    ui.shot("import")
    content = xlsx([
        TRAINING_HEADER,
        [datetime.date(year, 5, 8), "道路交通安全法实施条例专题培训", "全警培训", "线下", 48, 3, "执法实务"],
        [f"{year}年9月20日", "执法资格考试考前辅导", "岗位练兵", "线上", 25, 2, ""],
        [datetime.date(year - 1, 11, 2), "上年度法治讲座", "法治讲座", "线下", 60, 1.5, ""],
    ])  # fmt: skip
    page.set_input_files(
        "input[name=file]", {"name": "学法培训台账.xlsx", "mimeType": XLSX, "buffer": content}
    )
    text = ui.submit(page.get_by_role("button", name="上传并检查"))
    assert "将新增：3" in text and "错误：0" in text
    ui.shot("import-preview")
    text = ui.submit(page.get_by_role("button", name="确认导入"))
    assert page.url == ui.url("/ledgers/training/")
    assert "导入完成：新增3条" in text and "共 4 条" in text
    ui.shot("imported")

    # The year filter: this year's three records, not last year's lecture.
    with page.expect_navigation():  # a choice applies when made
        page.select_option("form.filters select[name=year]", str(year))
    text = ui.check(200)
    assert f"year={year}" in page.url and "共 3 条" in text
    assert "宪法专题学习会" in text and "执法资格考试考前辅导" in text and "上年度法治讲座" not in text
    ui.shot("filtered")

    # The dashboard of that year counts them.
    ui.submit(page.locator("nav.sidebar").get_by_role("link", name="驾驶舱"))
    with page.expect_navigation():
        page.select_option("select[name=year]", str(year))
    ui.check(200)
    assert re.fullmatch(r"3\D*", card(page, "组织学法培训").locator(".value").inner_text().strip())
    ui.shot("dashboard-year")


def test_legal_officer_writes_and_submits_and_the_leader_signs_the_report(open_ui, legal, leader):
    year = last_year()
    speeding, _ = ViolationType.objects.get_or_create(name="超速")  # a flushed database has no list
    for n in range(7):
        Violation.objects.create(
            brigade=legal.brigade, decision_no=f"E2E-{n}", violation_type=speeding, method="现场",
            outcome="罚款", occurred_at=timezone.make_aware(datetime.datetime(year, 1 + n, 10, 9)),
        )  # fmt: skip
    sentence = "本大队全年未发生执法过错责任追究案件，特此说明。"
    ui = open_ui("legal")
    page = ui.page

    ui.login(legal.username)
    ui.submit(page.locator("nav.sidebar").get_by_role("link", name="年度报告"))
    assert "还没有年度报告" in page.inner_text("body")
    with page.expect_navigation():  # the year chosen reloads the list with that year's data check
        page.select_option("select[name=year]", str(year))
    ui.check(200)
    ui.shot("reports")
    text = ui.submit(page.get_by_role("button", name=f"核对无误，起草{year}年度报告"))
    assert f"关于{year}年法治政府建设情况的报告" in text and "草稿" in text
    ui.shot("drafted")

    page.locator("#s-5 textarea").fill(sentence)
    text = ui.submit(page.get_by_role("button", name="保存全部修改"))
    assert "已保存（修改了1处）" in text
    assert page.locator("#s-5 textarea").input_value() == sentence

    text = ui.submit(page.get_by_role("button", name="提交领导签发"))
    assert "报告已提交领导签发" in text and page.get_by_role("button", name="签发").count() == 0
    assert page.locator("#s-5 textarea").count() == 0  # nothing is editable while it waits
    report_url = page.url
    ui.shot("submitted")

    # The leader returns it once with a reason, the officer submits again, the leader signs.
    leader.first_name = "王队长"
    leader.save()
    boss = open_ui("leader-signs")
    boss.login(leader.username)
    boss.goto(report_url.removeprefix(boss.base_url))
    boss.page.fill("input[name=reason]", "请补充执法监督的情况")
    text = boss.submit(boss.page.get_by_role("button", name="退回修改"))
    assert "报告状态：草稿" in text
    ui.goto(report_url.removeprefix(ui.base_url))
    assert "请补充执法监督的情况" in page.inner_text("body")
    ui.submit(page.get_by_role("button", name="提交领导签发"))
    boss.goto(report_url.removeprefix(boss.base_url))
    text = boss.submit(boss.page.get_by_role("button", name="签发", exact=True))  # its own page
    assert f"签发后报告定稿，{year}年度台账锁定" in text and "报告中的数字与最新台账一致" in text
    boss.page.check("input[name=confirm]")
    text = boss.submit(boss.page.get_by_role("button", name="确认签发"))
    assert "报告状态：已定稿" in text and re.search(r"状态：已定稿\s*（王队长签发）", text), text
    assert "理由：王队长" not in text  # who signed it is no reason
    assert f"{year}年度台账已锁定" in text
    boss.shot("signed")

    with boss.page.expect_download() as download:
        boss.page.get_by_role("link", name="下载Word").click()
    assert download.value.suggested_filename.endswith(".docx")
    content = Path(download.value.path()).read_bytes()
    from reports.models import AnnualReport

    assert content == bytes(AnnualReport.objects.get(brigade=legal.brigade, year=year).final_docx)
    doc = Document(io.BytesIO(content))
    words = "\n".join(p.text for p in doc.paragraphs)
    assert sentence in words and "签发人：王队长" in words
    assert "全年共查纠各类交通违法行为7起" in words


def test_leader_reads_the_dashboard_and_may_not_write(open_ui, leader):
    year = last_year()
    for month, kind in [(4, "全警培训"), (6, "专题学法")]:
        Training.objects.create(
            brigade=leader.brigade, date=datetime.date(year, month, 1), name=f"{kind}{month}月",
            kind=kind, mode="线下", attendees=30,
        )  # fmt: skip
    ui = open_ui("leader")
    page = ui.page

    ui.login(leader.username)
    assert page.url == ui.url("/")
    assert "法治建设驾驶舱" in page.inner_text("body")
    with page.expect_navigation():
        page.select_option("select[name=year]", str(year))
    ui.check(200)
    assert f"year={year}" in page.url
    ui.shot("dashboard-year")

    text = ui.submit(card(page, "组织学法培训"))
    assert "/ledgers/training/" in page.url and "indicator=training.sessions" in page.url
    assert f"period_after={year}-01-01" in page.url and f"period_before={year}-12-31" in page.url
    assert "共 2 条" in text and "全警培训4月" in text and "合计 2期" in text
    assert page.get_by_role("link", name="新增", exact=True).count() == 0
    assert page.get_by_role("link", name="Excel导入").count() == 0
    ui.shot("ledger-from-card")

    text = ui.goto("/ledgers/training/new/", status=403)
    assert "无权" in text
    ui.shot("forbidden")
    assert "页面不存在" in ui.goto("/ledgers/no-such-ledger/", status=404)


def test_pages_fit_a_phone_screen(open_ui, clerk, leader):
    """At 390 px nothing scrolls sideways: the navigation sits above the page, a list's rows are
    cards (tests/e2e/test_lists_mobile.py taps them)."""
    year = last_year()
    Training.objects.create(brigade=clerk.brigade, date=datetime.date(year, 3, 1), name="手机端检查用培训",
                            kind="专题学法", mode="线下", attendees=12)  # fmt: skip
    for user, paths in ((clerk, ["/", "/ledgers/training/", "/ledgers/violations/", "/ledgers/training/new/"]),
                        (leader, ["/", "/reports/"])):  # fmt: skip
        ui = open_ui(f"phone-{user.username}")
        ui.page.set_viewport_size({"width": 390, "height": 844})
        ui.login(user.username)
        for path in paths:
            ui.goto(path)
            width = ui.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            ui.shot(path.strip("/").replace("/", "-") or "home")
        # The navigation is folded behind 菜单, so the page starts at the top of the screen.
        sidebar = ui.page.locator("nav.sidebar")
        assert not sidebar.is_visible()
        ui.page.get_by_text("菜单", exact=True).click()
        assert sidebar.is_visible()
        ui.shot("menu")
        ui.submit(sidebar.get_by_role("link", name="驾驶舱"))
        assert ui.page.evaluate("document.documentElement.scrollWidth") <= 390
