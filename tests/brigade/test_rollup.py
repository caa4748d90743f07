"""The figures are exactly what the records say, whatever path wrote them and in whatever order
transactions commit; a restore from a dump brings back figures and records together.

Each check compares `evaluate` (monthly rollups) with an oracle that counts the records directly."""

import datetime
import shutil
import subprocess
import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from brigade import rollup
from brigade.figures import Indicator, Period, evaluate, indicators_of, registry
from brigade.models import MonthlyRollup, Training
from enforcement.models import Violation, ViolationType
from tests.reports.test_indicators import at, violation

TODAY = timezone.localdate()
YEAR = TODAY.year
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and pg_dump need PostgreSQL"
)


def oracle(brigade_ids, period, key):
    """An indicator counted straight from the records, no rollup involved."""
    indicator = registry.get(key)
    model = indicator.model
    records = model._default_manager.filter(brigade_id__in=brigade_ids)
    values = []
    for p in (period, period.previous):
        q = rollup.range_q(model, p.start, p.end)
        values.append(records.filter(q).aggregate(v=indicator.expression(Q()))["v"] or 0)
    return tuple(values)


def assert_exact(brigade_ids, period, keys=None):
    keys = keys or [i.key for i in registry.all() if isinstance(i, Indicator)]
    figures = evaluate(brigade_ids=brigade_ids, period=period, keys=keys)
    wrong = {
        k: ((figures[k].current, figures[k].previous), oracle(brigade_ids, period, k))
        for k in keys
        if (figures[k].current, figures[k].previous) != oracle(brigade_ids, period, k)
    }
    assert not wrong


PERIODS = [
    Period.year_to_date(YEAR, TODAY),
    Period.year(YEAR - 1),
    Period(datetime.date(YEAR - 1, 3, 15), datetime.date(YEAR - 1, 4, 10)),  # inside months
    Period(datetime.date(YEAR - 1, 2, 3), datetime.date(YEAR - 1, 2, 4)),  # one day
]


def exact_everywhere(*brigades):
    for period in PERIODS:
        for ids in [[b.pk] for b in brigades] + [[b.pk for b in brigades]]:
            assert_exact(ids, period)


def test_every_write_path_keeps_the_figures_exact(brigade, other_brigade):
    one = violation(brigade, 1, at(YEAR - 1, 3, 20), "醉酒驾驶")
    violation(brigade, 2, at(YEAR - 1, 3, 31, 23))  # 15:00 UTC: still March in Beijing
    violation(other_brigade, 3, at(YEAR - 1, 4, 1, 0))  # 16:00 UTC on 31 March
    exact_everywhere(brigade, other_brigade)
    assert MonthlyRollup.objects.exists()

    one.outcome, one.occurred_at = "警告", at(YEAR - 1, 2, 3)  # a form's save: two months change
    one.save()
    exact_everywhere(brigade, other_brigade)

    Violation.objects.filter(pk=one.pk).update(brigade=other_brigade)  # no signals, no history
    exact_everywhere(brigade, other_brigade)

    with connection.cursor() as cursor:  # raw SQL, as an operator might
        cursor.execute(f"DELETE FROM {Violation._meta.db_table} WHERE decision_no = %s", [f"D{brigade.pk}-2"])
    exact_everywhere(brigade, other_brigade)

    Violation.objects.bulk_create(
        Violation(brigade=brigade, decision_no=f"bulk{n}", occurred_at=at(YEAR - 1, 1 + n % 12, 1 + n % 28),
                  violation_type=ViolationType.objects.get(name="超速"), method="非现场", outcome="罚款", fine=200)
        for n in range(40)
    )  # fmt: skip
    exact_everywhere(brigade, other_brigade)

    # A reference list the indicators look through: 超速 regrouped under 酒醉驾 moves figures of
    # every brigade and month without touching a single violation.
    ViolationType.objects.filter(name="超速").update(group="酒醉驾")
    exact_everywhere(brigade, other_brigade)

    Training.objects.create(brigade=brigade, date=datetime.date(YEAR - 1, 3, 16), name="培训", kind="全警培训",
                            mode="线下", attendees=30)  # fmt: skip
    exact_everywhere(brigade, other_brigade)


def test_a_change_recounts_one_month_of_one_brigade(brigade, other_brigade):
    violation(brigade, 1, at(YEAR - 1, 3, 20))
    violation(other_brigade, 2, at(YEAR - 1, 3, 20))
    period = Period.year(YEAR - 1)
    evaluate(brigade_ids=[brigade.pk, other_brigade.pk], period=period)
    assert not MonthlyRollup.objects.exclude(computed=F("dirty")).exists()

    violation(brigade, 3, at(YEAR - 1, 5, 2))
    stale = MonthlyRollup.objects.exclude(computed=F("dirty"))
    assert list(stale.values_list("brigade_id", "ledger", "month")) == [
        (brigade.pk, "enforcement.violation", datetime.date(YEAR - 1, 5, 1))
    ]
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 2


def test_fresh_rollups_are_read_not_recounted_and_a_new_declaration_is_recounted(brigade):
    violation(brigade, 1, at(YEAR - 1, 3, 20))
    period = Period.year(YEAR - 1)
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 1
    bucket = MonthlyRollup.objects.get(brigade_id=brigade.pk, ledger="enforcement.violation",
                                       month=datetime.date(YEAR - 1, 3, 1))  # fmt: skip
    bucket.totals["violations.total"] = 7  # what is stored and fresh is what the figures say…
    bucket.save()
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 7
    MonthlyRollup.objects.filter(pk=bucket.pk).update(signature="declared differently")
    # …until the indicators' declarations change: then the month is counted again
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 1


def test_rollup_signature_follows_the_declarations():
    model = Violation
    indicators = indicators_of(model)
    assert rollup.signature(model, indicators) == rollup.signature(model, indicators)
    assert rollup.signature(model, indicators) != rollup.signature(model, indicators[:-1])


def test_an_undeclared_key_is_an_error_not_a_zero(brigade):
    figures = evaluate(brigade_ids=[brigade.pk], period=Period.year(YEAR), keys=["violations.total"])
    with pytest.raises(KeyError, match="violations.totl"):
        figures.value("violations.totl")
    with pytest.raises(KeyError, match="没有声明指标"):
        evaluate(brigade_ids=[brigade.pk], period=Period.year(YEAR), keys=["violations.totl"])


# ── two connections ───────────────────────────────────────────────────────────────────────────


class Writer(threading.Thread):
    """A clerk's save on its own database connection, committed when told to."""

    def __init__(self, brigade, n, when):
        super().__init__(daemon=True)
        self.brigade, self.n, self.when = brigade, n, when
        self.written, self.commit, self.error = threading.Event(), threading.Event(), None

    def run(self):
        try:
            with transaction.atomic():
                violation(self.brigade, self.n, self.when)
                self.written.set()
                assert self.commit.wait(30)
        except Exception as error:  # noqa: BLE001 — reported to the test thread
            self.error = error
            self.written.set()
        finally:
            connections.close_all()

    def finish(self):
        self.commit.set()
        self.join(30)
        assert self.error is None


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_a_save_that_commits_late_is_counted(brigade):
    period = Period.year(YEAR - 1)
    violation(brigade, 1, at(YEAR - 1, 3, 1))
    assert_exact([brigade.pk], period)

    first = Writer(brigade, 2, at(YEAR - 1, 1, 10))  # started first…
    first.start()
    assert first.written.wait(30)
    second = Writer(brigade, 3, at(YEAR - 1, 2, 10))  # …the second commits first
    second.start()
    assert second.written.wait(30)
    second.finish()
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 2
    assert_exact([brigade.pk], period)  # January counted while the first writer held it

    first.finish()
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 3
    assert_exact([brigade.pk], period)


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_a_reader_counting_beside_an_open_write_of_the_same_month_stores_nothing_stale(brigade):
    period = Period.year(YEAR - 1)
    violation(brigade, 1, at(YEAR - 1, 1, 1))
    evaluate(brigade_ids=[brigade.pk], period=period)
    writer = Writer(brigade, 2, at(YEAR - 1, 1, 2))
    writer.start()
    assert writer.written.wait(30)
    # The writer holds January: the reader counts it without the open write, answers 1, and
    # leaves the month unstored after a brief wait rather than storing a value about to be stale.
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 1
    writer.finish()
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 2
    assert_exact([brigade.pk], period)


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_restore_from_a_dump_brings_figures_back_with_the_records(brigade, tmp_path):
    """README's backup procedure: pg_dump → work goes on → pg_restore → work goes on."""
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    settings = connection.settings_dict
    target = [
        "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
        "-U", settings["USER"] or "postgres",
    ]  # fmt: skip
    env = {"PGPASSWORD": settings["PASSWORD"] or "", "PATH": "/usr/bin:/bin"}
    period = Period.year(YEAR - 1)
    violation(brigade, 1, at(YEAR - 1, 6, 1))
    violation(brigade, 2, at(YEAR - 1, 6, 2))
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 2
    dump = tmp_path / "backup.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", dump, *target, settings["NAME"]], check=True, env=env)

    for n in range(3, 8):  # the day's work after the backup, counted and stored
        violation(brigade, n, at(YEAR - 1, 6, 3))
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 7

    connections.close_all()
    subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *target,
         "-d", settings["NAME"], dump],
        check=True, env=env,
    )  # fmt: skip
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 2
    violation(brigade, 99, at(YEAR - 1, 6, 4))  # work goes on after the restore
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 3
    assert_exact([brigade.pk], period)


def test_a_change_recounts_only_the_days_it_touched(brigade):
    for n, day in enumerate((3, 3, 20)):
        violation(brigade, n, at(YEAR - 1, 5, day))
    period = Period.year(YEAR - 1)
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 3
    bucket = MonthlyRollup.objects.get(brigade_id=brigade.pk, month=datetime.date(YEAR - 1, 5, 1),
                                       ledger="enforcement.violation")  # fmt: skip
    assert bucket.daily["violations.total"] == {"3": 2, "20": 1} and bucket.dirty_days == 0
    bucket.daily["violations.total"]["3"] = 5  # stored for the 3rd: not recounted below
    bucket.save()

    violation(brigade, 9, at(YEAR - 1, 5, 20))
    bucket.refresh_from_db()
    assert bucket.dirty_days == 1 << 20 and bucket.computed != bucket.dirty
    assert evaluate(brigade_ids=[brigade.pk], period=period)["violations.total"].current == 5 + 2
    bucket.refresh_from_db()
    assert bucket.computed == bucket.dirty and bucket.dirty_days == 0
    assert bucket.daily["violations.total"] == {"3": 5, "20": 2}
