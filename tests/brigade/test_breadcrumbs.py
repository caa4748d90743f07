"""Breadcrumbs on every page below the top level: the trail a user can click back along."""

import datetime
import re

from django.urls import reverse

from brigade.models import Training
from reports import services


def crumbs(response) -> list[tuple[str, str | None]]:
    """The trail as the page shows it: (text, address or None for the current page)."""
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', response.content.decode(), re.S)
    assert nav, "no breadcrumbs on the page"
    items = re.findall(
        r'<li>(?:<a href="([^"]*)">([^<]*)</a>|<span aria-current="page">([^<]*)</span>)</li>', nav[0]
    )
    return [(text or current, url.replace("&amp;", "&") or None) for url, text, current in items]


def test_a_record_its_form_and_its_history_lead_back_to_the_filtered_list(as_clerk, clerk):
    record = Training.objects.create(
        brigade=clerk.brigade,
        date=datetime.date(2025, 3, 1),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=10,
    )
    lst = reverse("ledger:list", args=["training"])
    listed = as_clerk.get(lst, {"year": "2025", "q": "宪法"})
    assert 'class="breadcrumbs"' not in listed.content.decode()  # the list is the top level

    detail = reverse("ledger:detail", args=["training", record.pk])
    ledger = ("学法培训台账", lst + "?year=2025&q=%E5%AE%AA%E6%B3%95")  # the filters as left
    assert crumbs(as_clerk.get(detail)) == [("驾驶舱", "/"), ledger, (str(record), None)]
    edit = as_clerk.get(reverse("ledger:update", args=["training", record.pk]))
    assert crumbs(edit) == [("驾驶舱", "/"), ledger, (str(record), detail), ("修改", None)]
    history = as_clerk.get(reverse("ledger:history", args=["training", record.pk]))
    assert crumbs(history)[-2:] == [(str(record), detail), ("修改记录", None)]
    assert crumbs(as_clerk.get(reverse("ledger:create", args=["training"])))[-1] == ("新增记录", None)
    assert crumbs(as_clerk.get(reverse("ledger:import", args=["training"])))[-1] == ("Excel导入", None)


def test_a_report_and_its_redraft_lead_back_to_the_report_list(as_legal, legal):
    report = services.report_create(brigade=legal.brigade, year=2025, user=legal)
    assert 'class="breadcrumbs"' not in as_legal.get(reverse("reports:list")).content.decode()
    detail = reverse("reports:detail", args=[report.pk])
    top = [("驾驶舱", "/"), ("年度报告", reverse("reports:list"))]
    assert crumbs(as_legal.get(detail)) == [*top, ("甲县大队 2025年度报告", None)]
    assert crumbs(as_legal.get(reverse("reports:redraft", args=[report.pk]))) == [
        *top,
        ("甲县大队 2025年度报告", detail),
        ("用最新台账数据更新", None),
    ]
    assert crumbs(as_legal.get(reverse("reports:templates")))[-1] == ("报告Word模板", None)


def test_the_password_page_leads_back_to_the_dashboard(as_clerk):
    assert crumbs(as_clerk.get(reverse("password_change"))) == [("驾驶舱", "/"), ("修改密码", None)]


def test_a_file_made_by_the_worker_leads_back_to_the_list_it_was_asked_from(as_clerk, clerk, settings):
    settings.EXPORT_INLINE_ROWS = 1
    for n in range(3):
        Training.objects.create(
            brigade=clerk.brigade,
            date=datetime.date(2025, 3, 1 + n),
            name=f"学法{n}",
            kind="专题学法",
            mode="线下",
            attendees=9,
        )
    response = as_clerk.get(reverse("ledger:export", args=["training"]), {"year": "2025"})
    assert response.status_code == 302
    lst = reverse("ledger:list", args=["training"])
    assert crumbs(as_clerk.get(response["Location"]))[1:] == [
        ("学法培训台账", lst + "?year=2025"),
        ("导出学法培训", None),
    ]
