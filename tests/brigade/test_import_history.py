"""On PostgreSQL an import COPYs its new records straight into the ledger's table, and the table's
history trigger writes their history rows from the same statement (brigade/ledger/writing.py).
Every imported record has exactly the history row django-simple-history would have written;
no other insert gets a second one; and without the trigger an import refuses to write at all
rather than leave records with no history."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from brigade.ledger.writing import HISTORY_TRIGGER, ImportUnavailable, history_trigger_sql
from brigade.models import User
from enforcement.models import Violation
from tests.conftest import make_xlsx

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path and its trigger")

HEADER = ["决定书编号", "违法时间", "违法行为", "执法方式", "处理结果", "罚款金额", "记分", "违法地点", "号牌号码", "执勤民警", "专项行动"]  # fmt: skip


def _file(n, start=0):
    rows = [HEADER]
    for i in range(start, start + n):
        rows.append(
            [
                f"4311{i:08d}",
                datetime.datetime(2025, 3, 1, 8) + datetime.timedelta(hours=i),
                "闯红灯",
                "现场",
                "罚款",
                200,
                6,
                "潇水大道",
                f"湘M{i:05d}",
                "民警甲",
                "",
            ]
        )
    return make_xlsx(rows)


def _fields(model):
    return [f.attname for f in model._meta.concrete_fields]


@on_postgresql
def test_every_imported_record_has_the_history_row_simple_history_would_write(
    brigade, clerk, violation_types
):
    result = ledger_import(
        ledger=registry.get("violations"),
        brigade=brigade,
        source=_file(25),
        user=clerk,
        reason="Excel导入：三月.xlsx",
    )
    assert result.written and result.created == 25
    records = {v["id"]: v for v in Violation.objects.values(*_fields(Violation))}
    history = list(
        Violation.history.values(
            *_fields(Violation), "history_type", "history_change_reason", "history_user_id", "history_date"
        )
    )
    assert sorted(h["id"] for h in history) == sorted(records)  # one each
    for h in history:
        assert {k: h[k] for k in _fields(Violation)} == records[h["id"]]
        assert (h["history_type"], h["history_change_reason"], h["history_user_id"]) == (
            "+",
            "Excel导入：三月.xlsx",
            clerk.pk,
        )
        assert h["history_date"] == records[h["id"]]["created_at"]
    # A record's own history page reads it as any other change.
    record = Violation.objects.get(decision_no="431100000003")
    assert record.history.get().history_user == clerk


@on_postgresql
def test_the_trigger_is_off_for_every_other_insert_even_in_the_importing_transaction(
    brigade, clerk, violation_types
):
    with transaction.atomic():
        ledger_import(ledger=registry.get("violations"), brigade=brigade, source=_file(3), user=clerk)
        saved = Violation.objects.get(decision_no="431100000000")
        saved.pk, saved.decision_no, saved._history_user = None, "手工录入1", clerk
        saved.save()  # as a form saves: simple-history writes its history row
    assert Violation.history.filter(id=saved.pk).count() == 1
    assert Violation.history.count() == Violation.objects.count() == 4


@on_postgresql
def test_a_database_without_the_trigger_refuses_to_import(brigade, clerk, violation_types, tmp_path):
    table = connection.ops.quote_name(Violation._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {HISTORY_TRIGGER}")
        with pytest.raises(ImportUnavailable, match="manage.py migrate"):
            ledger_import(ledger=registry.get("violations"), brigade=brigade, source=_file(3), user=clerk)
        assert not Violation.objects.exists()
        # The command line says the same, in Chinese, without a traceback.
        path = tmp_path / "三月.xlsx"
        path.write_bytes(_file(3).getvalue())
        with pytest.raises(CommandError, match="缺少导入记录修改历史所需的触发器"):
            call_command("import_ledger", "violations", str(path), "--brigade", brigade.code)
        transaction.set_rollback(True)


def test_a_history_that_leaves_fields_out_gets_a_trigger_without_them():
    """A ledger's history may exclude fields (as the users' history leaves out the password):
    the trigger writes only the columns its history table has."""
    sql = " ".join(history_trigger_sql(User))
    assert '"username"' in sql and '"password"' not in sql and '"last_login"' not in sql
