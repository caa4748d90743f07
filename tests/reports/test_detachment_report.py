"""The detachment's (支队's) own report: its brigades' figures summed, rates recomputed from the
sums, a table of each brigade's key figures, drafted by the 支队's legal officer and signed by
its leader; brigade users never see it."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from brigade.models import Brigade, YearLock
from brigade.services import brigade_upsert, user_upsert
from mediation.models import AccidentCase
from reports import services
from reports.models import AnnualReport
from tests.conftest import PASSWORD, login
from tests.reports.test_indicators import at, violation

YEAR = 2025


def accident(brigade, n, result, year=YEAR):
    return AccidentCase.objects.create(
        brigade=brigade,
        case_no=f"A{brigade.pk}-{n}-{year}",
        occurred_at=at(year, 3, 1 + n),
        severity="轻微事故",
        procedure="简易程序",
        mediation_method="大队调解",
        mediation_result=result,
    )


@pytest.fixture
def third(detachment) -> Brigade:
    """A second brigade under the detachment (the fixture's other_brigade "b" is under none)."""
    return brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")[0]


@pytest.fixture
def rolled_up(detachment, brigade, third, other_brigade):
    """甲县大队: 3 drunk-driving cases (1 last year), 1 accident applied for mediation and settled
    (100%). 丙县大队: 1 drunk-driving case and 1 speeding, 4 applied, 1 settled (25%). So the
    detachment's rate is 2/5 = 40%, while the average of the brigades' rates would be 62.5%.
    乙县大队 belongs to no detachment: its records count nowhere here."""
    brigade_upsert(code="zd", name=detachment.name, superior="中共测试市委", doc_prefix="测公交")
    for n in range(3):
        violation(brigade, n, at(YEAR, 3, 1 + n), "醉酒驾驶")
    violation(brigade, 9, at(YEAR - 1, 3, 1), "酒后驾驶")
    violation(third, 1, at(YEAR, 5, 1), "酒后驾驶")
    violation(third, 2, at(YEAR, 5, 2), "超速")
    violation(other_brigade, 1, at(YEAR, 5, 1), "醉酒驾驶")
    accident(brigade, 1, "调解成功")
    accident(brigade, 9, "调解成功", year=YEAR - 1)
    accident(third, 1, "调解成功")
    for n in range(2, 5):
        accident(third, n, "调解未成功")
    accident(third, 9, "调解未成功", year=YEAR - 1)
    accident(other_brigade, 1, "调解未成功")
    detachment.refresh_from_db()
    return detachment


@pytest.fixture
def zd_legal(detachment):
    """The 支队's legal officer: a user of the 支队, role 法制员, detachment-level (sees the brigades)."""
    return user_upsert(
        username="fazhi_zd", brigade_code="zd", role="legal", detachment=True, password=PASSWORD
    )[0]


@pytest.fixture
def zd_leader(detachment_user):
    detachment_user.first_name = "李支队"
    detachment_user.save()
    return detachment_user


@pytest.fixture
def report(rolled_up, zd_legal):
    response = login(zd_legal).post(reverse("reports:new"), {"year": YEAR})
    report = AnnualReport.objects.get(brigade=rolled_up, year=YEAR)
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    return report


def body(report) -> dict[str, str]:
    return {s.key: s.body for s in report.sections.all()}


def docx_lines(content: bytes) -> list[str]:
    return [p.text.replace("\n", "") for p in Document(io.BytesIO(content)).paragraphs if p.text.strip()]


def docx_table(content: bytes) -> list[list[str]]:
    (table,) = Document(io.BytesIO(content)).tables
    return [[cell.text.replace("\n", "") for cell in row.cells] for row in table.rows]


def test_the_detachment_report_sums_its_brigades_and_names_the_one_that_stands_out(report):
    assert report.title == "测试市公安局交通警察支队关于2025年法治政府建设情况的报告"
    assert report.addressee == "中共测试市委" and report.issuer == "测试市公安局交通警察支队"
    assert report.doc_number == "测公交〔2026〕号"
    assert "全支队（含甲县大队、丙县大队，共2个大队）" in report.opening
    text = body(report)
    # 5 violations of its two brigades (乙县大队's is not among them), 4 of them drunk driving
    assert "全年共查纠各类交通违法行为5起" in text["1.enforce"]
    assert "查处酒醉驾4起（其中醉驾3起）" in text["1.enforce"]
    assert "甲县大队查处酒醉驾3起，居各大队首位。" in text["1.enforce"]
    assert "成功调解交通事故2起" in text["1.mediation"]
    assert "甲县大队、丙县大队成功调解交通事故各1起，并列各大队首位。" in text["1.mediation"]


def test_its_rates_are_the_rate_of_the_sums_never_the_average_of_rates(report, rolled_up):
    text = body(report)["1.mediation"]
    assert "调解成功率40%" in text and "62.5%" not in text
    _, figures, each = services.report_figures(report)
    assert figures["accidents.mediation_rate"].current == 40
    brigades = {b.code: b.pk for b in Brigade.objects.all()}
    assert each[brigades["a"]]["accidents.mediation_rate"].current == 100
    assert each[brigades["c"]]["accidents.mediation_rate"].current == 25


def test_what_got_worse_names_the_brigade_where_it_got_worse_most(report):
    text = body(report)["3"]
    assert "交通事故5起，较上年增加3起（上年为2起），其中丙县大队由1起增至4起，增加最多" in text
    # the rate fell (50% → 40%) though neither brigade's own did: no brigade is blamed for it
    assert "调解成功率由上年的50%下降到40%" in text and "调解成功率由上年的50%下降到40%，其中" not in text


def test_the_detachments_own_records_count_and_have_a_row_of_their_own(rolled_up, brigade, third):
    from brigade.models import Training

    Training.objects.create(
        brigade=rolled_up,
        date=f"{YEAR}-04-01",
        name="支队全警培训",
        kind="全警培训",
        mode="线下",
        attendees=50,
    )
    Training.objects.create(
        brigade=brigade, date=f"{YEAR}-04-02", name="大队培训", kind="全警培训", mode="线下", attendees=20
    )
    report = services.report_create(brigade=rolled_up, year=YEAR)
    assert (
        "面向民警辅警组织学法培训2期" in body(report)["1.study"] and "参训70人次" in body(report)["1.study"]
    )
    rows = docx_table(services.report_document(report))
    column = rows[0].index("学法培训（期）")
    assert [(row[0], row[column][:1]) for row in rows[1:]] == [
        ("甲县大队", "1"),
        ("丙县大队", "0"),
        ("支队本级", "1"),
        ("合计", "2"),
    ]


def test_the_document_carries_the_table_of_its_brigades_with_each_ones_change(report, zd_legal):
    content = login(zd_legal).get(reverse("reports:download", args=[report.pk])).content
    lines = docx_lines(content)
    assert "附件：2025年各大队法治政府建设主要指标情况表" in lines
    assert lines.index("附件：2025年各大队法治政府建设主要指标情况表") < lines.index(
        "测试市公安局交通警察支队", 3
    )  # 落款
    rows = docx_table(content)
    assert rows[0][:3] == ["单位", "查纠违法（起）", "酒醉驾（起）"]
    assert "调解成功率（%）" in rows[0]
    by_name = {row[0]: row[1:] for row in rows[1:]}
    assert list(by_name) == ["甲县大队", "丙县大队", "合计"]
    rate = rows[0].index("调解成功率（%）") - 1
    assert by_name["甲县大队"][0] == "3同比+200%"  # 3 this year against 1 last year
    assert (
        by_name["丙县大队"][0] == "2上年无记录"
    )  # its violations were not recorded last year: no comparison
    assert by_name["合计"][1] == "4同比+300%"
    assert [by_name[n][rate] for n in by_name] == ["100同比持平", "25同比+25", "40同比-10"]  # 50% last year


def test_the_report_page_shows_the_table_with_links_to_each_brigades_records(report, zd_leader, brigade):
    page = login(zd_leader).get(reverse("reports:detail", args=[report.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "各大队法治政府建设主要指标情况表" in html and "甲县大队" in html and "丙县大队" in html
    first = page.context["annex"]["rows"][0]
    assert first["name"] == "甲县大队"
    listed = login(zd_leader).get(first["cells"][1]["url"])  # 甲县大队's drunk-driving records
    assert listed.status_code == 200 and listed.context["paginator"].count == 3


def test_brigade_users_never_see_the_detachment_report(report, legal, leader, clerk, outsider):
    for user in (legal, leader, clerk, outsider):
        client = login(user)
        for name in ("reports:detail", "reports:download"):
            assert client.get(reverse(name, args=[report.pk])).status_code == 404, (user, name)
        assert (
            client.post(reverse("reports:transition", args=[report.pk]), {"to": "review"}).status_code == 404
        )
        assert report.title not in client.get(reverse("reports:list")).content.decode()
    report.refresh_from_db()
    assert report.status == "draft"


def test_the_detachments_legal_officer_submits_and_its_leader_signs(
    report, zd_legal, zd_leader, brigade, clerk
):
    url = reverse("reports:transition", args=[report.pk])
    officer, chief = login(zd_legal), login(zd_leader)
    page = officer.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "保存全部修改" in page and ">提交领导签发<" in page
    assert chief.post(url, {"to": "review"}).status_code == 403  # the leader does not submit
    data = {
        "title": report.title,
        "doc_number": "测公交〔2026〕1号",
        "addressee": report.addressee,
        "issuer": report.issuer,
        "opening": report.opening,
        "closing": report.closing,
        "template": "",
    }
    data |= {f"section-{s.pk}": s.body for s in report.sections.all()}
    data |= {f"version-{k}": v for k, v in services.report_versions(report).items()}
    report.doc_number = ""
    report.save()  # no 发文字号 to check on the day of signing
    officer.post(url, {"to": "review"})
    assert officer.post(url, {"to": "final"}).status_code == 403  # the officer does not sign
    chief.post(url, {"to": "final", "confirm": "on"})  # from the 签发 page, its box ticked
    report.refresh_from_db()
    assert report.is_final and report.signer == "李支队" and report.finalised_by == zd_leader
    assert "签发人：李支队" in "".join(docx_lines(bytes(report.final_docx)))
    # the figures it states are stored, the detachment's sums and each brigade's own
    stored = report.final_figures
    assert stored["violations.drunk"]["current"] == 4 and stored["accidents.mediation_rate"]["current"] == 40
    assert stored["violations.drunk"]["brigades"] == {"zd": [0, 0], "a": [3, 1], "c": [1, 0]}
    # the 支队's own year is locked; its brigades' years stay theirs to lock with their own reports
    assert YearLock.objects.get(brigade=report.brigade, year=YEAR).locked
    assert not YearLock.objects.filter(brigade=brigade, year=YEAR).exists()
    added = login(clerk).post(
        reverse("ledger:create", args=["training"]),
        {"date": f"{YEAR}-05-05", "name": "补录培训", "kind": "全警培训", "mode": "线下", "attendees": "10"},
    )
    assert added.status_code == 302
    # …and what was signed does not move with them: the table on its page and in its context
    # (the public edition's) is the one it was signed with
    page = login(zd_leader).get(reverse("reports:detail", args=[report.pk]))
    assert page.context["annex"]["rows"][0]["name"] == "甲县大队"
    assert (
        page.context["annex"]["rows"][0]["cells"][-1]["value"] == "0"
    )  # 学法培训: the training added since is not in it
    assert services.report_context(report)["annex"] == stored["annex"] == page.context["annex"]
    assert login(zd_leader).get(reverse("reports:download", args=[report.pk])).content == bytes(
        report.final_docx
    )


def test_the_command_writes_the_detachment_report(rolled_up, tmp_path):
    out = tmp_path / "zd.docx"
    call_command(
        "annual_report", "--brigade", "zd", "--year", str(YEAR), "--output", str(out), stdout=io.StringIO()
    )
    content = out.read_bytes()
    assert "测试市公安局交通警察支队关于2025年法治政府建设情况的报告" in "".join(docx_lines(content))
    assert [row[0] for row in docx_table(content)] == ["单位", "甲县大队", "丙县大队", "合计"]


def test_a_brigades_report_is_unchanged_no_table_no_ranking(rolled_up, brigade, legal):
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    text = "\n".join(body(report).values())
    assert "查处酒醉驾3起" in text and "居各大队首位" not in text and "全支队" not in report.opening
    content = services.report_document(report)
    assert not Document(io.BytesIO(content)).tables and not any(
        line.startswith("附件") for line in docx_lines(content)
    )


def test_the_detachments_legal_officer_may_dismiss_a_data_warning_of_its_report(report, zd_legal, zd_leader):
    # the brigades' fines were left out of the violations above: the data check says so
    officer = login(zd_legal).get(reverse("reports:checks", args=[report.pk])).content.decode()
    assert "不符合" in officer and "忽略此提示" in officer
    assert (
        "忽略此提示" not in login(zd_leader).get(reverse("reports:checks", args=[report.pk])).content.decode()
    )


def test_the_report_page_costs_the_same_queries_whatever_the_number_of_brigades(report, zd_leader, rolled_up):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, url = login(zd_leader), reverse("reports:detail", args=[report.pk])

    def queries():
        client.get(url)  # the first view stores the rollups it counted
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    two = queries()
    for code in ("d", "e", "f"):
        more = brigade_upsert(code=code, name=f"{code}县公安局交通警察大队", parent_code="zd")[0]
        violation(more, 1, at(YEAR, 6, 1), "醉酒驾驶")
    assert queries() == two


def test_the_public_edition_of_the_detachment_report_carries_the_table_it_was_signed_with(
    report, zd_legal, zd_leader
):
    from reports import public

    report.doc_number = ""
    report.save()
    services.report_transition(report=report, to="review", user=zd_legal)
    services.report_transition(report=report, to="final", user=zd_leader)
    report.refresh_from_db()
    edition = public.public_edition_confirm(
        report=report, user=zd_legal, checks=[k for k, _ in public.CHECKLIST]
    )
    content = public.public_edition_document(report=report, edition=edition, pdf=False)
    assert docx_table(content) == docx_table(bytes(report.final_docx))
    assert "签发人" not in "".join(docx_lines(content))


def test_a_template_of_the_detachments_own_also_carries_the_table(report, zd_legal):
    import hashlib

    from reports.models import ReportTemplate

    document = Document()
    for text in (
        "{{ title }}",
        "{%p for section in sections %}",
        "{{ section.heading }}",
        "{%p endfor %}",
        "{%p if annex %}",
        "附件：{{ annex.title }}",
        "{%p endif %}",
        "{{ issuer }}",
    ):
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    report.template = ReportTemplate.objects.create(
        brigade=report.brigade,
        name="支队红头",
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=zd_legal,
    )
    report.save()
    content = services.report_document(report)
    assert "附件：2025年各大队法治政府建设主要指标情况表" in docx_lines(content)
    assert [row[0] for row in docx_table(content)] == ["单位", "甲县大队", "丙县大队", "合计"]


def test_a_detachment_of_one_brigade_singles_none_out(detachment, brigade):
    violation(brigade, 1, at(YEAR, 3, 1), "醉酒驾驶")
    violation(brigade, 2, at(YEAR - 1, 3, 1), "醉酒驾驶")
    for n in range(3):
        accident(brigade, n, "调解成功")
    accident(brigade, 9, "调解成功", year=YEAR - 1)
    report = services.report_create(brigade=detachment, year=YEAR)
    text = "\n".join(body(report).values())
    assert (
        "查处酒醉驾1起（均为醉驾）。" in text
    )  # no sentence naming the one brigade after it; 其中 never for the whole
    assert "交通事故3起，较上年增加2起（上年为1起）。" in body(report)["3"]  # worse, and nobody blamed
    assert "居各大队首位" not in text and "其余大队均为0" not in text and "其中甲县大队" not in text
    assert [row[0] for row in docx_table(services.report_document(report))] == ["单位", "甲县大队", "合计"]


def test_fresh_records_of_a_brigade_reach_the_detachment_report_by_the_redraft(report, zd_legal, third):
    violation(third, 7, at(YEAR, 9, 1), "醉酒驾驶")
    client = login(zd_legal)
    changes = {
        c["section"].key: c
        for c in client.get(reverse("reports:redraft", args=[report.pk])).context["changes"]
    }
    assert "查处酒醉驾5起" in changes["1.enforce"]["new"]
    client.post(reverse("reports:redraft", args=[report.pk]), {"take": ["1.enforce"]})
    assert "查处酒醉驾5起" in body(report)["1.enforce"]


def test_the_indicators_command_of_a_detachment_states_its_reports_figures(rolled_up):
    import json

    out = io.StringIO()
    call_command("indicators", "--brigade", "zd", "--year", str(YEAR), "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert (
        figures["violations.drunk"]["current"] == 4 and figures["accidents.mediation_rate"]["current"] == 40
    )
