"""Year lists go back as far as the records do (brigade/years.py), everywhere a year is chosen."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from brigade.ledger import registry
from brigade.models import Training
from brigade.years import record_years

THIS_YEAR = timezone.localdate().year


def training(brigade, year):
    return Training.objects.create(
        brigade=brigade,
        date=datetime.date(year, 5, 1),
        name=f"{year}年培训",
        kind="全警培训",
        mode="线下",
        attendees=10,
    )


def options(response, name) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select[1])


def selected(response, name) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select[1])[1]


def test_from_this_year_back_to_the_earliest_record_of_the_brigades(brigade, other_brigade):
    assert record_years([brigade.pk]) == [THIS_YEAR]  # nothing recorded yet
    training(brigade, THIS_YEAR - 2)
    training(other_brigade, THIS_YEAR - 6)  # another brigade's records do not count
    assert record_years([brigade.pk]) == [THIS_YEAR, THIS_YEAR - 1, THIS_YEAR - 2]
    assert record_years([brigade.pk], ledgers=[registry.get("violations")]) == [THIS_YEAR]
    assert record_years([brigade.pk, other_brigade.pk])[-1] == THIS_YEAR - 6


def test_the_list_filter_the_dashboard_and_the_report_list_offer_those_years(as_legal, legal):
    training(legal.brigade, THIS_YEAR - 2)
    wanted = [f"{y}年" for y in (THIS_YEAR, THIS_YEAR - 1, THIS_YEAR - 2)]
    assert options(as_legal.get(reverse("ledger:list", args=["training"])), "year") == ["全部年度", *wanted]
    assert options(as_legal.get(reverse("ledger:list", args=["violations"])), "year") == [
        "全部年度",
        wanted[0],
    ]
    assert options(as_legal.get(reverse("home")), "year") == wanted
    assert options(as_legal.get(reverse("reports:list")), "year") == wanted


def test_a_year_outside_the_records_is_not_shown_as_if_applied(as_legal, legal):
    training(legal.brigade, THIS_YEAR - 1)
    dashboard = as_legal.get(reverse("home"), {"year": THIS_YEAR - 5})
    assert dashboard.context["year"] == THIS_YEAR and selected(dashboard, "year") == f"{THIS_YEAR}年"
    response = as_legal.post(reverse("reports:new"), {"year": THIS_YEAR - 5}, follow=True)
    assert "请选择有效的年度" in response.content.decode()
    listed = as_legal.get(reverse("ledger:list", args=["training"]), {"year": THIS_YEAR - 5})
    assert listed.context["paginator"].count == 1  # refused, said on the form, and not applied
    assert f"{THIS_YEAR - 5} 不在可选范围内" in listed.content.decode()
