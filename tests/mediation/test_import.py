"""Importing the mediation ledgers from Excel: date forms, cross-column dates, and keys that are
optional (a call or complaint without a number is still a record)."""

import datetime

from django.utils import timezone

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from mediation.models import AccidentCase, Complaint, PoliceCall
from tests.conftest import make_xlsx

ACCIDENT_HEADER = ["事故编号", "事故时间", "事故等级", "处理程序", "调解方式", "调解结果", "赔偿金额", "结案日期", "事故地点"]  # fmt: skip
CALL_HEADER = ["警情编号", "接警时间", "警情类别", "处置结果", "回访结果"]
COMPLAINT_HEADER = ["编号", "受理日期", "来源渠道", "类别", "内容摘要", "办结日期", "群众满意度"]


def accident(no, when, closed):
    return [no, when, "轻微事故", "快处快赔", "保险直赔", "调解成功", 3200, closed, "G207国道"]


def do_import(kind, brigade, rows, **kwargs):
    return ledger_import(ledger=registry.get(kind), brigade=brigade, source=make_xlsx(rows), **kwargs)


def test_excel_dates_and_text_dates_all_import(brigade):
    rows = [
        ACCIDENT_HEADER,
        accident("1", datetime.datetime(2024, 3, 5, 8, 15), datetime.date(2024, 3, 6)),  # Excel-typed cells
        accident("2", "2024/3/5", "2024/3/6"),
        accident("3", "2024年3月5日", "2024年3月6日"),
        accident("4", "2024-03-05 08:15", "2024-03-06"),
    ]
    result = do_import("accidents", brigade, rows)
    assert result.ok, result.errors
    for case in AccidentCase.objects.all():
        assert timezone.localtime(case.occurred_at).date() == datetime.date(2024, 3, 5)
        assert case.closed_date == datetime.date(2024, 3, 6)


def test_accident_closed_before_it_happened_is_refused(brigade):
    result = do_import("accidents", brigade, [ACCIDENT_HEADER, accident("1", "2024/3/5 8:15", "2024/3/4")])
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "结案日期", "结案日期不能早于事故时间")
    ]
    assert not AccidentCase.objects.exists()


def test_accidents_imported_twice_are_not_duplicated(brigade):
    rows = [ACCIDENT_HEADER, accident("1", "2024/3/5", None), accident("2", "2024/3/6", None)]
    assert do_import("accidents", brigade, rows).created == 2
    rows[1][7] = "2024/3/20"  # the case has since been closed
    again = do_import("accidents", brigade, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert AccidentCase.objects.count() == 2
    assert AccidentCase.objects.get(case_no="1").closed_date == datetime.date(2024, 3, 20)


def test_calls_with_a_number_update_and_calls_without_one_are_added(brigade):
    rows = [
        CALL_HEADER,
        ["J1", "2024/3/5 08:10", "交通事故", "已出警", "未回访"],
        [None, "2024/3/5 09:00", "群众求助", "已帮助", "满意"],
        [None, "2024/3/5 10:00", "其他", "已登记", "满意"],
    ]
    assert do_import("calls", brigade, rows).created == 3
    followed_up = [CALL_HEADER, ["J1", "2024/3/5 08:10", "交通事故", "已出警", "满意"]]
    result = do_import("calls", brigade, followed_up)
    assert (result.created, result.updated) == (0, 1)
    assert PoliceCall.objects.count() == 3
    assert PoliceCall.objects.get(call_no="J1").follow_up == "满意"


def test_the_same_call_number_twice_in_one_file_is_refused(brigade):
    rows = [
        CALL_HEADER,
        ["J1", "2024/3/5", "交通事故", "", "满意"],
        ["J1", "2024/3/6", "交通拥堵", "", "满意"],
    ]
    result = do_import("calls", brigade, rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "警情编号")]
    assert not PoliceCall.objects.exists()


def test_an_unnumbered_call_imported_twice_is_not_duplicated(brigade):
    rows = [CALL_HEADER, [None, "2024/3/5 09:00", "群众求助", "已帮助", "满意"]]
    assert do_import("calls", brigade, rows).created == 1
    assert do_import("calls", brigade, rows).unchanged == 1
    assert PoliceCall.objects.count() == 1


def test_complaint_dates_in_every_form_and_closing_before_receiving_refused(brigade):
    rows = [
        COMPLAINT_HEADER,
        ["TS1", datetime.date(2024, 3, 5), "12345热线", "执法投诉", "", datetime.date(2024, 3, 8), "满意"],
        ["TS2", "2024/3/5", "信访", "事故处理", "", "2024年3月8日", "满意"],
        [None, "2024年3月5日", "现场", "其他", "", None, "未评价"],
    ]
    result = do_import("complaints", brigade, rows)
    assert result.ok, result.errors
    assert set(Complaint.objects.values_list("received_date", flat=True)) == {datetime.date(2024, 3, 5)}
    assert Complaint.objects.filter(closed_date=datetime.date(2024, 3, 8)).count() == 2

    late = [COMPLAINT_HEADER, ["TS3", "2024/3/5", "电话", "其他", "", "2024/3/1", "满意"]]
    refused = do_import("complaints", brigade, late)
    assert [(e.column, e.message) for e in refused.errors] == [("办结日期", "办结日期不能早于受理日期")]
