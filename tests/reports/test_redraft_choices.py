"""用最新台账数据更新, sentence by sentence: where the officer and the new figures changed the same
sentence, the officer keeps their sentence, takes the new one, or keeps their words with only the
figures updated — the default where it can be done, so that neither their words nor the new
figures are lost without their choosing."""

import datetime

import pytest
from django.urls import reverse

from brigade.models import Training
from reports import merge, services, stale

YEAR = 2025


def trainings(brigade, count, *, start=0):
    for n in range(start, start + count):
        Training.objects.create(
            brigade=brigade,
            date=datetime.date(YEAR, 1 + n % 12, 1 + n % 28),
            name=f"学法培训{n}",
            kind="专题学法",
            mode="线下",
            attendees=40,
        )


@pytest.fixture
def report(brigade, legal):
    """The officer wrote 参训民警800人次 where the draft said 参训800人次; then a training was added."""
    trainings(brigade, 20)
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    study = report.sections.get(key="1.study")
    study.body = study.body.replace("参训800人次", "参训民警800人次") + "\n全年未发生执法过错。"
    study.save()
    trainings(brigade, 1, start=20)
    return report


def study(report) -> str:
    return report.sections.get(key="1.study").body


def redraft(client, report, data=None):
    return client.post(
        reverse("reports:redraft", args=[report.pk]), data or {"take": ["1.study"]}, follow=True
    )


def test_by_default_the_officers_words_stay_and_only_the_figures_change(report, as_legal, legal):
    page = as_legal.get(reverse("reports:redraft", args=[report.pk]))
    (change,) = page.context["changes"]
    (conflict,) = change["conflicts"]
    assert "参训民警800人次" in conflict["mine"] and "参训840人次" in conflict["fresh"]
    assert "学法培训21期，参训民警840人次" in conflict["numbers"] and conflict["selected"] == "numbers"
    html = page.content.decode()
    assert "保留我的文字，只更新数字" in html and 'value="numbers" checked' in html
    assert "学法培训<ins>21</ins>期，参训民警<ins>840</ins>人次" in html  # the figures it changes, marked
    assert change["preselect"] and not change["must_choose"]

    redraft(as_legal, report)  # taken as offered
    assert "学法培训21期，参训民警840人次" in study(report) and "全年未发生执法过错。" in study(report)
    assert not stale.mismatches(report)
    last = report.sections.get(key="1.study").history.first()
    assert last.history_user == legal and "1句只更新数字" in last.history_change_reason


def test_the_officer_may_take_the_new_sentence(report, as_legal):
    redraft(as_legal, report, {"take": ["1.study"], "choice-1.study-0": "fresh"})
    assert "学法培训21期，参训840人次" in study(report) and "参训民警" not in study(report)
    assert "全年未发生执法过错。" in study(report)  # the sentence the figures did not touch stays
    assert not stale.mismatches(report)


def test_keeping_their_sentence_keeps_its_figures_visibly_out_of_date(report, as_legal):
    redraft(as_legal, report, {"take": ["1.study"], "choice-1.study-0": "mine"})
    assert "学法培训20期，参训民警800人次" in study(report)
    (mismatch,) = stale.mismatches(report)  # still listed: 签发 waits for a reason or an update
    assert "20期" in mismatch.mine and "21期" in mismatch.fresh and mismatch.blocking
    page = as_legal.get(reverse("reports:redraft", args=[report.pk]))  # and the next update asks again
    (change,) = page.context["changes"]
    assert change["conflicts"][0]["selected"] == "numbers"


def test_where_only_the_figures_cannot_be_updated_the_officer_must_choose(brigade, legal, as_legal):
    trainings(brigade, 20)
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    section = report.sections.get(key="1.study")
    section.body = section.body.replace("学法培训20期", "学法培训二十期").replace(
        "参训800人次", "参训民警800人次"
    )
    section.save()
    edited = section.body
    trainings(brigade, 1, start=20)
    page = as_legal.get(reverse("reports:redraft", args=[report.pk]))
    (change,) = page.context["changes"]
    (conflict,) = change["conflicts"]
    assert conflict["numbers"] is None and conflict["selected"] is None and change["must_choose"] == 1
    html = page.content.decode()
    assert "保留我的文字，只更新数字" not in html and "请选择一种写法" in html
    assert (
        'value="fresh" checked' not in html and 'value="mine" checked' not in html
    )  # no choice made for them

    refused = redraft(as_legal, report)  # taken, the sentence not settled: nothing is taken
    assert "请逐句选择保留哪一种写法" in refused.content.decode() and study(report) == edited
    assert refused.context["changes"][0]["preselect"]  # the page again, as it was ticked

    redraft(as_legal, report, {"take": ["1.study"], "choice-1.study-0": "fresh"})
    assert "学法培训21期，参训840人次" in study(report)


def test_what_changed_since_the_page_was_opened_is_not_taken_blind(report, as_legal):
    page = as_legal.get(reverse("reports:redraft", args=[report.pk]))
    seen = page.context["changes"][0]["seen"]
    trainings(report.brigade, 1, start=21)  # 22期 now, not the 21期 the page showed
    before = study(report)
    response = redraft(as_legal, report, {"take": ["1.study"], "seen-1.study": seen})
    assert "在您打开本页之后又有变化" in response.content.decode() and study(report) == before
    redraft(as_legal, report, {"take": ["1.study"], "seen-1.study": response.context["changes"][0]["seen"]})
    assert "学法培训22期，参训民警880人次" in study(report)


@pytest.mark.parametrize(
    ("was", "fresh", "mine", "expected"),
    [
        # the officer's words around the figures, an extra figure of their own
        (
            "培训20期，参训800人次。",
            "培训21期，参训840人次。",
            "共3个中队培训20期，参训民警800人次。",
            "共3个中队培训21期，参训民警840人次。",
        ),
        # the words changed with the figures (上升 → 下降): the figures alone would say something false
        ("较去年同期上升20%。", "较去年同期下降5%。", "较上年上升20%。", None),
        # the officer wrote the changed figure in words: nothing to replace
        ("培训20期，参训800人次。", "培训21期，参训840人次。", "培训二十期，参训民警800人次。", None),
    ],
)
def test_only_the_figures_when_they_align_one_to_one(was, fresh, mine, expected):
    assert merge.update_numbers(was=was, fresh=fresh, mine=mine) == expected
