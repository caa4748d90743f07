"""An import checks a chunk of rows a column at a time (`Column.parse_column`): a column of plain
texts or date-times is judged whole, a column of few distinct cells is parsed once per distinct
cell. Whatever path a column takes, each cell must come out exactly as `parse` makes it (the
same value of the same type, or refused), for every column of every ledger; and the pause of
the garbage collector an import takes never leaks out of it."""

import datetime
import gc
import random
import threading
from decimal import Decimal

import pytest
from django.utils import timezone

from brigade.ledger import CellError, Column, registry
from brigade.ledger.importer import ImportResult, _parse_chunk, collector_paused, ledger_import
from brigade.models import Training
from enforcement.models import Campaign
from tests.conftest import make_xlsx

NOW = datetime.datetime.now()
GENERAL = [
    "", None, " ", "\t", "甲", "abc", " abc", "abc ", "a\u3000", "\u3000a", "'abc", "'=SUM(A1)", "=1+1",
    "a\x00b", "\ud800", "x" * 40, "x" * 300, "2025-03-01", "2025/3/1 8:30", "2025年3月1日", "100", "1,000",
    "-5", "0", 0, 1, -1, 1.0, 0.0, -0.0, 2.5, 200.0, 1e20, float("nan"), float("inf"), True, False,
    datetime.date(2025, 3, 1), datetime.date(1800, 1, 1), datetime.date(2999, 1, 1),
    datetime.datetime(2025, 3, 1, 8, 30), datetime.datetime(2025, 3, 1, 8, 30, 0, 600_000),
    datetime.datetime(1850, 1, 1, 9), datetime.datetime(2999, 1, 1, 9), NOW, NOW - datetime.timedelta(hours=1),
    datetime.datetime(2025, 3, 1, 8, 30, tzinfo=datetime.UTC), datetime.time(8, 30),
    datetime.timedelta(hours=36),
    # one instant in two offsets, and a wall time daylight saving repeated (Shanghai, 1986)
    datetime.datetime(2025, 3, 1, 23, 0, tzinfo=datetime.UTC),
    datetime.datetime(2025, 3, 2, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
    datetime.datetime(1986, 9, 13, 23, 30), datetime.datetime(1986, 9, 13, 23, 30, fold=1),
    datetime.time(8, 30, fold=1),
]  # fmt: skip


def _outcome(col, cell):
    """What `parse` makes of one cell: its type and repr (so that -0.00 is not 0.00, nor one
    instant in two offsets the same), or its refusal."""
    try:
        value = col.parse(cell)
    except CellError as e:
        return "refused", str(e)
    return type(value), repr(value)


def _column_outcomes(col, cells):
    values, failed = col.parse_column(cells)
    assert len(values) == len(cells)
    return [("refused", failed[i]) if i in failed else (type(v), repr(v)) for i, v in enumerate(values)]


def _pools(col):
    """Cells a column may meet: the general ones and its own (choices, names, its example)."""
    own = [col.placeholder, *(col.choices or [])]
    if getattr(col, "_ids", None) is not None:
        own += list(col._ids)
    good = [cell for cell in GENERAL + own if _outcome(col, cell) != "refused"]
    return GENERAL + own, good


def _all_columns(brigade):
    for ledger in registry.all():
        for col in ledger.columns_for(brigade):
            yield f"{ledger.kind}.{col.name}", col


def test_every_path_of_every_column_gives_what_parse_gives(brigade):
    names = [("酒驾整治", "2025-01-01"), ("同名行动", "2025-01-01"), ("同名行动", "2025-06-01")]
    # names a cell may spell only through `text`: our export's guard, white space trimmed
    names += [
        ("=SUM", "2025-01-01"),
        ("'=SUM", "2025-01-01"),
        ("酒驾", "2025-01-01"),
        ("酒驾 ", "2025-01-01"),
    ]
    for name, start in names:
        Campaign.objects.create(brigade=brigade, name=name, start_date=start, kind="集中整治", officers=5)
    rng = random.Random(20261201)
    checked = set()
    for name, col in _all_columns(brigade):
        pool, good = _pools(col)
        trials = [
            [rng.choice(pool) for _ in range(60)],  # anything: cell by cell
            [rng.choice(good) for _ in range(60)],  # good cells, repeated: once per distinct cell
            [rng.choice(good[:3]) for _ in range(60)] + [rng.choice(pool)],  # repeated, one odd one
            good,  # distinct good cells
            [f"编号{i:06d}" for i in range(50)],  # distinct texts: judged as one string
            [f"编号{i:06d}" for i in range(50)] + [" 编号"],
            [f"编号{i:06d}" for i in range(50)] + [""],
            [datetime.datetime(2025, 1, 1, 8) + datetime.timedelta(hours=7 * i) for i in range(50)],
            [datetime.datetime(2025, 1, 1, 8) + datetime.timedelta(hours=7 * i) for i in range(50)]
            + [datetime.date(2025, 5, 1)],  # a date-time at midnight comes as a date
            *(
                [datetime.datetime(2025, 1, 1, 8) + datetime.timedelta(hours=7 * i) for i in range(50)]
                + [odd]
                for odd in GENERAL
                if isinstance(odd, datetime.date)
            ),  # date-times and one odd one: too early, too late, aware, not in whole seconds
            [1.0] * 20 + [True],  # TRUE is not 1 to a number column
            [1] * 20 + [1.0],
            [200.0] * 30 + [200.5],
            [0.0] * 20 + [-0.0],  # an amount of -0.00 is not one of 0.00
            [datetime.datetime(2025, 3, 1, 23, 0, tzinfo=datetime.UTC)] * 20
            + [datetime.datetime(2025, 3, 2, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))],
            [datetime.datetime(1986, 9, 13, 23, 30)] * 20 + [datetime.datetime(1986, 9, 13, 23, 30, fold=1)],
            *([name] * 20 + [" 酒驾"] for name in ("'=SUM", "=SUM", "酒驾 ", "酒驾")),
        ]
        for cells in trials:
            expected = [_outcome(col, cell) for cell in cells]
            assert _column_outcomes(col, cells) == expected, (name, cells)
            checked.add(name)
    assert "violations.decision_no" in checked and "violations.occurred_at" in checked


def test_a_chunk_of_distinct_texts_and_date_times_is_judged_whole(brigade):
    """The whole-column paths are taken (they are what makes 100,000 rows fast), and they refuse
    the same cells cell by cell would."""
    columns = {col.name: col for col in registry.get("violations").columns_for(brigade)}
    numbers, times = columns["decision_no"], columns["occurred_at"]
    texts = [f"43112310{i:08d}" for i in range(1000)]
    assert numbers.fast_column(texts) == texts
    assert numbers.fast_column([*texts, "4311 "]) is None
    assert numbers.fast_column([*texts, "x" * (numbers.max_length + 1)]) is None
    naive = [datetime.datetime(2025, 1, 1) + datetime.timedelta(minutes=13 * i) for i in range(1000)]
    aware = times.fast_column(naive)
    assert aware == [timezone.make_aware(v) for v in naive]
    assert times.fast_column([*naive, NOW]) is None  # within a day of now: cell by cell


def test_an_amount_column_of_repeated_cells_keeps_the_decimal_places(brigade):
    fine = next(col for col in registry.get("violations").columns_for(brigade) if col.name == "fine")
    values, failed = fine.parse_column([200.0, 50.0, "", 200.0, 50.0, "", 200.0, 50.0, "", 200.0])
    assert failed == {}
    assert [str(v) if v is not None else None for v in values[:3]] == ["200.00", "50.00", None]
    assert all(isinstance(v, Decimal) for v in values if v is not None)


class _Flaky(Column):
    """A column whose verdict changes between two parses of one cell, as `not_in_future` does
    for a time a moment ahead of the clock."""

    calls = 0

    def fast_column(self, cells):
        return None

    def fast_parser(self):
        return self.parse

    def convert(self, raw):
        _Flaky.calls += 1
        if _Flaky.calls == 1:
            raise CellError("不能晚于当前时间")
        return super().convert(raw)


def test_a_refused_row_is_never_dropped_in_silence(db):
    """Each cell is parsed once and its own refusal reported: parsed a second time, only to
    word the message, it might pass, and the row would be neither written nor named."""
    col = _Flaky(Training._meta.get_field("name"))
    result = ImportResult(kind="trainings")
    good = _parse_chunk([(2, ["明天的培训"])], [(0, col)], (), result)
    assert good == [] and [str(e) for e in result.errors] == ["第2行「名称」列：不能晚于当前时间"]


def test_the_collector_pause_of_two_overlapping_imports_ends_with_the_last(db):
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after the first ended": False}
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused(db):
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("rows", [0, 1])
def test_an_import_of_any_size_leaves_the_collector_on(brigade, rows):
    ledger = registry.all()[0]
    header = [col.header for col in ledger.columns]
    data = [header] + [[col.example() for col in ledger.columns]] * rows
    ledger_import(ledger=ledger, brigade=brigade, source=make_xlsx(data), dry_run=True)
    ledger_import(ledger=ledger, brigade=brigade, source=make_xlsx(data))
    assert gc.isenabled()
