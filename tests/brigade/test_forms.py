import datetime

from django.urls import reverse

from brigade.ledger import version_of
from brigade.models import Training
from tests.conftest import login

GOOD = {
    "date": "2025-03-05", "name": "宪法专题学法", "kind": "专题学法", "mode": "线下",
    "attendees": "35", "hours": "2", "content": "学习宪法",
}  # fmt: skip


def _errors(client, data, kind="training"):
    response = client.post(reverse("ledger:create", args=[kind]), data)
    assert response.status_code == 200, "a bad form is shown again, not saved"
    return response.context["form"].errors


def test_edit_keeps_the_brigade_and_records_the_change(as_clerk, clerk, brigade):
    as_clerk.post(reverse("ledger:create", args=["training"]), GOOD)
    record = Training.objects.get()
    as_clerk.post(
        reverse("ledger:update", args=["training", record.pk]),
        GOOD | {"attendees": "50", "version": version_of(record)},
    )
    record.refresh_from_db()
    assert record.attendees == 50 and record.brigade == brigade
    latest = record.history.first()
    assert latest.history_type == "~" and latest.history_user == clerk
    assert latest.history_change_reason == "在网页上修改：参加人数"
    assert record.history.last().history_change_reason == "在网页上新增"
    page = as_clerk.get(reverse("ledger:history", args=["training", record.pk])).content.decode()
    assert "参加人数：35 → 50" in page


def test_list_filters_by_year_choice_and_search_and_paginates(as_clerk, brigade):
    for year in (2024, 2025):
        for i in range(30):
            Training.objects.create(
                brigade=brigade,
                date=datetime.date(year, 1 + i % 12, 1),
                name=f"{year}培训{i}",
                kind="专题学法" if i % 3 else "全警培训",
                mode="线下",
                attendees=10,
            )
    url = reverse("ledger:list", args=["training"])
    r = as_clerk.get(url, {"year": 2025})
    assert r.context["paginator"].count == 30
    r = as_clerk.get(url, {"year": 2025, "kind": "全警培训"})
    assert r.context["paginator"].count == 10
    r = as_clerk.get(url, {"q": "2024培训1"})
    assert r.context["paginator"].count == 11  # 1, 10..19
    r = as_clerk.get(url)
    assert r.context["paginator"].count == 60 and len(r.context["rows"]) == 50
    assert len(as_clerk.get(url, {"page": 2}).context["rows"]) == 10


def test_a_stale_edit_form_is_refused_and_shows_what_changed_meanwhile(brigade, clerk, legal):
    from brigade.models import Training

    record = Training.objects.create(
        brigade=brigade,
        date=datetime.date(2025, 3, 5),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=40,
    )
    record.save()  # a history row as the form would leave
    first, second = login(clerk), login(legal)
    url = reverse("ledger:update", args=["training", record.pk])
    opened_by_first = first.get(url).context["form"]
    opened_by_second = second.get(url).context["form"]

    def data(form, **changes):
        values = {name: form[name].value() for name in form.fields}
        values = {k: ("" if v is None else v) for k, v in values.items()}
        return values | changes

    assert second.post(url, data(opened_by_second, attendees=45)).status_code == 302
    response = first.post(url, data(opened_by_first, name="宪法专题学习"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "修改了它" in page and "「参加人数」40 → 45" in page
    record.refresh_from_db()
    assert (record.name, record.attendees) == ("宪法学习", 45)  # the second user's change stands
    # saving again, knowingly, takes the first user's text
    again = response.context["form"]
    assert first.post(url, data(again, name="宪法专题学习")).status_code == 302
    record.refresh_from_db()
    assert record.name == "宪法专题学习"


def test_the_list_shows_what_it_applies_and_takes_odd_requests_gracefully(as_clerk, brigade):
    from brigade.models import Training

    for n, day in enumerate(
        [datetime.date(2024, 5, 1), datetime.date(2025, 5, 1), datetime.date(2025, 6, 1)]
    ):
        Training.objects.create(
            brigade=brigade, date=day, name=f"培训{n}", kind="专题学法", mode="线下", attendees=5
        )
    url = reverse("ledger:list", args=["training"])
    page = as_clerk.get(url)
    html = page.content.decode()
    assert page.context["paginator"].count == 3 and "全部年度" in html and "---------" not in html
    assert 'name="brigade"' not in html  # a brigade user has no brigade to choose
    reversed_range = as_clerk.get(url, {"period_after": "2025-12-31", "period_before": "2025-01-01"})
    assert reversed_range.context["paginator"].count == 2
    assert reversed_range.content.decode().count("日期范围的起止颠倒了") == 1
    past_the_end = as_clerk.get(url, {"page": "99"})
    assert past_the_end.status_code == 200 and past_the_end.context["page_obj"].number == 1
    # 返回列表 keeps the filters the list was opened with
    as_clerk.get(url, {"year": "2025"})
    record = Training.objects.get(name="培训1")
    detail = as_clerk.get(reverse("ledger:detail", args=["training", record.pk])).content.decode()
    assert f'href="{url}?year=2025"' in detail


def test_a_record_of_a_finalised_year_offers_no_edit_and_says_why(as_clerk, brigade, legal):
    from brigade import locks
    from brigade.models import Training

    record = Training.objects.create(
        brigade=brigade,
        date=datetime.date(2024, 5, 1),
        name="旧培训",
        kind="专题学法",
        mode="线下",
        attendees=5,
    )
    locks.year_lock(brigade=brigade, year=2024, user=legal, reason="2024年度报告定稿")
    detail = as_clerk.get(reverse("ledger:detail", args=["training", record.pk])).content.decode()
    assert "已定稿" in detail and reverse("ledger:update", args=["training", record.pk]) not in detail
    opened = as_clerk.get(reverse("ledger:update", args=["training", record.pk]), follow=True)
    assert opened.redirect_chain and "已定稿" in opened.content.decode()
    listed = as_clerk.get(reverse("ledger:list", args=["training"])).content.decode()
    assert "已锁定" in listed


def test_column_headers_sort_the_list_and_keep_the_filters(as_clerk, brigade):
    from brigade.models import Training

    for n, people in enumerate([30, 10, 20]):
        Training.objects.create(
            brigade=brigade,
            date=datetime.date(2025, 5, 1 + n),
            name=f"培训{n}",
            kind="专题学法",
            mode="线下",
            attendees=people,
        )
    url = reverse("ledger:list", args=["training"])
    page = as_clerk.get(url, {"year": "2025"})
    header = next(h for h in page.context["headers"] if h[0] == "参加人数")
    assert "year=2025" in header[1] and "o=attendees" in header[1]
    ascending = as_clerk.get(url + header[1])
    assert [o.attendees for o in ascending.context["object_list"]] == [10, 20, 30]
    again = next(h for h in ascending.context["headers"] if h[0] == "参加人数")
    assert again[2] == "↑" and "o=-attendees" in again[1]
    descending = as_clerk.get(url + again[1])
    assert [o.attendees for o in descending.context["object_list"]] == [30, 20, 10]


def test_a_forms_empty_choice_reads_in_chinese(as_clerk):
    """Django's "---------" is not a word: a select's empty choice reads 请选择, or 无 where the
    field may stay empty (专项行动 of a violation)."""
    for kind in ("violations", "training", "complaints"):
        html = as_clerk.get(reverse("ledger:create", args=[kind])).content.decode()
        assert "---------" not in html, kind
    html = as_clerk.get(reverse("ledger:create", args=["violations"])).content.decode()
    assert (
        '<option value="" selected>请选择</option>' in html
        and '<option value="" selected>无</option>' in html
    )
