"""The report page's 修改记录 shows the year's unlocks and relocks (who, when, the reason), which
live in the YearLock's history: the reason for an unlock does not vanish once the year is locked
again."""

import pytest
from django.urls import reverse

from reports import services

YEAR = 2025


@pytest.fixture
def final(brigade, legal, leader):
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    services.report_transition(report=report, to="final", user=leader)
    report.refresh_from_db()
    return report


def _history(client, report) -> list[str]:
    page = client.get(reverse("reports:detail", args=[report.pk]))
    html = page.content.decode()
    return html.split('<ul class="history">')[1].split("</ul>")[0].split("<li>")[1:]


def test_unlock_and_relock_show_in_the_reports_history_with_their_reasons(final, legal, as_legal):
    as_legal.post(reverse("reports:unlock", args=[final.pk]), {"reason": "补录漏报的违法记录"})
    as_legal.post(reverse("reports:relock", args=[final.pk]), {"reason": "补录完毕"})
    rows = _history(as_legal, final)
    assert f"{legal.username}：重新锁定{YEAR}年度台账，理由：补录完毕" in rows[0]
    assert f"{legal.username}：解锁{YEAR}年度台账，理由：补录漏报的违法记录" in rows[1]
    assert "签发定稿" in rows[2]
    assert not any(f"{YEAR}年度报告定稿" in row for row in rows)  # 签发's own lock: its row says it


def test_a_relock_without_a_note_still_shows(final, legal, as_legal):
    as_legal.post(reverse("reports:unlock", args=[final.pk]), {"reason": "更正一条记录的日期"})
    as_legal.post(reverse("reports:relock", args=[final.pk]))
    rows = _history(as_legal, final)
    assert f"{legal.username}：重新锁定{YEAR}年度台账</li>" in rows[0]
    assert "更正一条记录的日期" in rows[1]


def test_unfinalising_shows_once(final, leader, as_legal):
    services.report_transition(report=final, to="draft", user=leader, reason="主送机关写错")
    rows = _history(as_legal, final)
    assert sum("主送机关写错" in row for row in rows) == 1  # the report's own row, not the unlock again
