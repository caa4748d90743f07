"""The rollups count each record on its local day (北京时间), on SQLite in SQL where the zone's
offset is fixed over the days counted, and exactly across a change of offset (the summers of
1986–1991, when China kept summer time). brigade/rollup.py `_local_day`."""

import datetime
import zoneinfo

from django.db import connection
from django.test.utils import CaptureQueriesContext

from brigade import rollup
from enforcement.models import Violation
from tests.reports.test_indicators import violation

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def on(brigade, day: datetime.date) -> int:
    return rollup.count_records(
        model=Violation, brigade_ids=[brigade.pk], start=day, end=day + datetime.timedelta(days=1)
    )


def test_a_record_just_after_local_midnight_counts_on_its_local_day(brigade):
    violation(brigade, 1, datetime.datetime(2025, 3, 1, 0, 30, tzinfo=TZ))  # 28 Feb 16:30 UTC
    with CaptureQueriesContext(connection) as queries:
        assert on(brigade, datetime.date(2025, 3, 1)) == 1
    assert on(brigade, datetime.date(2025, 2, 28)) == 0
    if connection.vendor == "sqlite":  # counted in SQL, not by a Python function per row
        assert not any("django_datetime_cast_date" in q["sql"] for q in queries.captured_queries)


def test_summer_time_days_count_on_their_local_day(brigade):
    violation(brigade, 1, datetime.datetime(1988, 7, 11, 0, 30, tzinfo=TZ))  # +9 all month: 10 Jul 15:30 UTC
    violation(brigade, 2, datetime.datetime(1988, 4, 20, 0, 30, tzinfo=TZ))  # April: summer time began 17 Apr
    violation(brigade, 3, datetime.datetime(1988, 4, 10, 0, 30, tzinfo=TZ))  # …and before it, +8
    assert on(brigade, datetime.date(1988, 7, 11)) == 1 and on(brigade, datetime.date(1988, 7, 10)) == 0
    assert on(brigade, datetime.date(1988, 4, 20)) == 1 and on(brigade, datetime.date(1988, 4, 19)) == 0
    assert on(brigade, datetime.date(1988, 4, 10)) == 1 and on(brigade, datetime.date(1988, 4, 9)) == 0
