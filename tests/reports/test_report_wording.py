"""The report page's status line says what happened in the officer's words: a signed report
reads 已定稿（张建国签发）, not 理由：张建国签发; a report sent back keeps its 理由."""

import datetime

import pytest
from django.urls import reverse

from brigade.models import Training
from reports import services

YEAR = 2025


@pytest.fixture
def submitted(brigade, legal, leader):
    leader.first_name = "张建国"
    leader.save()
    Training.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 3, 1),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=30,
    )
    report = services.report_create(brigade=brigade, year=YEAR, user=legal)
    services.report_transition(report=report, to="review", user=legal)
    return report


@pytest.fixture
def final(submitted, leader):
    services.report_transition(report=submitted, to="final", user=leader)
    return submitted


def status_line(client, report) -> str:
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    start = page.index("状态：<strong")
    return page[start : page.index("</p>", start)]


def test_a_signed_report_says_who_signed_it_without_a_reason_label(final, as_leader):
    line = status_line(as_leader, final)
    assert "张建国签发" in line and "理由" not in line


def test_a_report_sent_back_keeps_its_reason(submitted, leader, as_leader):
    services.report_transition(report=submitted, to="draft", user=leader, reason="第二部分数字需核对")
    line = status_line(as_leader, submitted)
    assert "理由：第二部分数字需核对" in line
