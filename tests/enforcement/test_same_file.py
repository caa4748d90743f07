"""A file imported before comes again: its preview is answered from what was recorded of it,
but only while the records, the names the file refers to and the rules are what they were
(brigade.ledger.fingerprints)."""

import io

import pytest
from django.db import connection

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from brigade.models import ImportFingerprint
from enforcement.models import Violation, ViolationType
from tests.conftest import make_xlsx
from tests.enforcement.test_import import VIOLATION_HEADER, violation

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="a REPEATABLE READ snapshot")


@pytest.fixture
def one_file():
    """The same bytes each time, as when a clerk uploads the same file again."""
    content = make_xlsx(
        [VIOLATION_HEADER, violation("4311232400000001"), violation("4311232400000002", 罚款金额=200)]
    ).getvalue()
    return lambda: io.BytesIO(content)


def preview(brigade, source):
    return ledger_import(ledger=registry.get("violations"), brigade=brigade, source=source, dry_run=True)


def test_the_same_file_is_recognised_until_one_of_its_records_changes(brigade, one_file):
    imported = ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    assert imported.written and imported.created == 2

    again = preview(brigade, one_file())
    assert again.recognised
    assert (again.rows, again.created, again.updated, again.unchanged, again.error_count) == (2, 0, 0, 2, 0)

    record = Violation.objects.get(decision_no="4311232400000002")
    record.fine = 300
    record.save()
    changed = preview(brigade, one_file())
    assert not changed.recognised
    assert (changed.updated, changed.unchanged) == (1, 1)

    record.fine = 200
    record.save()  # back as the file has it: every row matches again, whichever way it is found
    assert (preview(brigade, one_file()).unchanged, Violation.objects.count()) == (2, 2)


def test_a_record_added_by_hand_is_noticed(brigade, one_file):
    ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    extra = Violation.objects.get(decision_no="4311232400000001")
    extra.pk, extra.decision_no = None, "4311232400000003"
    extra.save()
    result = preview(brigade, one_file())
    assert not result.recognised and result.unchanged == 2


def test_a_renamed_violation_type_is_not_answered_from_the_old_file(brigade, one_file):
    ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    ViolationType.objects.filter(name="酒后驾驶").update(name="饮酒后驾驶机动车")
    result = preview(brigade, one_file())
    assert not result.recognised
    assert result.error_count == 2
    assert "「酒后驾驶」不在" in result.errors[0].message


def test_another_brigade_importing_the_same_file_is_compared_row_by_row(brigade, other_brigade, one_file):
    ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    result = preview(other_brigade, one_file())
    assert not result.recognised and result.created == 2


def test_a_refused_import_records_nothing(brigade):
    bad = make_xlsx([VIOLATION_HEADER, violation("4311232400000001", 记分=13)])
    result = ledger_import(ledger=registry.get("violations"), brigade=brigade, source=bad)
    assert not result.written
    assert not ImportFingerprint.objects.exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_preview_that_finds_every_row_unchanged_is_remembered(brigade, violation_types, one_file):
    ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    ImportFingerprint.objects.all().delete()  # as if the file had come by other means

    first = preview(brigade, one_file())
    assert not first.recognised and first.unchanged == 2
    assert preview(brigade, one_file()).recognised


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_preview_that_finds_a_change_is_not_remembered(brigade, violation_types, one_file):
    ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    Violation.objects.filter(decision_no="4311232400000001").update(fine=1000)
    for _ in range(2):
        result = preview(brigade, one_file())
        assert not result.recognised and result.updated == 1


def test_a_second_campaign_of_the_same_name_is_noticed(brigade):
    """The name table stays as it was (one name), but the name no longer says which campaign is
    meant: the import refuses the row, so the preview must not answer 全部未变化."""
    import datetime

    from enforcement.models import Campaign

    def campaign(day):
        Campaign.objects.create(
            brigade=brigade, name="夏季整治", start_date=day, kind="集中整治", officers=10
        )

    campaign(datetime.date(2024, 1, 1))
    content = make_xlsx([VIOLATION_HEADER, violation("4311232400000001", 专项行动="夏季整治")]).getvalue()
    assert ledger_import(
        ledger=registry.get("violations"), brigade=brigade, source=io.BytesIO(content)
    ).written
    campaign(datetime.date(2024, 6, 1))
    again = preview(brigade, io.BytesIO(content))
    assert not again.recognised and again.error_count == 1 and "多条名为" in again.errors[0].message


def test_a_changed_time_zone_is_noticed(brigade, one_file, settings):
    """Date-times without a zone in the file are read in the deployment's: another zone, another
    reading of the same cells."""
    from django.utils import timezone

    ledger_import(ledger=registry.get("violations"), brigade=brigade, source=one_file())
    settings.TIME_ZONE = "Asia/Urumqi"
    timezone.deactivate()
    result = preview(brigade, one_file())
    assert not result.recognised and result.updated == 2
