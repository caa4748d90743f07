"""Importing the enforcement ledgers from Excel: date forms, the violation-type list, campaigns by
name within the brigade, keys that update rather than duplicate."""

import datetime

from django.urls import reverse
from django.utils import timezone

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from enforcement.models import Campaign, SupervisionCheck, Violation, ViolationType
from tests.conftest import login, make_xlsx

VIOLATION_HEADER = ["决定书编号", "违法时间", "违法行为", "执法方式", "处理结果", "罚款金额", "记分", "违法地点",
                    "号牌号码", "执勤民警", "专项行动"]  # fmt: skip
CAMPAIGN_HEADER = ["行动名称", "开始日期", "结束日期", "行动类型", "联合部门", "出动警力人次", "批次"]


def violation(no, when="2024-03-05 21:30", **cells):
    """A row of the violations ledger; `cells` change columns by their header, e.g. 记分=13."""
    row = [no, when, "酒后驾驶", "现场", "罚款", 1500, 12, "G207国道", "湘MA1234", "王伟", None]
    return list((dict(zip(VIOLATION_HEADER, row, strict=True)) | cells).values())


def do_import(kind, brigade, rows, **kwargs):
    return ledger_import(ledger=registry.get(kind), brigade=brigade, source=make_xlsx(rows), **kwargs)


def test_the_violation_type_list_is_the_briefs(db):
    groups = dict(ViolationType.objects.values_list("name", "group"))
    assert list(ViolationType.objects.values_list("name", flat=True)) == [
        "酒后驾驶",
        "醉酒驾驶",
        "超速",
        "货车超载",
        "客车超员",
        "疲劳驾驶",
        "电动自行车驾乘人员不戴安全头盔",
        "摩托车驾乘人员不戴安全头盔",
        "违法载人",
        "无证驾驶",
        "无牌无证或假套牌",
        "闯红灯",
        "违法停车",
        "不系安全带",
        "驾驶时接打电话",
        "其他",
    ]
    by_group = {}
    for name, group in groups.items():
        by_group.setdefault(group, set()).add(name)
    assert by_group["酒醉驾"] == {"酒后驾驶", "醉酒驾驶"}
    assert by_group["超载超员"] == {"货车超载", "客车超员"}
    assert by_group["不戴头盔"] == {"电动自行车驾乘人员不戴安全头盔", "摩托车驾乘人员不戴安全头盔"}
    assert by_group["涉牌涉证"] == {"无证驾驶", "无牌无证或假套牌"}


def test_excel_dates_and_text_dates_all_import(brigade):
    rows = [
        VIOLATION_HEADER,
        violation("1", datetime.datetime(2024, 3, 5, 21, 30)),  # an Excel date-time cell
        violation("2", datetime.date(2024, 3, 5)),  # an Excel date cell
        violation("3", "2024/3/5"),
        violation("4", "2024年3月5日"),
        violation("5", "2024-03-05 21:30"),
    ]
    result = do_import("violations", brigade, rows)
    assert result.ok, result.errors
    days = [timezone.localtime(v.occurred_at).date() for v in Violation.objects.all()]
    assert days == [datetime.date(2024, 3, 5)] * 5
    assert timezone.localtime(Violation.objects.get(decision_no="1").occurred_at).hour == 21


def test_violation_type_must_be_on_the_list(brigade):
    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("1", 违法行为="开斗气车")])
    assert [(e.row, e.column) for e in result.errors] == [(2, "违法行为")]
    assert "「开斗气车」不在违法行为类型名单中" in result.errors[0].message
    assert not Violation.objects.exists()


def test_admin_extends_the_violation_type_list_and_imports_accept_it(admin_user, brigade):
    response = login(admin_user).post(
        reverse("admin:enforcement_violationtype_add"), {"name": "开斗气车", "group": "", "ordering": 200}
    )
    assert response.status_code == 302
    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("1", 违法行为="开斗气车")])
    assert result.ok, result.errors
    assert Violation.objects.get().violation_type.name == "开斗气车"


def test_campaign_is_found_by_name_within_the_brigade_only(brigade, other_brigade):
    Campaign.objects.create(
        brigade=brigade, name="酒驾整治", start_date="2024-03-01", kind="集中整治", officers=50
    )
    Campaign.objects.create(
        brigade=other_brigade, name="头盔整治", start_date="2024-03-01", kind="专项整治", officers=50
    )
    ok = do_import("violations", brigade, [VIOLATION_HEADER, violation("1", 专项行动="酒驾整治")])
    assert ok.ok, ok.errors
    assert Violation.objects.get().campaign.name == "酒驾整治"
    refused = do_import("violations", brigade, [VIOLATION_HEADER, violation("2", 专项行动="头盔整治")])
    assert "「头盔整治」不在本大队的专项行动名单中" in refused.errors[0].message


def test_a_campaign_name_used_twice_is_refused_rather_than_guessed(brigade):
    for start in ("2024-03-01", "2024-09-01"):
        Campaign.objects.create(
            brigade=brigade, name="酒驾整治", start_date=start, kind="集中整治", officers=50
        )
    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("1", 专项行动="酒驾整治")])
    assert [e.column for e in result.errors] == ["专项行动"]
    assert "多条名为「酒驾整治」的专项行动" in result.errors[0].message
    assert not Violation.objects.exists()


def test_violations_imported_twice_are_not_duplicated_and_changes_update(brigade):
    rows = [VIOLATION_HEADER, violation("4311232400000001"), violation("4311232400000002")]
    assert do_import("violations", brigade, rows).created == 2
    again = do_import("violations", brigade, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = [VIOLATION_HEADER, violation("4311232400000001", 处理结果="警告", 罚款金额=None, 记分=0)]
    result = do_import("violations", brigade, changed)
    assert (result.created, result.updated) == (0, 1)
    assert Violation.objects.count() == 2
    assert Violation.objects.get(decision_no="4311232400000001").outcome == "警告"


def test_violation_cells_are_held_to_the_forms_rules(brigade):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    rows = [
        VIOLATION_HEADER,
        violation("1", 记分=13),
        violation("2", when=tomorrow),
        violation("3", 执法方式="路边"),
        violation("4", 罚款金额=-100),
        violation("5", 处理结果="警告", 罚款金额=200),
        violation("6", 处理结果="不予处罚", 罚款金额=50),
        violation("7", 处理结果="罚款", 罚款金额=None),
        violation("8", 处理结果="罚款", 罚款金额=0),
        violation("9", 处理结果="警告", 罚款金额=0),  # 0 is as good as empty
        violation("10", 处理结果="从轻处罚", 罚款金额=None),
    ]
    result = do_import("violations", brigade, rows, dry_run=True)
    found = {(e.row, e.column): e.message for e in result.errors}
    assert found == {
        (2, "记分"): "确保该值小于或等于12。",
        (3, "违法时间"): "不能晚于当前时间",
        (4, "执法方式"): "「路边」不是可选值，应为：现场、非现场",
        (5, "罚款金额"): "确保该值大于或等于0。",
        (6, "罚款金额"): "处理结果为警告或不予处罚时，罚款金额应为空或0",
        (7, "罚款金额"): "处理结果为警告或不予处罚时，罚款金额应为空或0",
        (8, "罚款金额"): "处理结果为罚款时，罚款金额必须填写且大于0",
        (9, "罚款金额"): "处理结果为罚款时，罚款金额必须填写且大于0",
    }


def test_campaign_key_is_name_and_start_date(brigade):
    first = ["酒驾整治", "2024/3/1", "2024/3/15", "集中整治", "", 120, None]
    assert do_import("campaigns", brigade, [CAMPAIGN_HEADER, first]).created == 1
    assert Campaign.objects.get().batches == 1, "a blank 批次 is one batch"
    more_officers = ["酒驾整治", "2024年3月1日", "2024/3/15", "集中整治", "", 150, 1]
    assert do_import("campaigns", brigade, [CAMPAIGN_HEADER, more_officers]).updated == 1
    next_round = ["酒驾整治", datetime.date(2024, 9, 1), None, "集中整治", "", 80, 2]
    assert do_import("campaigns", brigade, [CAMPAIGN_HEADER, next_round]).created == 1
    assert sorted(Campaign.objects.values_list("start_date", "officers")) == [
        (datetime.date(2024, 3, 1), 150),
        (datetime.date(2024, 9, 1), 80),
    ]


def test_campaign_ending_before_it_starts_is_refused(brigade):
    row = ["酒驾整治", "2024-03-15", "2024-03-01", "集中整治", "", 120, 1]
    result = do_import("campaigns", brigade, [CAMPAIGN_HEADER, row])
    assert [(e.column, e.message) for e in result.errors] == [("结束日期", "结束日期不能早于开始日期")]


def test_supervision_rows_are_checked_across_columns(brigade):
    header = ["日期", "监督类型", "检查数量", "合格数量", "发现问题", "整改问题", "下发通报", "备注"]
    rows = [
        header,
        ["2024-03-05", "执法记录仪检查", 60, 52, 5, 5, 1, ""],
        ["2024-03-06", "执法记录仪检查", 60, 61, 5, 5, 0, ""],
        ["2024-03-07", "案卷评查", 20, None, 3, 4, 0, ""],
    ]
    result = do_import("supervision", brigade, rows)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "合格数量", "合格数量不能多于检查数量"),
        (4, "整改问题", "整改问题不能多于发现问题"),
    ]
    assert not SupervisionCheck.objects.exists()
    del rows[2:]
    assert do_import("supervision", brigade, rows).created == 1
    assert do_import("supervision", brigade, rows).unchanged == 1, (
        "a keyless row imported again is not duplicated"
    )
    assert SupervisionCheck.objects.count() == 1


def test_a_long_file_name_is_kept_whole_in_the_history(brigade):
    """A file name of 200 characters (platform exports have long ones) is the import's reason."""
    reason = (
        "Excel导入："
        + "双牌县公安局交通警察大队2025年度道路交通安全违法行为处理台账（全国平台导出）" * 5
        + ".xlsx"
    )
    result = do_import("violations", brigade, [VIOLATION_HEADER, violation("1")], reason=reason)
    assert result.created == 1 and not result.errors
    assert Violation.history.get().history_change_reason == reason
