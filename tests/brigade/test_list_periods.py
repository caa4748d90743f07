"""A list's date range as clerks type it: any date a date field accepts, in any order, never a 500."""

import pytest
from django.urls import reverse

from tests.brigade.test_outputs import trainings  # noqa: F401,F811 — five trainings of 2025-03-01…05
from tests.conftest import login


@pytest.mark.parametrize("kind", ["training", "violations"])
@pytest.mark.parametrize(
    "query",
    [
        {"period_before": "9999-12-31"},
        {"period_after": "2025-01-01", "period_before": "9999-12-31"},
        {"period_after": "0001-01-01"},
        {"period_after": "0001-01-01", "period_before": "2025-12-31"},
    ],
)
def test_a_date_beyond_any_record_is_refused_in_chinese_not_a_500(clerk, trainings, kind, query):  # noqa: F811
    client = login(clerk)
    client.raise_request_exception = False
    response = client.get(reverse("ledger:list", args=[kind]), query)
    assert response.status_code == 200
    assert "超出范围：应在1900年至2100年之间" in response.content.decode()


def test_a_range_typed_without_zero_padding_is_read_as_a_date(clerk, trainings):  # noqa: F811
    """2025-3-2 is a date the field accepts; compared as text it would sort after 2025-03-04."""
    page = login(clerk).get(
        reverse("ledger:list", args=["training"]), {"period_after": "2025-3-2", "period_before": "2025-03-04"}
    )
    assert "起止颠倒" not in page.content.decode()
    assert page.context["paginator"].count == 3  # 3月2日–4日


def test_a_range_given_end_first_is_turned_round_and_said(clerk, trainings):  # noqa: F811
    page = login(clerk).get(
        reverse("ledger:list", args=["training"]), {"period_after": "2025-03-04", "period_before": "2025-3-2"}
    )
    assert "已按 2025-03-02 至 2025-03-04 筛选" in page.content.decode()
    assert page.context["paginator"].count == 3
