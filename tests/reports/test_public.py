"""The public edition (公开版) of a finalised report: the text without the internal head, the
保密审查 checklist with its automatic part, and no download before the checklist is confirmed."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from docx import Document

from brigade.models import Job, Officer, Role
from brigade.services import user_upsert
from reports import docx, public, services
from reports import outputs as report_outputs
from reports.models import PublicEdition, PublicFlagOverride
from tests.conftest import PASSWORD, login

YEAR = 2025
OTHER = (
    "民警张三在巡逻中查处甲A12345号小型汽车，依法作出公交决字〔2026〕第001号处罚决定。"
    "大队长李建国带队开展执法检查，事故编号4311232025000123已结案。本段内容为内部资料。"
    "依据《法治政府建设与责任落实督察工作规定》（厅字〔2019〕28号）按时报告。"
)


@pytest.fixture
def chief(brigade):
    return user_upsert(username="chief_a", brigade_code=brigade.code, role=Role.LEADER, password=PASSWORD,
                       full_name="李建国")[0]  # fmt: skip


@pytest.fixture
def final(brigade, other_brigade, legal, chief):
    for badge, name in (("001", "张三"), ("002", "李建国"), ("003", "王五")):
        Officer.objects.create(brigade=brigade, badge_no=badge, name=name, category="民警", status="在职")
    Officer.objects.create(brigade=other_brigade, badge_no="009", name="赵六", category="民警", status="在职")
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    report.doc_number = "甲公交〔2026〕3号"
    report.save()
    section = report.sections.get(key="5")
    section.body = OTHER + "\n赵六同志的事迹另行报告。"
    section.save()
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=chief)
    report.refresh_from_db()
    assert report.is_final and report.signer == "李建国"
    return report


def all_checks(**extra):
    return {f"check_{key}": "on" for key, _ in public.CHECKLIST} | extra


def override_all(client, report, **keep):
    """Every flag of the automatic check overridden with a reason (as shown with the head `keep`)."""
    page = client.get(reverse("reports:public", args=[report.pk]), keep)
    for flag in page.context["flags"]:
        if flag["override"] is None:
            data = {"flag": flag["id"], "reason": "经核对可以公开"} | keep
            client.post(reverse("reports:public_flag_override", args=[report.pk]), data)


def confirm(client, report, **extra):
    override_all(client, report, **{k: v for k, v in extra.items() if k.startswith("keep_")})
    response = client.post(reverse("reports:public_confirm", args=[report.pk]), all_checks(**extra))
    assert response.status_code == 302
    assert PublicEdition.objects.filter(
        final_sha256=type(report).objects.get(pk=report.pk).final_sha256
    ).exists()


def test_the_public_edition_has_the_text_without_the_internal_head(final, as_legal):
    page = as_legal.get(reverse("reports:public", args=[final.pk]))
    assert page.status_code == 200
    doc = page.context["doc"]
    assert doc["title"] == final.title and doc["doc_number"] == "" and doc["signer"] == ""
    html = page.content.decode()
    assert "签发人：" not in html.split("public-edition")[1].split("</article>")[0]
    assert "甲公交〔2026〕3号" not in html.split("public-edition")[1].split("</article>")[0]
    assert "特此报告。" in html and OTHER[:20] in html


def test_the_automatic_check_flags_roster_names_plates_case_numbers_and_internal_marks(final, as_legal):
    flags = as_legal.get(reverse("reports:public", args=[final.pk])).context["flags"]
    found = {(f["kind"], f["found"]) for f in flags}
    assert ("name", "张三") in found
    assert ("plate", "甲A12345") in found
    assert ("case_number", "公交决字〔2026〕第001号") in found
    assert ("case_number", "4311232025000123") in found
    assert ("internal", "内部资料") in found
    assert not any(f["found"] == "李建国" for f in flags)  # the leader who signed may be named
    assert not any(f["found"] == "赵六" for f in flags)  # another brigade's roster is not this one's
    assert not any("厅字〔2019〕28号" in f["found"] for f in flags)  # a cited regulation's number
    plate = next(f for f in flags if f["kind"] == "plate")
    assert (
        plate["sentence"]
        == "民警张三在巡逻中查处甲A12345号小型汽车，依法作出公交决字〔2026〕第001号处罚决定。"
    )
    assert "Ａ" not in public.PLATE.pattern
    assert public.PLATE.search("京A·12345") and public.PLATE.search("湘M8C123")
    assert not public.PLATE.search("查处酒醉驾1169起") and not public.PLATE.search("GB/T 9704")


def test_nothing_is_downloaded_before_the_checklist_is_confirmed(final, as_legal, as_leader):
    for client in (as_legal, as_leader):
        for name, method in (("reports:public_pdf", client.post), ("reports:public_docx", client.get)):
            response = method(reverse(name, args=[final.pk]))
            assert response.status_code == 302 and response["Location"] == reverse(
                "reports:public", args=[final.pk]
            )
            assert "尚未通过保密审查" in client.get(response["Location"]).content.decode()
    with pytest.raises(PermissionDenied):
        public.public_edition_document(report=final, edition=None)


def test_an_incomplete_checklist_is_refused_naming_the_items(final, as_legal):
    data = all_checks()
    del data["check_plates"]
    response = as_legal.post(reverse("reports:public_confirm", args=[final.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "请核对并勾选：不含号牌号码" in html and "保密审查尚未完成" in html
    assert not PublicEdition.objects.exists()


def test_the_confirmed_checklist_is_recorded_and_the_public_edition_downloads(final, legal, as_legal):
    confirm(as_legal, final, keep_doc_number="on")
    edition = PublicEdition.objects.get()
    assert edition.confirmed_by == legal and edition.final_sha256 == final.final_sha256
    assert edition.keep_doc_number and not edition.keep_signer
    assert {f["kind"] for f in edition.flags} >= {"name", "plate", "case_number", "internal"}
    record = edition.history.latest()
    assert record.history_user == legal and record.history_change_reason.startswith("确认公开版保密审查")
    page = as_legal.get(reverse("reports:public", args=[final.pk])).content.decode()
    assert "已通过保密审查" in page and legal.username in page

    word = as_legal.get(reverse("reports:public_docx", args=[final.pk]))
    assert word.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "甲公交〔2026〕3号" in text  # kept, as chosen
    assert "签发人" not in text and "李建国" in text  # the signer line is gone; the text names the leader
    assert "特此报告。" in text
    assert bytes(final.final_docx) == bytes(
        type(final).objects.get(pk=final.pk).final_docx
    )  # the final is untouched


@pytest.mark.skipif(not docx.pdf_available(), reason="LibreOffice 未安装")
def test_the_public_edition_pdf_after_the_checklist(
    final, as_leader, leader, django_capture_on_commit_callbacks
):
    confirm(as_leader, final)
    assert PublicEdition.objects.get().confirmed_by == leader  # a leader may confirm too
    with django_capture_on_commit_callbacks(execute=True):
        response = as_leader.post(reverse("reports:public_pdf", args=[final.pk]))
    job = Job.objects.get(kind="public_pdf")  # made by the worker (brigade/outputs.py)
    assert response["Location"] == reverse("output_detail", args=[job.pk])
    assert job.status == Job.Status.DONE, job.message
    page = as_leader.get(response["Location"]).content.decode()
    assert reverse("output_download", args=[job.pk]) in page
    download = as_leader.get(reverse("output_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_finalising_again_needs_a_new_review(final, legal, chief, as_legal):
    confirm(as_legal, final)
    # only a leader undoes it
    services.report_transition(report=final, to="draft", user=chief, reason="更正一处文字")
    final.refresh_from_db()
    assert (
        as_legal.get(reverse("reports:public", args=[final.pk])).status_code == 302
    )  # not final: no edition
    section = final.sections.get(key="5")
    section.body = "无。"
    section.save()
    services.report_transition(report=final, to="review", user=legal)
    services.report_transition(report=final, to="final", user=chief)
    response = as_legal.get(reverse("reports:public_docx", args=[final.pk]))
    assert response.status_code == 302  # the new finalised document is not reviewed yet


def test_who_may_see_and_confirm_the_public_edition(final, clerk, other_brigade, detachment_user):
    confirm = reverse("reports:public_confirm", args=[final.pk])
    assert login(clerk).get(reverse("reports:public", args=[final.pk])).status_code == 403  # no reports
    assert login(clerk).post(confirm, all_checks()).status_code == 403
    stranger = user_upsert(
        username="legal_b", brigade_code=other_brigade.code, role=Role.LEGAL, password=PASSWORD
    )[0]
    assert login(stranger).get(reverse("reports:public", args=[final.pk])).status_code == 404
    assert login(stranger).post(confirm, all_checks()).status_code == 404
    assert login(stranger).get(reverse("reports:public_docx", args=[final.pk])).status_code == 404
    assert (
        login(detachment_user).post(confirm, all_checks()).status_code == 404
    )  # the brigade's own users only
    assert login(stranger).get(confirm).status_code == 405
    assert not PublicEdition.objects.exists()


@pytest.fixture
def fake_pdf(monkeypatch):
    monkeypatch.setattr(docx, "pdf_available", lambda: True)
    monkeypatch.setattr(docx, "docx_to_pdf", lambda content: b"%PDF-1.7 fake")


def test_a_made_public_pdf_is_not_served_after_unfinalising(
    final, chief, as_legal, fake_pdf, django_capture_on_commit_callbacks
):
    """The file the worker made is the confirmed edition's: once the finalised document it was
    reviewed for is withdrawn (撤销定稿) or replaced, it is not downloaded and its page says why."""
    confirm(as_legal, final)
    assert (
        as_legal.get(reverse("reports:public_pdf", args=[final.pk])).status_code == 405
    )  # a GET queues nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = as_legal.post(reverse("reports:public_pdf", args=[final.pk]))
    job = Job.objects.get(kind="public_pdf")
    assert job.status == Job.Status.DONE, job.message
    download = reverse("output_download", args=[job.pk])
    assert b"".join(as_legal.get(download).streaming_content).startswith(b"%PDF")
    assert as_legal.post(reverse("reports:public_pdf", args=[final.pk]))["Location"] == response["Location"]

    services.report_transition(report=final, to="draft", user=chief, reason="更正一处文字")
    assert as_legal.get(download)["Location"] == reverse("output_detail", args=[job.pk])  # not the PDF
    page = as_legal.get(reverse("output_detail", args=[job.pk])).content.decode()
    assert report_outputs.PUBLIC_WITHDRAWN in page and download not in page
    response = as_legal.post(reverse("reports:public_pdf", args=[final.pk]), follow=True)
    assert public.NOT_FINAL in response.content.decode()  # not final: nothing to publish
    assert Job.objects.filter(kind="public_pdf").count() == 1


def test_a_made_public_pdf_is_not_served_once_the_kept_head_changes(
    final, as_legal, fake_pdf, django_capture_on_commit_callbacks
):
    confirm(as_legal, final)
    with django_capture_on_commit_callbacks(execute=True):
        as_legal.post(reverse("reports:public_pdf", args=[final.pk]))
    job = Job.objects.get(kind="public_pdf")
    confirm(as_legal, final, keep_signer="on")  # reviewed again, now printing 签发人
    download = reverse("output_download", args=[job.pk])
    assert as_legal.get(download).status_code == 302  # back to its page, not the PDF
    page = as_legal.get(reverse("output_detail", args=[job.pk])).content.decode()
    assert report_outputs.PUBLIC_REPLACED in page and download not in page


@pytest.mark.parametrize(
    "text, found",
    [
        ("查处湘a12345号小型汽车。", "湘a12345"),  # typed in lower case
        ("查处湘 A12345号小型汽车。", "湘 A12345"),  # a space after the province
        ("查处湘A1234学教练车。", "湘A1234学"),
        ("查处湘A1234警。", "湘A1234警"),
        ("查处粤Z1234港车辆。", "粤Z1234港"),
        ("查处京A1234挂。", "京A1234挂"),
        ("查处湘A·12345。", "湘A·12345"),
    ],
)
def test_plates_in_every_form_are_flagged(text, found):
    assert [m.group() for m in public.PLATE.finditer(text.translate(public._WIDTH))] == [found]


@pytest.mark.parametrize(
    "text",
    ["查处酒醉驾1169起。", "按GB/T 9704排版。", "依据第A1234条。", "开展学A1234活动"],
)
def test_what_is_no_plate_is_not_flagged(text):
    assert not public.PLATE.search(text.translate(public._WIDTH))


@pytest.mark.parametrize(
    "text, found",
    [
        ("本段内容为内部资料。", "内部资料"),
        ("仅供内部参考。", "仅供内部"),
        ("见内部文件。", "内部文件"),
        ("限内部使用。", "内部使用"),
        ("该数据不宜对外公布。", "不宜对外公布"),
        ("该数据不宜公开。", "不宜公开"),
        ("涉密事项另行报告。", "涉密"),
    ],
)
def test_internal_marks_are_flagged(text, found):
    assert [m.group() for m in public.INTERNAL.finditer(text)] == [found]


@pytest.mark.parametrize("text", ["加强内部监督。", "规范内部管理。", "完善内部审核机制。", "强化内部控制。"])
def test_ordinary_inside_phrases_are_not_flagged(text):
    assert not public.INTERNAL.search(text)


def test_confirming_over_an_unresolved_flag_is_refused_naming_the_sentence(final, legal, as_legal):
    url = reverse("reports:public_confirm", args=[final.pk])
    response = as_legal.post(url, all_checks(), follow=True)
    html = response.content.decode()
    assert "保密审查尚未完成" in html and "尚未处理" in html
    assert "民警张三在巡逻中查处甲A12345号小型汽车" in html  # the sentence is named
    assert not PublicEdition.objects.exists()

    flags = as_legal.get(reverse("reports:public", args=[final.pk])).context["flags"]
    plate = next(f for f in flags if f["kind"] == "plate")
    override_url = reverse("reports:public_flag_override", args=[final.pk])
    response = as_legal.post(override_url, {"flag": plate["id"], "reason": "  "}, follow=True)
    assert "请写明可以公开的理由" in response.content.decode()
    as_legal.post(override_url, {"flag": plate["id"], "reason": "该号牌为示例号牌，经核对可以公开"})
    override = PublicFlagOverride.objects.get()
    assert override.overridden_by == legal and override.found == "甲A12345"
    assert override.sentence == plate["sentence"] and override.final_sha256 == final.final_sha256
    record = override.history.latest()
    assert record.history_user == legal and "该号牌为示例号牌" in record.history_change_reason
    page = as_legal.get(reverse("reports:public", args=[final.pk]))
    assert "已确认可以公开：该号牌为示例号牌" in page.content.decode()
    assert as_legal.post(url, all_checks()).status_code == 302  # still refused: others remain
    assert not PublicEdition.objects.exists()

    override_all(as_legal, final)
    assert as_legal.post(url, all_checks()).status_code == 302
    edition = PublicEdition.objects.get()
    plate_flag = next(f for f in edition.flags if f["kind"] == "plate")
    assert plate_flag["reason"] == "该号牌为示例号牌，经核对可以公开" and plate_flag["by"] == str(legal)


def test_a_flag_resolved_by_editing_the_text_is_gone(final, legal, chief, as_legal):
    confirm(as_legal, final)
    services.report_transition(report=final, to="draft", user=chief, reason="删去内部信息")
    final.refresh_from_db()
    section = final.sections.get(key="5")
    section.body = "大队加强内部监督，规范执法。"
    section.save()
    services.report_transition(report=final, to="review", user=legal)
    services.report_transition(report=final, to="final", user=chief)
    final.refresh_from_db()
    assert as_legal.get(reverse("reports:public", args=[final.pk])).context["flags"] == []
    # the old overrides were for the withdrawn document: none applies, none is needed
    response = as_legal.post(reverse("reports:public_confirm", args=[final.pk]), all_checks())
    assert (
        response.status_code == 302 and PublicEdition.objects.filter(final_sha256=final.final_sha256).exists()
    )


def test_only_the_legal_officer_or_a_leader_overrides_a_flag(final, clerk, as_legal):
    flags = as_legal.get(reverse("reports:public", args=[final.pk])).context["flags"]
    url = reverse("reports:public_flag_override", args=[final.pk])
    response = login(clerk).post(url, {"flag": flags[0]["id"], "reason": "经核对可以公开"})
    assert response.status_code == 403 and not PublicFlagOverride.objects.exists()
