"""The annual report: drafted from the records, edited, finalised, downloaded."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from docx import Document

from brigade import locks
from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from brigade.models import Brigade, Meeting, Regulation, Training
from enforcement.models import SupervisionCheck, Violation
from mediation.models import PoliceCall
from publicity.models import MediaWork
from reports import phrasing, services
from reports import shortcomings as shortcomings_module
from reports.models import AnnualReport
from tests.conftest import login, make_xlsx
from tests.reports.test_indicators import at, violation
from tests.threads import in_thread

YEAR = 2025


@pytest.fixture
def records(brigade, other_brigade):
    violation(brigade, 1, at(YEAR, 3, 1), "醉酒驾驶")
    violation(brigade, 2, at(YEAR, 4, 1), "酒后驾驶")
    violation(brigade, 3, at(YEAR, 4, 2), "超速", outcome="警告")
    violation(brigade, 4, at(YEAR - 1, 4, 2), "超速")
    violation(other_brigade, 5, at(YEAR, 4, 2), "醉酒驾驶")
    for n in range(4):
        PoliceCall.objects.create(
            brigade=brigade, received_at=at(YEAR, 5, 1 + n), category="群众求助", follow_up="满意"
        )
    for n in range(5):
        PoliceCall.objects.create(
            brigade=brigade, received_at=at(YEAR - 1, 5, 1 + n), category="群众求助", follow_up="满意"
        )
    SupervisionCheck.objects.create(
        brigade=brigade,
        date=f"{YEAR}-06-01",
        kind="执法记录仪检查",
        checked=100,
        passed=87,
        problems_found=10,
        problems_fixed=9,
        notices=2,
    )
    SupervisionCheck.objects.create(
        brigade=brigade,
        date=f"{YEAR - 1}-06-01",
        kind="执法记录仪检查",
        checked=100,
        passed=65,
        problems_found=4,
        problems_fixed=4,
        notices=1,
    )
    MediaWork.objects.create(
        brigade=brigade,
        date=f"{YEAR}-07-01",
        title="头盔短视频",
        kind="短视频",
        platform="抖音",
        quantity=3,
        views=430512,
    )
    Regulation.objects.create(
        brigade=brigade, name="执法过错责任追究办法", date=f"{YEAR}-02-01", category="监督管理", status="新建"
    )
    Regulation.objects.create(
        brigade=brigade, name="首违不罚清单", date=f"{YEAR}-03-01", category="执法规范", status="新建"
    )
    Meeting.objects.create(
        brigade=brigade, date=f"{YEAR}-01-05", name="法治建设专题会", kind="法治建设专题会议"
    )
    Training.objects.create(
        brigade=brigade,
        date=f"{YEAR}-02-02",
        name="《中华人民共和国行政处罚法》集中学法",
        kind="领导班子集中学法",
        mode="线下",
        attendees=9,
    )
    return brigade


@pytest.fixture
def report(records, legal):
    return services.report_create(brigade=records, year=YEAR, user=legal)


def docx_text(content: bytes) -> list[str]:
    # the template breaks a long title before 关于 (GB/T 9704: at a natural break)
    return [p.text.replace("\n", "") for p in Document(io.BytesIO(content)).paragraphs if p.text.strip()]


def test_the_report_is_drafted_from_the_records(report, brigade):
    assert report.title == "甲县公安局交通警察大队关于2025年法治政府建设情况的报告"
    assert report.addressee == "中共甲县县委" and report.issuer == brigade.name
    text = {s.key: s.body for s in report.sections.all()}
    assert re.search(f"查纠各类交通违法行为3起，{LEAD}上升200%", text["1.enforce"])
    assert "查处酒醉驾2起（其中醉驾1起）" in text["1.enforce"]
    assert re.search(f"全年共接警4起，{LEAD}下降20%", text["1.mediation"])
    assert "执法记录仪相符率由去年的65%提升到87%" in text["1.supervision"]
    assert "播放阅读量43.05万余次" in text["1.publicity"]
    assert "制定了《执法过错责任追究办法》《首违不罚清单》等2项制度" in text["2.rules"]
    assert "重点学习了《中华人民共和国行政处罚法》" in text["2.study"]
    assert text["1.study"] == ""  # no training but the leaders' study: the sub-section is left out
    assert re.search("全年实施柔性执法1起（均为警告），(去年同期为0|上年同期为0|上年为0)", text["1.lenient"])


# 签发 as its confirmation page posts it: the box ticked (reports:sign).
SIGN = {"to": "final", "confirm": "on"}

# The seeds' ways of comparing with last year (phrasing.LEADS).
LEAD = "(较去年同期|同比|较上年)"


def test_the_draft_does_not_boast_of_setbacks_nor_compare_with_an_empty_year(brigade, legal):
    from mediation.models import AccidentCase

    # accidents rose (worse): stated under 成效 without the rise, and taken up in 三
    for n, year in enumerate([YEAR - 1, YEAR, YEAR]):
        AccidentCase.objects.create(
            brigade=brigade,
            case_no=f"A{n}",
            occurred_at=at(year, 5, 1 + n),
            severity="轻微事故",
            procedure="简易程序",
        )
    # violations were first recorded this year: no comparison at all
    violation(brigade, 1, at(YEAR, 3, 1), "醉酒驾驶")
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    text = {s.key: s.body for s in report.sections.all()}
    assert "处理道路交通事故2起" in text["1.mediation"] and "上升" not in text["1.mediation"]
    assert (
        "全年共查纠各类交通违法行为1起；" in text["1.enforce"]
        or "全年共查纠各类交通违法行为1起，其中" in text["1.enforce"]
    )
    assert "去年同期为0" not in "".join(text.values()) and "上年同期为0" not in "".join(text.values())
    assert "交通事故2起，较上年增加1起（上年为1起）" in text["3"] and "主要原因是" in text["3"]


def test_comparisons_vary_as_the_seeds_do(report):
    text = "\n".join(s.body for s in report.sections.all() if s.key.startswith("1"))
    used = re.findall(LEAD + "(上升|下降)", text)
    assert len({lead for lead, _ in used}) >= 2 and text.count("较去年同期") <= 2


def test_the_document_reads_in_the_order_of_the_brief(report, as_legal):
    content = as_legal.get(reverse("reports:download", args=[report.pk])).content
    lines = docx_text(content)
    assert report.title in lines[:3]
    assert "中共甲县县委：" in lines
    headings = [line for line in lines if line[:2] in ("一、", "二、", "三、", "四、", "五、")]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、", "四、"]  # 五 is empty: left out
    assert headings[0] == "一、2025年推进法治政府建设的主要举措和成效"
    assert headings[3] == "四、2026年推进法治政府建设的主要安排"
    subs = [line for line in lines if line.startswith("（")]
    assert subs[0] == "（一）严格规范执法，保持严管高压态势"  # 学法培训 had nothing: numbering closes up
    assert "特此报告。" in lines and "2025年" not in lines[-1]


def test_a_redraft_carries_the_new_figures_into_the_officers_words(report, as_legal, brigade):
    enforce = report.sections.get(key="1.enforce")
    mediation = report.sections.get(key="1.mediation")
    reworded = enforce.body.replace("聚焦易引发事故的重点交通违法行为", "紧盯易引发事故的重点违法行为")
    edited = reworded + "\n法制员补充：全年未发生执法过错。"
    as_legal.post(reverse("reports:detail", args=[report.pk]), _form(report, {enforce.pk: edited}))
    violation(brigade, 99, at(YEAR, 8, 8), "醉酒驾驶")
    PoliceCall.objects.create(brigade=brigade, received_at=at(YEAR, 9, 9), category="其他", follow_up="满意")
    page = as_legal.get(reverse("reports:redraft", args=[report.pk]))
    changes = {c["section"].key: c for c in page.context["changes"]}
    assert changes["1.enforce"]["edited"] and changes["1.enforce"]["preselect"]  # merges cleanly
    assert "<del>3</del><ins>4</ins>起" in changes["1.enforce"]["diff"]  # word by word, not 3~~2~~
    assert changes["1.mediation"]["preselect"]
    as_legal.post(reverse("reports:redraft", args=[report.pk]), {"take": ["1.enforce", "1.mediation"]})
    enforce.refresh_from_db(), mediation.refresh_from_db()
    assert (
        "紧盯易引发事故的重点违法行为" in enforce.body and "法制员补充：全年未发生执法过错。" in enforce.body
    )
    assert "查纠各类交通违法行为4起" in enforce.body
    assert "全年共接警5起" in mediation.body


def test_a_redraft_asks_where_the_officer_and_the_figures_changed_the_same_words(report, as_legal, brigade):
    enforce = report.sections.get(key="1.enforce")
    edited = enforce.body.replace("查纠各类交通违法行为3起", "查纠各类交通违法行为三起")
    as_legal.post(reverse("reports:detail", args=[report.pk]), _form(report, {enforce.pk: edited}))
    violation(brigade, 99, at(YEAR, 8, 8), "醉酒驾驶")
    page = as_legal.get(reverse("reports:redraft", args=[report.pk]))
    change = {c["section"].key: c for c in page.context["changes"]}["1.enforce"]
    (conflict,) = change["conflicts"]
    assert "三起" in conflict["mine"] and "4起" in conflict["fresh"]
    # 三 is not a figure the new one can replace: no “只更新数字”, and no default either
    assert conflict["numbers"] is None and conflict["selected"] is None and change["must_choose"] == 1
    assert "您和新数据都改动了" in page.content.decode()
    as_legal.post(reverse("reports:redraft", args=[report.pk]), {"take": []})
    enforce.refresh_from_db()
    assert enforce.body == edited  # not taken: the officer's words stay
    refused = as_legal.post(reverse("reports:redraft", args=[report.pk]), {"take": ["1.enforce"]})
    assert "请逐句选择" in refused.content.decode()  # taken without a choice: nothing is lost, nothing taken
    enforce.refresh_from_db()
    assert enforce.body == edited


def _form(report, sections=None):
    data = {
        "title": report.title,
        "doc_number": f"甲公交〔{timezone.localdate().year}〕3号",
        "signer": "王队长",
        "addressee": report.addressee,
        "date": "2026-01-12",
        "issuer": report.issuer,
        "opening": report.opening,
        "closing": report.closing,
        "template": "",
    }
    for section in report.sections.all():
        data[f"section-{section.pk}"] = (sections or {}).get(section.pk, section.body)
    # the versions the editor was opened at, as the page carries them
    data |= {f"version-{part}": version for part, version in services.report_versions(report).items()}
    return data


def test_finalise_locks_the_year_and_the_download_never_changes(
    report, as_legal, as_clerk, brigade, legal, leader
):
    as_legal.post(reverse("reports:detail", args=[report.pk]), _form(report))
    as_legal.post(reverse("reports:transition", args=[report.pk]), {"to": "review"})
    login(leader).post(reverse("reports:transition", args=[report.pk]), SIGN)
    report.refresh_from_db()
    assert report.is_final and report.final_figures["violations.drunk"]["current"] == 2
    first = as_legal.get(reverse("reports:download", args=[report.pk])).content
    assert hashlib.sha256(first).hexdigest() == report.final_sha256
    assert f"甲公交〔{timezone.localdate().year}〕3号" in "".join(docx_text(first))

    # the year's records are locked, on every path
    response = as_clerk.post(
        reverse("ledger:create", args=["training"]),
        {"date": f"{YEAR}-05-05", "name": "补录培训", "kind": "全警培训", "mode": "线下", "attendees": "10"},
    )
    assert response.status_code == 200 and "已定稿" in response.content.decode()
    call = PoliceCall.objects.filter(brigade=brigade).first()
    response = as_clerk.post(reverse("ledger:delete", args=["calls", call.pk]), follow=True)
    assert "请本大队法制员" in response.content.decode() and PoliceCall.objects.filter(pk=call.pk).exists()
    header = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]
    result = ledger_import(
        ledger=registry.get("training"),
        brigade=brigade,
        source=make_xlsx([header, [f"{YEAR}-05-05", "补录", "全警培训", "线下", 10, 1, ""]]),
    )
    assert not result.written and "已定稿" in result.errors[0].message
    other_year = as_clerk.post(
        reverse("ledger:create", args=["training"]),
        {
            "date": f"{YEAR + 1}-01-05",
            "name": "新年培训",
            "kind": "全警培训",
            "mode": "线下",
            "attendees": "10",
        },
    )
    assert other_year.status_code == 302  # other years stay open

    # unlock with a reason, change a record: the finalised document stays byte for byte
    assert as_legal.post(reverse("reports:unlock", args=[report.pk]), {"reason": ""}).status_code == 302
    assert brigade.year_locks.get(year=YEAR).locked
    as_legal.post(reverse("reports:unlock", args=[report.pk]), {"reason": "补录漏报的违法记录"})
    lock = brigade.year_locks.get(year=YEAR)
    assert not lock.locked and lock.history.first().history_change_reason == "补录漏报的违法记录"
    violation(brigade, 77, at(YEAR, 10, 1), "醉酒驾驶")
    assert as_legal.get(reverse("reports:download", args=[report.pk])).content == first
    out = io.StringIO()
    call_command(
        "annual_report",
        "--brigade",
        brigade.code,
        "--year",
        str(YEAR),
        "--output",
        "/tmp/_r.docx",
        stdout=out,
    )
    with open("/tmp/_r.docx", "rb") as fh:
        assert fh.read() == first


def test_going_back_needs_a_reason_that_is_kept(report, as_legal, as_leader):
    url = reverse("reports:transition", args=[report.pk])
    as_legal.post(url, {"to": "review"})
    as_legal.post(url, {"to": "draft"})
    report.refresh_from_db()
    assert report.status == "review"
    as_legal.post(url, {"to": "draft", "reason": "数字需核对"})  # the officer withdraws it
    report.refresh_from_db()
    assert report.status == "draft" and report.history.first().history_change_reason == "撤回修改：数字需核对"
    as_legal.post(url, {"to": "review"})
    as_leader.post(url, {"to": "draft", "reason": "第三部分写得太简略"})  # the leader returns it
    report.refresh_from_db()
    assert (
        report.status == "draft"
        and report.history.first().history_change_reason == "退回修改：第三部分写得太简略"
    )


def test_the_leader_signs_the_report_and_is_its_signer(report, as_legal, as_leader, leader, legal):
    leader.first_name = "张建国"
    leader.save()
    url = reverse("reports:transition", args=[report.pk])
    as_legal.post(reverse("reports:detail", args=[report.pk]), _form(report))
    as_legal.post(url, {"to": "review"})
    # waiting for 签发: nobody edits it, the officer cannot sign it
    assert as_legal.post(reverse("reports:detail", args=[report.pk]), _form(report)).status_code == 403
    assert as_legal.post(url, {"to": "final"}).status_code == 403
    report.refresh_from_db()
    assert report.status == "review"
    page = as_leader.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert ">签发<" in page and ">退回修改<" in page and "保存全部修改" not in page
    signing = as_leader.post(url, {"to": "final"})  # not from the 签发 page, the box unticked: not signed
    assert signing["Location"] == reverse("reports:sign", args=[report.pk])
    report.refresh_from_db()
    assert report.status == "review"
    as_leader.post(url, SIGN)
    report.refresh_from_db()
    assert report.is_final and report.finalised_by == leader and report.signer == "张建国"
    assert report.date == timezone.localdate()
    text = "".join(docx_text(bytes(report.final_docx)))
    assert "签发人：张建国" in text


def test_a_doc_number_without_its_serial_cannot_go_for_signing(report, as_legal):
    year = timezone.localdate().year
    for number, message in ((f"甲公交〔{year}〕号", "缺少序号"), (f"甲公交〔{year - 1}〕5号", "签发的年份")):
        data = _form(report) | {"doc_number": number}
        as_legal.post(reverse("reports:detail", args=[report.pk]), data)
        page = as_legal.post(reverse("reports:transition", args=[report.pk]), {"to": "review"}, follow=True)
        report.refresh_from_db()
        assert report.status == "draft" and message in page.content.decode()


def test_leader_reads_and_downloads_but_cannot_edit_or_finalise(report, as_leader, as_clerk, as_outsider):
    assert as_leader.get(reverse("reports:detail", args=[report.pk])).status_code == 200
    assert as_leader.get(reverse("reports:download", args=[report.pk])).status_code == 200
    assert as_leader.post(reverse("reports:detail", args=[report.pk]), _form(report)).status_code == 403
    assert (
        as_leader.post(reverse("reports:transition", args=[report.pk]), {"to": "review"}).status_code == 403
    )
    assert as_leader.post(reverse("reports:new"), {"year": YEAR}).status_code == 403
    report.refresh_from_db()
    assert report.status == "draft"
    assert as_clerk.get(reverse("reports:detail", args=[report.pk])).status_code == 403
    assert as_clerk.get(reverse("reports:download", args=[report.pk])).status_code == 403
    assert as_outsider.get(reverse("reports:detail", args=[report.pk])).status_code in (403, 404)


def test_legal_officer_creates_a_report_from_the_list(as_legal, records):
    response = as_legal.post(reverse("reports:new"), {"year": YEAR})
    report = AnnualReport.objects.get(brigade=records, year=YEAR)
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    assert as_legal.post(reverse("reports:new"), {"year": YEAR}).status_code == 302
    assert AnnualReport.objects.count() == 1


def test_next_years_plan_answers_the_shortcomings_and_keeps_last_years_open_items(report, legal, records):
    plan = report.sections.get(key="4")
    plan.body = "（一）2026年，大队将继续深化执法规范化建设。"
    plan.save()
    following = services.report_create(brigade=records, year=YEAR + 1, user=legal)
    body = following.sections.get(key="4").body
    shortcomings = following.sections.get(key="3").body
    lines = body.splitlines()
    assert 3 <= len(lines) <= 5 and all(
        line.startswith(f"（{'一二三四五'[n]}）") for n, line in enumerate(lines)
    )
    assert "2027年，大队将继续深化执法规范化建设" in body and "2026年" not in body  # last year's, retitled
    for area in shortcomings_module.AREAS:  # each shortcoming of 三 is answered in 四
        if area.shortcoming in shortcomings:
            assert f"{area.heading}。{area.measure}" in body
    assert following.sections.get(key="4").title == "2027年推进法治政府建设的主要安排"
    assert body != report.sections.get(key="4").body


def test_a_malicious_template_is_refused_at_upload(as_legal):
    doc = Document()
    doc.add_paragraph("{{ ''.__class__.__mro__ }}")
    buf = io.BytesIO()
    doc.save(buf)
    upload = io.BytesIO(buf.getvalue())
    upload.name = "evil.docx"
    page = as_legal.post(reverse("reports:templates"), {"name": "恶意", "file": upload}).content.decode()
    assert "模板未通过检查" in page
    from reports.models import ReportTemplate

    assert not ReportTemplate.objects.exists()


def test_report_generation_is_dated_in_arabic_numerals(report):
    context = services.report_context(report)
    assert context["date"] == f"{report.date.year}年{report.date.month}月{report.date.day}日"
    assert isinstance(report.date, datetime.date)


def test_an_import_cannot_move_a_record_out_of_a_locked_year(report, legal, brigade, leader):
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    header = ["制度名称", "发布日期", "类别", "状态"]
    moved = [header, ["首违不罚清单", f"{YEAR + 1}-01-02", "执法规范", "修订"]]  # saved in 2025, now 2026
    result = ledger_import(ledger=registry.get("regulations"), brigade=brigade, source=make_xlsx(moved))
    assert not result.written and "已定稿" in result.errors[0].message
    assert Regulation.objects.get(name="首违不罚清单").date == datetime.date(YEAR, 3, 1)


def test_an_unchanged_export_still_reimports_when_its_year_is_locked(report, legal, brigade, leader):
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    ledger = registry.get("regulations")
    from brigade.ledger.exporter import ledger_export

    content = ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade))
    result = ledger_import(ledger=ledger, brigade=brigade, source=io.BytesIO(content))
    assert result.ok and result.unchanged == 2 and result.written


def test_an_edit_cannot_enter_or_leave_a_locked_year(report, legal, as_clerk, brigade, leader):
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    inside = Training.objects.get(brigade=brigade)  # dated 2025, now locked
    outside = Training.objects.create(
        brigade=brigade, date=f"{YEAR + 1}-01-03", name="新年培训", kind="全警培训", mode="线下", attendees=10
    )
    form = {"name": "改", "kind": "全警培训", "mode": "线下", "attendees": "10"}
    leave = as_clerk.post(
        reverse("ledger:update", args=["training", inside.pk]), form | {"date": f"{YEAR + 1}-02-01"}
    )
    enter = as_clerk.post(
        reverse("ledger:update", args=["training", outside.pk]), form | {"date": f"{YEAR}-02-01"}
    )
    for response in (leave, enter):
        assert response.status_code == 200 and "已定稿" in response.content.decode()
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert inside.date == datetime.date(YEAR, 2, 2) and outside.date == datetime.date(YEAR + 1, 1, 3)


def test_every_finalised_version_is_kept_and_downloadable(report, as_legal, as_leader, as_outsider, leader):
    url = reverse("reports:transition", args=[report.pk])
    as_legal.post(url, {"to": "review"})
    login(leader).post(url, SIGN)
    first = as_legal.get(reverse("reports:download", args=[report.pk])).content
    as_legal.post(reverse("reports:unfinalise_request", args=[report.pk]), {"reason": "主送机关写错"})
    as_leader.post(url, {"to": "draft", "reason": "主送机关写错"})  # only the leader undoes it
    report.refresh_from_db()
    assert report.status == "draft"
    report.addressee = "中共甲县县委、甲县人民政府"
    report.save()
    as_legal.post(url, {"to": "review"})
    login(leader).post(url, SIGN)
    second = as_legal.get(reverse("reports:download", args=[report.pk])).content
    assert first != second
    versions = list(report.final_versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].withdrawn_reason == "主送机关写错" and versions[1].withdrawn_at is None
    assert bytes(versions[0].docx) == first and versions[0].sha256 == hashlib.sha256(first).hexdigest()
    old = as_leader.get(reverse("reports:version", args=[report.pk, 1]))
    assert old.status_code == 200 and old.content == first and old["X-Content-SHA256"] == versions[0].sha256
    assert as_outsider.get(reverse("reports:version", args=[report.pk, 1])).status_code in (403, 404)
    page = as_legal.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "第1版" in page and "第2版" in page and "主送机关写错" in page


@pytest.mark.parametrize("reason", ["", "   ", "\u200b\u200b\u200b", "\u200b改", "a b", "。。。。"])
def test_a_reason_that_says_nothing_is_refused(report, as_legal, reason, leader):
    url = reverse("reports:transition", args=[report.pk])
    as_legal.post(url, {"to": "review"})
    login(leader).post(url, SIGN)
    page = login(leader).post(url, {"to": "draft", "reason": reason}, follow=True).content.decode()
    report.refresh_from_db()
    assert report.status == "final" and "请写明" in page
    as_legal.post(reverse("reports:unlock", args=[report.pk]), {"reason": reason})
    assert report.brigade.year_locks.get(year=report.year).locked


def test_two_editors_merge_by_section_and_a_section_both_changed_is_refused(report, as_legal, legal, brigade):
    from brigade.services import user_upsert
    from tests.conftest import PASSWORD, login

    other = login(
        user_upsert(username="legal2", brigade_code=brigade.code, role="legal", password=PASSWORD)[0]
    )
    one, two = list(report.sections.filter(level=2).exclude(body=""))[:2]
    mine = _form(report)  # both open the editor now
    theirs = _form(report)
    theirs[f"section-{one.pk}"] = one.body + "另一位法制员补充的一句。"
    assert other.post(reverse("reports:detail", args=[report.pk]), theirs).status_code == 302

    # a different section: saved, and the other's section keeps their text
    mine[f"section-{two.pk}"] = two.body + "我补充的一句。"
    as_legal.post(reverse("reports:detail", args=[report.pk]), mine)
    one.refresh_from_db(), two.refresh_from_db()
    assert one.body.endswith("另一位法制员补充的一句。") and two.body.endswith("我补充的一句。")

    # the same section, from a stale editor: refused, nothing saved, the section named
    stale = dict(mine)
    stale[f"section-{one.pk}"] = one.body.replace("另一位法制员补充的一句。", "") + "我的另一种写法。"
    page = as_legal.post(reverse("reports:detail", args=[report.pk]), stale, follow=True).content.decode()
    one.refresh_from_db()
    assert "也被其他人修改了" in page and one.title in page
    assert one.body.endswith("另一位法制员补充的一句。")


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_a_save_in_flight_when_the_report_is_finalised_is_in_its_figures(brigade, legal, clerk, leader):
    """Save first: the clerk's transaction has checked the year and written, not committed yet.
    签发 waits for it and checks the text against it: the text does not state the record, so it
    is refused (reports/stale.py). Once the officer takes the new figures, the finalise counts it."""
    import threading

    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    written, commit = threading.Event(), threading.Event()

    def save():
        with transaction.atomic():
            locks.check_open(
                brigade_id=brigade.pk, ledger=registry.get("violations"), values=[at(YEAR, 6, 1)]
            )
            violation(brigade, 501, at(YEAR, 6, 1), "醉酒驾驶")
            written.set()
            commit.wait(30)

    saver, saved = in_thread(save)
    assert written.wait(10), saved
    finaliser, finalised = in_thread(
        lambda: services.report_transition(report=report, to="final", user=leader)
    )
    saver.join(1)
    assert finaliser.is_alive()  # waiting for the save
    commit.set()
    saver.join(30), finaliser.join(60)
    assert "error" not in saved and "与最新台账不一致" in str(finalised.get("error")), (saved, finalised)
    report.refresh_from_db()
    assert report.status == "review"
    services.report_transition(report=report, to="draft", user=legal, reason="采用最新台账数据")
    report.refresh_from_db()
    drafted = [s.key for s in report.sections.filter(drafted=True)]
    services.redraft_apply(report=report, keys=drafted, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    report.refresh_from_db()
    expected = Violation.objects.filter(
        brigade=brigade, occurred_at__year=YEAR, violation_type__group="酒醉驾"
    ).count()
    assert expected and report.final_figures["violations.drunk"]["current"] == expected


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_a_save_that_comes_while_the_report_is_finalised_is_refused(brigade, legal, clerk, leader):
    """Finalise first: it holds the year while it counts; the clerk's save waits, then finds the
    year locked and is refused (through the form, as the clerk would)."""
    import threading

    from tests.conftest import login

    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    holding, go_on = threading.Event(), threading.Event()

    def finalise():
        with transaction.atomic():
            locks.hold_years(brigade_id=brigade.pk, years=[YEAR], exclusive=True)
            holding.set()
            go_on.wait(30)
            services.report_transition(report=report, to="final", user=leader)

    finaliser, finalised = in_thread(finalise)
    assert holding.wait(10)
    client = login(clerk)
    data = {
        "date": f"{YEAR}-06-01",
        "name": "补录培训",
        "kind": "全警培训",
        "mode": "线下",
        "attendees": "10",
    }
    saver, saved = in_thread(lambda: client.post(reverse("ledger:create", args=["training"]), data))
    finaliser.join(1)
    assert saver.is_alive()  # waiting for the finalise
    go_on.set()
    finaliser.join(60), saver.join(60)
    assert "error" not in finalised and "error" not in saved, (finalised, saved)
    assert saved["value"].status_code == 200 and "已定稿" in saved["value"].content.decode()
    assert not Training.objects.filter(name="补录培训").exists()


def test_a_year_unlocked_for_a_correction_is_locked_again_without_unfinalising(
    report, as_legal, as_leader, leader
):
    url = reverse("reports:transition", args=[report.pk])
    as_legal.post(url, {"to": "review"})
    as_leader.post(url, SIGN)
    as_legal.post(reverse("reports:unlock", args=[report.pk]), {"reason": "补录漏报的培训记录"})
    lock = report.brigade.year_locks.get(year=YEAR)
    assert not lock.locked
    page = as_legal.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "重新锁定年度台账" in page
    assert as_leader.post(reverse("reports:relock", args=[report.pk])).status_code == 403
    as_legal.post(reverse("reports:relock", args=[report.pk]))
    lock.refresh_from_db()
    report.refresh_from_db()
    assert (
        lock.locked
        and report.is_final
        and lock.history.first().history_change_reason == f"{YEAR}年度台账重新锁定"
    )


def test_only_the_brigades_own_leader_signs_and_only_its_own_officer_edits(
    report, as_legal, brigade, admin_user
):
    from brigade.models import User
    from brigade.services import user_upsert
    from tests.conftest import PASSWORD

    url = reverse("reports:transition", args=[report.pk])
    as_legal.post(url, {"to": "review"})
    root = User.objects.create_superuser("root", password=PASSWORD)  # a deployment superuser, no brigade
    other_leader = (
        user_upsert(username="leader_b", brigade_code="b", role="leader", password=PASSWORD)[0]
        if Brigade.objects.filter(code="b").exists()
        else None
    )
    for signer in (login(root), login(admin_user)):
        assert signer.post(url, SIGN).status_code in (403, 404)
        assert signer.post(reverse("reports:detail", args=[report.pk]), _form(report)).status_code in (
            403,
            404,
        )
    if other_leader:
        assert login(other_leader).post(url, SIGN).status_code in (403, 404)
    report.refresh_from_db()
    assert report.status == "review" and not report.signer


def test_the_draft_names_what_the_records_name(brigade, legal):
    from enforcement.models import Campaign
    from publicity.models import PublicityEvent

    Campaign.objects.create(
        brigade=brigade,
        name="夏季治超百日行动",
        start_date=datetime.date(YEAR, 6, 1),
        kind="治超",
        partners="交通运输局、应急管理局",
        officers=300,
        batches=20,
    )
    Campaign.objects.create(
        brigade=brigade,
        name="酒驾醉驾整治",
        start_date=datetime.date(YEAR, 3, 1),
        kind="酒醉驾",
        partners="",
        officers=120,
        batches=10,
    )
    for audience, people in (("中小学生", 800), ("老年人", 300)):
        PublicityEvent.objects.create(
            brigade=brigade,
            date=datetime.date(YEAR, 5, 1),
            name="交通安全进校园",
            kind="进校园",
            audience=audience,
            attendees=people,
        )
    Training.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 4, 1),
        name="学习习近平法治思想",
        kind="专题学法",
        mode="线下",
        attendees=40,
        content="学习《中华人民共和国行政复议法》",
    )
    violation(brigade, 71, at(YEAR, 7, 1), "超速")
    violation(brigade, 72, at(YEAR, 7, 2), "疲劳驾驶")
    Meeting.objects.create(
        brigade=brigade, date=datetime.date(YEAR, 12, 20), name="年度法治建设务虚会", kind="务虚会"
    )
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    text = {s.key: s.body for s in report.sections.all()}
    assert "“三超一疲劳”2起（超速1起、疲劳驾驶1起）" in text["1.enforce"]
    assert "法治建设务虚会1次" in text["2.lead"]
    assert "组织开展“夏季治超百日行动”“酒驾醉驾整治”等专项行动2次" in text["1.enforce"]
    assert "专项行动2次（其中联合交通运输局、应急管理局等部门开展1次）" in text["1.enforce"]
    assert "重点面向中小学生、老年人等群体" in text["1.publicity"]
    assert "系统学习了习近平法治思想和《中华人民共和国行政复议法》等法律法规" in text["1.study"]


def test_every_number_of_the_report_page_links_to_the_records_it_counts(report, as_legal, as_leader):
    page = as_leader.get(reverse("reports:detail", args=[report.pk]))
    traced = page.context["traced"]
    assert traced and "报告中的数字" in page.content.decode()
    text = "\n".join(s.body for s in report.sections.all())
    for entry in traced:
        assert entry["shown"] in text
        listed = as_leader.get(entry["url"])
        assert listed.status_code == 200, entry
        shown = listed.context["indicator"]
        if not entry["shown"].endswith("%"):
            assert entry["shown"].startswith(phrasing.count(int(shown["value"]))), (entry, shown["value"])
    # …and in the text itself, each such number is a link to its records (phrased the same as
    # another figure: left unlinked rather than linked to the wrong records)
    html = page.content.decode()
    unique = [e for e in traced if [t["shown"] for t in traced].count(e["shown"]) == 1]
    assert unique
    for entry in unique:
        link = f'<a class="figure" href="{escape(entry["url"])}" title="查看{entry["label"]}所统计的记录">{entry["shown"]}</a>'
        assert link in html, entry
    assert "<script" not in "".join(str(p) for s in page.context["sections"] for p in s.linked)


def test_the_report_page_lists_months_that_look_wrong_with_links_to_them(brigade, legal, as_legal):
    from reports.quality import data_warnings

    for month in range(1, 13):
        if month in (4, 5):
            continue  # nothing recorded in April and May
        for n in range(30 if month == 9 else 5):  # September: six times the usual
            Training.objects.create(
                brigade=brigade,
                date=datetime.date(YEAR, month, 1 + n % 28),
                name=f"培训{month}-{n}",
                kind="专题学法",
                mode="线下",
                attendees=5,
            )
    warnings = data_warnings(brigade_ids=[brigade.pk], year=YEAR)
    texts = [w["text"] for w in warnings if w["ledger"].kind == "training"]
    assert any("4月、5月没有记录" in t for t in texts), texts
    assert any("9月30条" in t and "6.0倍" in t for t in texts), texts
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    shortcomings = report.sections.get(key="3").body
    assert (
        "台账录入的规范性仍需加强" in shortcomings and "学法培训台账有2个月没有记录" in shortcomings
    )  # 三 takes it up
    plan = report.sections.get(key="4").body
    assert shortcomings_module.RECORDS.measure in plan and "数据检查提示按月清零" in plan  # and 四 answers it
    assert (
        'data-fragment="/reports/'
        in as_legal.get(reverse("reports:detail", args=[report.pk])).content.decode()
    )
    page = as_legal.get(reverse("reports:checks", args=[report.pk]))  # fetched by the report page
    html = page.content.decode()
    assert "数据检查" in html and "4月、5月没有记录" in html and "返回报告" in html
    link = next(url for w in page.context["warnings"] if "9月" in w["text"] for _, url in w["links"])
    assert as_legal.get(link).context["paginator"].count == 30
