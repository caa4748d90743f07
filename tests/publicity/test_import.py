"""Importing the publicity ledgers from Excel: date forms, keyless ledgers that recognise a row
they already hold, and the 数量 that defaults to one."""

import datetime

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from publicity.models import MediaWork, PublicityEvent
from tests.conftest import make_xlsx

EVENT_HEADER = ["活动日期", "活动名称", "活动形式", "对象群体", "地点", "受教育人数", "发放资料份数"]
MEDIA_HEADER = ["发布日期", "标题", "作品类型", "发布平台", "数量", "播放阅读量"]


def event(day, name="“开学第一课”交通安全教育", attendees=600):
    return [day, name, "进校园", "中小学生", "县第一中学", attendees, 600]


def do_import(kind, brigade, rows, **kwargs):
    return ledger_import(ledger=registry.get(kind), brigade=brigade, source=make_xlsx(rows), **kwargs)


def test_excel_dates_and_text_dates_all_import(brigade):
    rows = [
        EVENT_HEADER,
        event(datetime.date(2024, 3, 5), "甲"),  # an Excel date cell
        event(datetime.datetime(2024, 3, 5, 0, 0), "乙"),  # an Excel date-time cell
        event("2024/3/5", "丙"),
        event("2024年3月5日", "丁"),
        event("2024-03-05", "戊"),
    ]
    result = do_import("events", brigade, rows)
    assert result.ok, result.errors
    assert list(PublicityEvent.objects.values_list("date", flat=True)) == [datetime.date(2024, 3, 5)] * 5


def test_events_imported_twice_are_not_duplicated(brigade):
    rows = [
        EVENT_HEADER,
        event("2024/3/5"),
        event("2024/9/1", "秋季开学交通安全教育"),
        event("2024/3/5", attendees=650),
    ]
    assert do_import("events", brigade, rows).created == 3
    again = do_import("events", brigade, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert PublicityEvent.objects.count() == 3


def test_event_with_a_bad_cell_is_named_by_row_and_column(brigade):
    bad_kind = event("2024/3/7")
    bad_kind[2] = "进工地"
    rows = [EVENT_HEADER, event("2024/3/5"), event("2024/2/30"), bad_kind]
    result = do_import("events", brigade, rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "活动日期"), (4, "活动形式")]
    assert "不是存在的日期" in result.errors[0].message
    assert not PublicityEvent.objects.exists()


def test_a_blank_quantity_is_one_and_text_messages_count_by_the_thousand(brigade):
    rows = [
        MEDIA_HEADER,
        ["2024/3/5", "夜查酒驾现场", "短视频", "抖音", None, 12000],
        ["2024/12/1", "2024年交通安全提示短信", "安全提示信息", "短信", 1600, None],
    ]
    result = do_import("media", brigade, rows)
    assert result.ok, result.errors
    assert dict(MediaWork.objects.values_list("kind", "quantity")) == {"短视频": 1, "安全提示信息": 1600}
    zero = do_import("media", brigade, [MEDIA_HEADER, ["2024/3/6", "图文", "图文", "微博", 0, None]])
    assert [(e.column, e.message) for e in zero.errors] == [("数量", "确保该值大于或等于1。")]
