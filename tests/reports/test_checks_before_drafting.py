"""The data check says 起草前请核对, so it shows before drafting: on the report list, for the year
chosen there, from that year's records, before any report of the year exists (year_checks)."""

import pytest
from django.urls import reverse

from reports import services
from reports.models import AnnualReport
from tests.conftest import login
from tests.reports.test_indicators import at
from tests.reports.test_quality import YEAR, fined


@pytest.fixture
def typed_twice(brigade, other_brigade):
    fined(brigade, "公交决字2025001")
    fined(brigade, "公交决字 2025 001")
    fined(brigade, "公交决字2025002", when=at(YEAR - 1, 5, 1))
    fined(brigade, "公交决字 2025 002", when=at(YEAR - 1, 5, 2))  # the year before's: not this year's check
    return brigade


def year_check(client, year, fragment=True):
    headers = {"X-Fragment": "1"} if fragment else {}
    return client.get(reverse("reports:year_checks") + f"?year={year}", headers=headers)


def test_the_report_list_shows_the_years_data_check_before_a_draft_exists(typed_twice, as_legal):
    page = as_legal.get(reverse("reports:list") + f"?year={YEAR}").content.decode()
    assert f'data-fragment="{reverse("reports:year_checks")}?year={YEAR}"' in page
    assert f"核对无误，起草{YEAR}年度报告" in page and f"{YEAR}年度报告尚未起草" in page

    checked = year_check(as_legal, YEAR)
    assert checked.status_code == 200 and checked["X-Fragment"] == "data-checks"
    text = checked.content.decode()
    assert "起草前请核对" in text and "公交决字2025001" in text and "公交决字 2025 001" in text
    assert "公交决字2025002" not in text  # the year before's records are not this year's check
    assert "忽略此提示" not in text  # nothing to dismiss on before a draft: said where it can be
    assert "起草后可在报告页" in text
    assert not AnnualReport.objects.exists()  # checking drafts nothing


def test_the_check_of_another_year_is_that_years_records(typed_twice, as_legal):
    text = year_check(as_legal, YEAR - 1).content.decode()
    assert "公交决字2025002" in text and "公交决字2025001" not in text
    page = as_legal.get(reverse("reports:list") + f"?year={YEAR - 1}").content.decode()
    assert f'name="year" value="{YEAR - 1}"' in page  # the button drafts the year checked


def test_opened_on_its_own_it_is_a_chinese_page_back_to_the_list(typed_twice, as_leader):
    response = year_check(as_leader, YEAR, fragment=False)  # a leader may look too
    text = response.content.decode()
    assert response.status_code == 200 and "X-Fragment" not in response
    assert f"{YEAR}年度台账数据检查" in text and "返回年度报告" in text and "公交决字 2025 001" in text


def test_once_drafted_the_list_opens_the_report_and_the_check_may_dismiss(typed_twice, legal, as_legal):
    report = services.report_create(brigade=typed_twice, year=YEAR, user=legal)
    page = as_legal.get(reverse("reports:list") + f"?year={YEAR}").content.decode()
    assert f"打开{YEAR}年度报告" in page and reverse("reports:detail", args=[report.pk]) in page
    assert "忽略此提示" in year_check(as_legal, YEAR).content.decode()


def test_a_detachment_checks_its_brigades_records(typed_twice, detachment_user):
    text = year_check(login(detachment_user), YEAR).content.decode()
    assert "公交决字 2025 001" in text
