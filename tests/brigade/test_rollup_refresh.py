"""A writer of many records (load_demo, an import) counts what it marked once it has committed
(rollup.refresh), so that the first dashboard after it reads stored months instead of counting
the records itself (brigade/rollup.py)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from brigade import rollup
from brigade.figures import Period, evaluate
from brigade.models import RollupMark
from enforcement.models import Violation
from tests.reports.test_indicators import at, violation

YEAR = 2025


def test_after_a_refresh_the_figures_are_read_without_counting_the_records(brigade, other_brigade):
    for n in range(5):
        violation(brigade, n, at(YEAR, 3, 1 + n), "醉酒驾驶")
    violation(brigade, 9, at(YEAR - 1, 3, 9))  # the same month a year earlier
    violation(other_brigade, 1, at(YEAR, 4, 1))
    assert RollupMark.objects.exists()

    assert rollup.refresh(brigade_ids=[brigade.pk]) >= 1
    assert not RollupMark.objects.filter(brigade_id=brigade.pk).exists()  # counted and stored
    # another brigade's, not asked for: left to its reader
    assert RollupMark.objects.filter(brigade_id=other_brigade.pk).exists()

    period = Period.months(YEAR, 3, 3)  # March, and March a year earlier: both written, both marked
    with CaptureQueriesContext(connection) as queries:
        figures = evaluate(
            brigade_ids=[brigade.pk], period=period, keys=["violations.total", "violations.drunk"]
        )
    assert figures["violations.total"].current == 5 and figures["violations.drunk"].current == 5
    assert figures["violations.total"].previous == 1
    table = f'"{Violation._meta.db_table}"'  # quoted: not the violation types' table
    assert not any(table in q["sql"] for q in queries.captured_queries)  # no record was counted


def test_a_write_after_the_refresh_is_still_counted(brigade):
    violation(brigade, 1, at(YEAR, 3, 1))
    rollup.refresh()
    violation(brigade, 2, at(YEAR, 3, 2))  # leaves its own mark
    figures = evaluate(brigade_ids=[brigade.pk], period=Period.year(YEAR), keys=["violations.total"])
    assert figures["violations.total"].current == 2
    assert not RollupMark.objects.exists()  # the reader accounted for it
