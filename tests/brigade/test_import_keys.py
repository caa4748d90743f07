"""One rule for keys at import, in forms and in the list's filter (brigade/ledger/keys.py): a
决定书编号 typed with a space or full-width characters is the record typed without them."""

import datetime

from django.urls import reverse

from enforcement.models import Violation, ViolationType
from tests.conftest import make_xlsx
from tests.enforcement.test_import import VIOLATION_HEADER, do_import, violation
from tests.records import good

KEY = "公交决字2026001"


def _legacy(brigade, key, points=12):
    """A record saved before keys were normalised, its key as someone typed it."""
    return Violation.objects.create(
        brigade=brigade,
        decision_no=key,
        occurred_at=datetime.datetime(2024, 3, 5, 13, 30, tzinfo=datetime.UTC),
        violation_type=ViolationType.objects.get(name="酒后驾驶"),
        method="现场",
        outcome="罚款",
        fine=1500,
        points=points,
        location="G207国道",
        plate="湘MA1234",
        officer="王伟",
    )


def test_a_key_typed_with_spaces_or_full_width_updates_the_record_rather_than_adding_one(brigade):
    assert do_import("violations", brigade, [VIOLATION_HEADER, violation(KEY)]).created == 1
    for typed in ("公交决字 2026 001", "公交决字２０２６００１", "公交决字\u30002026\u3000001"):
        result = do_import("violations", brigade, [VIOLATION_HEADER, violation(typed, 记分=6)])
        assert result.written and result.created == 0, (typed, result.errors)
    assert list(Violation.objects.values_list("decision_no", "points")) == [(KEY, 6)]


def test_a_new_key_is_stored_as_the_rule_writes_it(brigade):
    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("公交决字 ２０２６ 002")])
    assert result.written and result.created == 1
    assert Violation.objects.get().decision_no == "公交决字2026002"


def test_a_file_with_one_key_typed_two_ways_names_the_first_row(brigade):
    rows = [VIOLATION_HEADER, violation(KEY), violation("公交决字 2026 001")]
    result = do_import("violations", brigade, rows)
    assert not result.written and not Violation.objects.exists()
    assert "第3行「决定书编号」列：与第2行重复" in str(result.errors[0])


def test_a_record_saved_with_spaces_before_the_rule_is_matched_and_its_key_tidied(brigade):
    old = _legacy(brigade, "公交决字 2026 001")
    result = do_import("violations", brigade, [VIOLATION_HEADER, violation(KEY, 记分=3)])
    assert result.written and (result.created, result.updated) == (0, 1)
    old.refresh_from_db()
    assert (old.decision_no, old.points) == (KEY, 3) and Violation.objects.count() == 1


def test_the_preview_counts_such_a_row_as_an_update(brigade, as_clerk):
    do_import("violations", brigade, [VIOLATION_HEADER, violation(KEY)])
    upload = make_xlsx([VIOLATION_HEADER, violation("公交决字 2026 001", 记分=6)])
    response = as_clerk.post(reverse("ledger:import", args=["violations"]), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "将新增：0" in page and "将更新：1" in page


def test_the_form_refuses_a_key_an_existing_record_holds_typed_otherwise(brigade, as_clerk):
    record = _legacy(brigade, KEY)
    url = reverse("ledger:create", args=["violations"])
    response = as_clerk.post(url, good("violations") | {"decision_no": "公交决字 ２０２６ 001"})
    page = response.content.decode()
    assert response.status_code == 200 and "本大队已有决定书编号相同的记录" in page
    assert reverse("ledger:detail", args=["violations", record.pk]) in page
    assert Violation.objects.count() == 1


def test_the_form_finds_a_legacy_record_typed_with_spaces_and_saves_keys_tidied(brigade, as_clerk):
    _legacy(brigade, "公交决字 2026 001")
    url = reverse("ledger:create", args=["violations"])
    response = as_clerk.post(url, good("violations") | {"decision_no": KEY})
    assert response.status_code == 200 and "本大队已有决定书编号相同的记录" in response.content.decode()
    response = as_clerk.post(url, good("violations") | {"decision_no": "公交决字 2026 777"})
    assert response.status_code == 302
    assert Violation.objects.filter(decision_no="公交决字2026777").exists()


def test_the_list_filter_import_and_form_agree(brigade, as_clerk):
    rows = [VIOLATION_HEADER, violation("公交决字 2026 001"), violation("公交决字2026999")]
    do_import("violations", brigade, rows)
    page = as_clerk.get(reverse("ledger:list", args=["violations"]), {"key": "公交决字２０２６００１"})
    text = page.content.decode()
    assert KEY in text and "公交决字2026999" not in text
