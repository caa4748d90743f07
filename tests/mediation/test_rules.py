"""The mediation ledgers' own rules (docs/ledgers.md, mediation/): what the suite over every
ledger (tests/brigade/test_ledgers.py) does not cover."""

import datetime

import pytest
from django.urls import reverse

from mediation.models import Complaint, PoliceCall
from tests.records import good, make, refused

MODELS = {"calls": PoliceCall, "complaints": Complaint}


def test_an_accident_closed_on_its_own_day_is_fine_even_just_after_midnight(brigade):
    # 00:30 Beijing time is the previous day in UTC: the rule compares local dates.
    case = make("accidents", brigade, occurred_at="2025-03-05T00:30", closed_date="2025-03-05")
    assert case.closed_date == datetime.date(2025, 3, 5)


@pytest.mark.parametrize("kind, field", [("calls", "call_no"), ("complaints", "number")])
def test_an_optional_key_is_unique_when_given_and_may_be_left_blank(as_clerk, brigade, kind, field):
    url = reverse("ledger:create", args=[kind])
    assert as_clerk.post(url, good(kind)).status_code == 302
    clash = as_clerk.post(url, good(kind))
    assert "本大队已有" in clash.context["form"].errors[field][0]
    assert as_clerk.post(url, good(kind) | {field: ""}).status_code == 302
    assert as_clerk.post(url, good(kind) | {field: ""}).status_code == 302
    assert MODELS[kind].objects.filter(brigade=brigade).count() == 3


@pytest.mark.parametrize(
    "kind, changes, field, message",
    [
        (
            "accidents",
            {"occurred_at": "2025-03-05T08:15", "closed_date": "2025-03-04"},
            "closed_date",
            "结案日期不能早于事故时间",
        ),
        ("accidents", {"compensation": "-1"}, "compensation", "确保该值大于或等于0。"),
        (
            "complaints",
            {"received_date": "2025-03-05", "closed_date": "2025-03-04"},
            "closed_date",
            "办结日期不能早于受理日期",
        ),
    ],
)
def test_the_mediation_ledgers_own_rules(brigade, kind, changes, field, message):
    assert message in refused(kind, brigade, **changes)[field]
