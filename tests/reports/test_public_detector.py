"""The 保密审查's automatic check reads a plate, a name or a mark however it is typed (reports/public.py,
``normalised``; docs/report.md, 公开版): the attack rerun of issue 21 published 湘A-12345,
湘A\u200b12345 (a zero-width space) and 湘А12345 (a Cyrillic А) unflagged."""

import pytest
from django.urls import reverse

from brigade.models import Officer, Role
from brigade.services import user_upsert
from reports import public, services
from tests.conftest import PASSWORD

SPELLINGS = [
    ("查处湘A-12345号小型汽车。", "湘A-12345"),  # a hyphen
    ("查处湘A－12345号小型汽车。", "湘A-12345"),  # a full-width hyphen
    ("查处湘A—12345号小型汽车。", "湘A—12345"),  # a dash
    ("查处湘A–12345号小型汽车。", "湘A–12345"),  # an en dash
    ("查处湘A\u200b12345号小型汽车。", "湘A12345"),  # a zero-width space
    ("查处湘\u2060A\ufeff12345号小型汽车。", "湘A12345"),  # a word joiner, a zero-width no-break space
    ("查处湘A1\u00ad2345号小型汽车。", "湘A12345"),  # a soft hyphen inside the number
    ("查处湘А12345号小型汽车。", "湘A12345"),  # a Cyrillic А
    ("查处湘Α12345号小型汽车。", "湘A12345"),  # a Greek Α
    ("查处湘Ｋ１２３４５号小型汽车。", "湘K12345"),  # full width
    ("查处湘A̲12345号小型汽车。", "湘A12345"),  # a combining underline
    ("查处湘A - 12345号小型汽车。", "湘A - 12345"),
    ("查处湘A12 345号小型汽车。", "湘A12 345"),  # a space between the digits
    ("查处湘A 1 2 3 4 5号小型汽车。", "湘A 1 2 3 4 5"),  # a space after every character
    ("查处湘A12\u3000345号小型汽车。", "湘A12 345"),  # an ideographic space
    ("查处湘A123-45号小型汽车。", "湘A123-45"),  # a hyphen between the digits
    ("查处湘A∙12345号小型汽车。", "湘A∙12345"),  # a bullet operator (U+2219)
    ("查处湘A_12345号小型汽车。", "湘A_12345"),  # an underscore
    ("查处湘A／12345号小型汽车。", "湘A/12345"),  # a full-width slash
    ("查处湘A·12·345号小型汽车。", "湘A·12·345"),
]


@pytest.mark.parametrize(("text", "found"), SPELLINGS)
def test_a_plate_however_typed_is_read_as_a_plate(text, found):
    assert [m.group() for m in public.PLATE.finditer(public.normalised(text))] == [found]


@pytest.mark.parametrize(
    "text",
    [
        "加强内部监督。",
        "查处酒醉驾1169起。",
        "按GB/T 9704排版。",
        "依据第A1234条。",
        "开展学A1234活动",
        "2024-2025年度",
    ],
)
def test_what_is_no_plate_or_mark_is_still_not_flagged(text):
    wide = public.normalised(text)
    assert not public.PLATE.search(wide) and not public.INTERNAL.search(wide)


YEAR = 2025
BODY = (
    "查处湘A-12345号小型汽车。查处湘A\u200b23456号小型汽车。查处湘А34567号小型汽车。"
    "民警王\u200b五参加培训。本段为内部\u200b资料。大队加强内部监督。"
)


@pytest.fixture
def final(brigade, legal):
    chief = user_upsert(
        username="chief_a", brigade_code=brigade.code, role=Role.LEADER, password=PASSWORD, full_name="李建国"
    )[0]
    Officer.objects.create(brigade=brigade, badge_no="003", name="王五", category="民警", status="在职")
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    section = report.sections.get(key="5")
    section.body = BODY
    section.save()
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=chief)
    report.refresh_from_db()
    assert report.is_final
    return report


def test_the_checklist_flags_plates_names_and_marks_hidden_by_spelling(final, as_legal):
    flags = as_legal.get(reverse("reports:public", args=[final.pk])).context["flags"]
    found = {(f["kind"], f["sentence"]): f["found"] for f in flags}
    assert found[("plate", "查处湘A-12345号小型汽车。")] == "湘A-12345"
    assert found[("plate", "查处湘A\u200b23456号小型汽车。")] == "湘A23456"
    assert found[("plate", "查处湘А34567号小型汽车。")] == "湘A34567"
    assert found[("name", "民警王\u200b五参加培训。")] == "王五"
    assert found[("internal", "本段为内部\u200b资料。")] == "内部资料"
    assert not any(f["sentence"] == "大队加强内部监督。" for f in flags)
