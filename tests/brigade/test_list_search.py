"""A ledger list's search box and filters as a clerk meets them: the box names the fields it
searches (from the ledger's declaration), 超速 finds the violations of that kind, a choice applies
when it is made, and the line above the rows says which filters it is showing — never one that
was not applied. Rows open their record (on a phone each row is a card of labelled fields)."""

import copy
import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from brigade.ledger import registry
from brigade.ledger.checks import check_ledger
from brigade.ledger.filters import search_labels
from enforcement.models import Campaign, Violation, ViolationType
from tests.conftest import login


def _violation(brigade, number, kind, day, **extra):
    return Violation.objects.create(
        brigade=brigade,
        decision_no=number,
        violation_type=ViolationType.objects.get_or_create(name=kind)[0],
        method="现场",
        outcome="警告",
        occurred_at=timezone.make_aware(datetime.datetime(*day, 10, 0)),
        **extra,
    )


@pytest.fixture
def violations(brigade):
    campaign = Campaign.objects.create(
        brigade=brigade, name="夏季夜查", start_date=datetime.date(2025, 6, 1), kind="统一行动", officers=20
    )
    return [
        _violation(brigade, "A-001", "超速", (2025, 3, 1), plate="湘M12345"),
        _violation(brigade, "A-002", "超速", (2024, 3, 1)),
        _violation(brigade, "A-003", "闯红灯", (2025, 7, 1), location="超速监测路段", campaign=campaign),
        _violation(brigade, "A-004", "醉酒驾驶", (2025, 7, 2), campaign=campaign),
    ]


def _listed(response) -> set[str]:
    return {row[0].decision_no for row in response.context["rows"]}


def _count_line(response) -> str:
    html = response.content.decode()
    return re.sub(r"<[^>]+>", "", re.search(r'<p class="count"[^>]*>(.*?)</p>', html, re.S)[1]).strip()


def test_the_search_box_names_the_fields_it_searches(clerk, violations):
    html = login(clerk).get(reverse("ledger:list", args=["violations"])).content.decode()
    box = re.search(r'<input type="search" name="q"[^>]*>', html)[0]
    assert 'placeholder="搜索：决定书编号、违法行为、号牌号码、违法地点、执勤民警、专项行动"' in box


@pytest.mark.parametrize("ledger", registry.all(), ids=lambda lg: lg.kind)
def test_every_ledgers_search_box_says_what_it_searches(clerk, ledger):
    html = login(clerk).get(reverse("ledger:list", args=[ledger.kind])).content.decode()
    placeholder = re.search(r'<input type="search" name="q"[^>]*placeholder="([^"]*)"', html)[1]
    named = [str(ledger.model._meta.get_field(p.split("__")[0]).verbose_name) for p in ledger.search]
    assert named and placeholder == "搜索：" + "、".join(dict.fromkeys(named))
    assert search_labels(ledger) == list(dict.fromkeys(named))


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("超速", {"A-001", "A-002", "A-003"}),  # the 违法行为 (and a 违法地点 that names it)
        ("夜查", {"A-003", "A-004"}),  # the 专项行动 a violation belongs to
        ("湘M12", {"A-001"}),  # part of a 号牌号码
        (" a-00 ", {"A-001", "A-002", "A-003", "A-004"}),  # spaces round it, any case
    ],
)
def test_search_finds_what_a_clerk_types(clerk, violations, term, found):
    response = login(clerk).get(reverse("ledger:list", args=["violations"]), {"q": term})
    assert _listed(response) == found
    assert response.context["paginator"].count == len(found)


def test_a_choice_applies_when_it_is_made_and_a_button_remains_without_script(clerk, violations):
    html = login(clerk).get(reverse("ledger:list", args=["violations"])).content.decode()
    form = re.search(r'<form method="get" class="filters".*?</form>', html, re.S)[0]
    selects = re.findall(r"<select [^>]*>", form)
    assert len(selects) >= 5 and all("data-autosubmit" in s for s in selects), selects
    assert 'autocomplete="off"' in form  # back to the page: the form as it was served, not as left
    assert re.search(r"<button[^>]*>筛选</button>", form)


def test_the_count_says_which_filters_it_shows(clerk, violations):
    client = login(clerk)
    url = reverse("ledger:list", args=["violations"])
    assert _count_line(client.get(url)) == "全部年度，共 4 条"
    speeding = ViolationType.objects.get(name="超速")
    response = client.get(url, {"year": "2025", "violation_type": speeding.name, "q": "A-00"})
    assert _count_line(response) == "2025年，违法行为：超速，搜索“A-00”，共 1 条"
    assert _listed(response) == {"A-001"}


@pytest.mark.parametrize(
    ("query", "said"),
    [
        (
            {"period_after": "2025-03-01", "period_before": "2025-07-01"},
            "违法时间范围：2025-03-01 至 2025-07-01，共 2 条",
        ),
        ({"period_after": "2025-07-01"}, "违法时间范围：自 2025-07-01 起，共 2 条"),
        ({"period_before": "2024-12-31"}, "违法时间范围：至 2024-12-31 止，共 1 条"),
        ({"key": "Ａ-0 03"}, "决定书编号：Ａ-0 03，共 1 条"),
        ({"method": "现场", "o": "-fine"}, "执法方式：现场，共 4 条"),  # the order is not a filter
    ],
)
def test_each_kind_of_filter_is_said_in_words(clerk, violations, query, said):
    assert _count_line(login(clerk).get(reverse("ledger:list", args=["violations"]), query)) == said


def test_a_refused_year_is_not_claimed_over_all_years(clerk, violations):
    response = login(clerk).get(reverse("ledger:list", args=["violations"]), {"year": "1999"})
    assert _count_line(response) == "全部年度，共 4 条"
    html = response.content.decode()
    assert "年度 1999 不在可选范围内" in html
    assert '<option value="1999" selected' not in html


def test_filters_under_the_fold_open_it_when_applied(clerk, violations):
    url = reverse("ledger:list", args=["violations"])
    client = login(clerk)
    assert '<details class="more-filters">' in client.get(url, {"year": "2025"}).content.decode()
    assert '<details class="more-filters" open>' in client.get(url, {"method": "现场"}).content.decode()


def test_each_row_opens_its_record_and_labels_its_cells(clerk, violations):
    response = login(clerk).get(reverse("ledger:list", args=["violations"]), {"q": "A-001"})
    html = response.content.decode()
    record = violations[0]
    detail = reverse("ledger:detail", args=["violations", record.pk])
    assert f'<tr data-href="{detail}">' in html
    assert '<td data-label="决定书编号">A-001</td>' in html and '<td data-label="违法行为">超速</td>' in html
    assert f'<a href="{detail}"' in html and reverse("ledger:update", args=["violations", record.pk]) in html


def test_a_search_across_a_one_to_many_relation_fails_the_check():
    ledger = copy.copy(registry.get("campaigns"))
    assert check_ledger(ledger) == []
    ledger.search = ["name", "brigade__users__username"]  # a campaign once per user of its brigade
    errors = check_ledger(ledger)
    assert [e.id for e in errors] == ["brigade.E107"] and "外键" in errors[0].msg


def test_a_detachments_list_says_whose_record_each_row_is(clerk, detachment_user, violations):
    from brigade.services import brigade_upsert

    brigade_upsert(code="c", name="丙县公安局交通警察大队", short_name="丙县大队", parent_code="zd")
    url = reverse("ledger:list", args=["violations"])
    html = login(detachment_user).get(url, {"q": "A-001"}).content.decode()
    assert "<th>所属大队</th>" in html and '<td data-label="所属大队">甲县大队</td>' in html
    assert "所属大队" not in login(clerk).get(url).content.decode()  # one brigade: nothing to tell apart
