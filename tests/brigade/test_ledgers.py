"""Every ledger of the registry through the shared machinery (docs/ledgers.md): the form, its
Chinese errors, the list's filters, the export that re-imports unchanged, and brigade scoping —
each on real records of two brigades. The apps' own rules are in tests/<app>/test_rules.py."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from brigade.ledger import registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import open_rows
from tests.conftest import login
from tests.records import DISTINCT, GOOD, good, in_two_hours, make, tomorrow

KINDS = [ledger.kind for ledger in registry.all()]

# The import/export contract of docs/ledgers.md: headers in order, and each choice column's values.
COLUMNS = {
    "training": ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"],
    "meetings": ["日期", "会议名称", "会议类型", "主持人", "研究事项"],
    "regulations": ["制度名称", "发布日期", "类别", "状态"],
    "officers": ["警号", "姓名", "人员类别", "出生日期", "所在单位", "执法资格等级", "是否法制员", "在职状态"],
    "violations": ["决定书编号", "违法时间", "违法行为", "执法方式", "处理结果", "罚款金额", "记分", "违法地点",
                   "号牌号码", "执勤民警", "专项行动"],
    "campaigns": ["行动名称", "开始日期", "结束日期", "行动类型", "联合部门", "出动警力人次", "批次"],
    "supervision": ["日期", "监督类型", "检查数量", "合格数量", "发现问题", "整改问题", "下发通报", "备注"],
    "accidents": ["事故编号", "事故时间", "事故等级", "处理程序", "调解方式", "调解结果", "赔偿金额", "结案日期", "事故地点"],
    "calls": ["警情编号", "接警时间", "警情类别", "处置结果", "回访结果"],
    "complaints": ["编号", "受理日期", "来源渠道", "类别", "内容摘要", "办结日期", "群众满意度"],
    "events": ["活动日期", "活动名称", "活动形式", "对象群体", "地点", "受教育人数", "发放资料份数"],
    "media": ["发布日期", "标题", "作品类型", "发布平台", "数量", "播放阅读量"],
}  # fmt: skip
CHOICES = {
    ("training", "类型"): ["领导班子集中学法", "全警培训", "专题学法", "岗位练兵", "执法资格考试", "法治讲座"],
    ("training", "形式"): ["线下", "线上", "线上线下结合"],
    ("meetings", "会议类型"): ["党委会", "法治建设专题会议", "执法监督委员会会议", "务虚会", "案件会商会"],
    ("regulations", "类别"): ["执法规范", "监督管理", "队伍管理", "其他"],
    ("regulations", "状态"): ["新建", "修订", "废止"],
    ("officers", "人员类别"): ["民警", "辅警", "工勤人员"],
    ("officers", "执法资格等级"): ["基本级", "中级", "高级", "无"],
    ("officers", "是否法制员"): ["是", "否"],
    ("officers", "在职状态"): ["在职", "借调", "退休", "离职"],
    ("violations", "执法方式"): ["现场", "非现场"],
    ("violations", "处理结果"): ["罚款", "警告", "不予处罚", "从轻处罚", "减轻处罚", "行政拘留", "吊销驾驶证",
                                 "移送追究刑事责任"],
    ("campaigns", "行动类型"): ["集中整治", "统一行动", "专项整治", "百日行动", "联合执法"],
    ("supervision", "监督类型"): ["网上执法巡查", "现场执法检查", "执法质量考评", "案卷评查", "执法记录仪检查",
                                  "案件审核会商", "警情回访"],
    ("accidents", "事故等级"): ["轻微事故", "一般事故", "重大事故", "特大事故"],
    ("accidents", "处理程序"): ["快处快赔", "简易程序", "一般程序"],
    ("accidents", "调解方式"): ["现场调解", "大队调解", "人民调解委员会", "诉调对接", "保险直赔", "未调解"],
    ("accidents", "调解结果"): ["调解成功", "调解未成功", "未申请调解", "转诉讼"],
    ("calls", "警情类别"): ["交通事故", "交通拥堵", "违法举报", "群众求助", "其他"],
    ("calls", "回访结果"): ["满意", "基本满意", "不满意", "未回访"],
    ("complaints", "来源渠道"): ["12345热线", "信访", "网络平台", "电话", "来信", "现场", "上级转办"],
    ("complaints", "类别"): ["执法投诉", "交通秩序", "事故处理", "服务态度", "其他"],
    ("complaints", "群众满意度"): ["满意", "基本满意", "不满意", "未评价"],
    ("events", "活动形式"): ["进企业", "进校园", "进农村", "进社区", "进驾校", "进家庭", "进机关", "主题宣讲", "集中宣传",
                             "警示教育", "媒体曝光"],
    ("events", "对象群体"): ["职业驾驶人", "中小学生", "老年人", "进城务工人员", "电动自行车驾驶人", "一般群众"],
    ("media", "作品类型"): ["短视频", "微电影", "警示教育片", "新闻稿件", "安全提示信息", "图文"],
    ("media", "发布平台"): ["微信公众号", "抖音", "微博", "快手", "视频号", "电视台", "广播电台", "报纸", "短信"],
}  # fmt: skip
# kind → (a choice field, a value, another value)
FILTERS = {
    "training": ("kind", "专题学法", "全警培训"),
    "meetings": ("kind", "党委会", "案件会商会"),
    "regulations": ("status", "新建", "修订"),
    "officers": ("category", "民警", "辅警"),
    "violations": ("method", "现场", "非现场"),
    "campaigns": ("kind", "集中整治", "联合执法"),
    "supervision": ("kind", "案卷评查", "执法记录仪检查"),
    "accidents": ("severity", "一般事故", "轻微事故"),
    "calls": ("follow_up", "不满意", "满意"),
    "complaints": ("channel", "信访", "12345热线"),
    "events": ("kind", "进校园", "进农村"),
    "media": ("platform", "短信", "抖音"),
}
# kind → the optional columns left blank (a second record, for the export round trip)
BLANKS = {
    "training": {"hours": "", "content": ""},
    "meetings": {"chair": "", "topics": ""},
    "regulations": {"status": "修订"},
    "officers": {"birth_date": "", "unit": "", "qualification": "无"},
    "violations": {"outcome": "警告", "fine": "", "points": "", "plate": ""},
    "campaigns": {"end_date": ""},
    "supervision": {"passed": "", "note": ""},
    "accidents": {"compensation": "", "closed_date": "", "location": ""},
    "calls": {"outcome": ""},
    "complaints": {"summary": "", "closed_date": "", "satisfaction": "未评价"},
    "events": {"place": "", "materials": ""},
    "media": {"views": "", "quantity": "1600"},
}
BAD = [
    ("training", "date", "future", "不能晚于今天"),
    ("training", "hours", "0", "必须大于0"),
    ("training", "kind", "喝茶", "选择一个有效的选项"),
    ("training", "name", "", "这个字段是必填项。"),
    ("training", "attendees", "0", "确保该值大于或等于1。"),
    ("meetings", "name", "", "这个字段是必填项。"),
    ("regulations", "status", "作废", "选择一个有效的选项"),
    ("officers", "badge_no", "", "这个字段是必填项。"),
    ("officers", "birth_date", "future", "不能晚于今天"),
    ("violations", "points", "13", "确保该值小于或等于12。"),
    ("violations", "fine", "-1", "确保该值大于或等于0。"),
    ("violations", "occurred_at", "future", "不能晚于当前时间"),
    ("violations", "method", "路边", "选择一个有效的选项"),
    ("violations", "violation_type", "", "这个字段是必填项。"),
    ("violations", "decision_no", "", "这个字段是必填项。"),
    ("campaigns", "end_date", "2025-02-28", "结束日期不能早于开始日期"),
    ("campaigns", "batches", "0", "确保该值大于或等于1。"),
    ("campaigns", "start_date", "future", "不能晚于今天"),
    ("campaigns", "officers", "-3", "确保该值大于或等于0。"),
    ("campaigns", "kind", "大排查", "选择一个有效的选项"),
    ("supervision", "problems_fixed", "6", "整改问题不能多于发现问题"),
    ("supervision", "passed", "61", "合格数量不能多于检查数量"),
    ("supervision", "date", "future", "不能晚于今天"),
    ("supervision", "kind", "随机抽查", "选择一个有效的选项"),
    ("supervision", "notices", "", "这个字段是必填项。"),
    ("accidents", "closed_date", "2025-03-04", "结案日期不能早于事故时间"),
    ("accidents", "occurred_at", "future", "不能晚于当前时间"),
    ("accidents", "closed_date", "future", "不能晚于今天"),
    ("accidents", "compensation", "-1", "确保该值大于或等于0。"),
    ("accidents", "severity", "一级事故", "选择一个有效的选项"),
    ("accidents", "case_no", "", "这个字段是必填项。"),
    ("calls", "received_at", "future", "不能晚于当前时间"),
    ("calls", "category", "噪音扰民", "选择一个有效的选项"),
    ("calls", "follow_up", "", "这个字段是必填项。"),
    ("complaints", "closed_date", "2025-03-04", "办结日期不能早于受理日期"),
    ("complaints", "received_date", "future", "不能晚于今天"),
    ("complaints", "channel", "微信", "选择一个有效的选项"),
    ("complaints", "satisfaction", "非常满意", "选择一个有效的选项"),
    ("events", "date", "future", "不能晚于今天"),
    ("events", "name", "", "这个字段是必填项。"),
    ("events", "kind", "进工地", "选择一个有效的选项"),
    ("events", "audience", "外卖骑手", "选择一个有效的选项"),
    ("events", "attendees", "-5", "确保该值大于或等于0。"),
    ("events", "materials", "-1", "确保该值大于或等于0。"),
    ("media", "date", "future", "不能晚于今天"),
    ("media", "quantity", "0", "确保该值大于或等于1。"),
    ("media", "platform", "小红书", "选择一个有效的选项"),
    ("media", "views", "-1", "确保该值大于或等于0。"),
]


def records_of(kind):
    return registry.get(kind).model._default_manager


def exported(kind, brigade) -> io.BytesIO:
    ledger = registry.get(kind)
    return io.BytesIO(ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade)))


def a_year_earlier(kind) -> dict:
    """The record's dates a year earlier (every date column, so that cross-column rules hold)."""
    return {k: v.replace("2025-", "2024-", 1) for k, v in GOOD[kind].items() if v.startswith("2025-")}


def test_every_ledger_has_a_sample_record_and_its_contract():
    for table in (GOOD, DISTINCT, COLUMNS, FILTERS, BLANKS):
        assert set(table) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_clerk_creates_a_record_through_the_form(as_clerk, brigade, kind):
    response = as_clerk.post(reverse("ledger:create", args=[kind]), good(kind))
    record = records_of(kind).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[kind, record.pk])
    assert record.brigade == brigade
    page = as_clerk.get(response["Location"]).content.decode()
    assert GOOD[kind][DISTINCT[kind]] in page and "创建" in page  # the history shows the creation


@pytest.mark.parametrize("kind, field, value, message", BAD)
def test_a_bad_value_is_refused_with_the_fields_chinese_error(as_clerk, kind, field, value, message):
    if value == "future":
        value = in_two_hours() if field.endswith("_at") else tomorrow()
    response = as_clerk.post(reverse("ledger:create", args=[kind]), good(kind) | {field: value})
    assert response.status_code == 200, "a bad form is shown again, not saved"
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not records_of(kind).exists()


KEY_HEADERS = {
    "regulations": "制度名称", "officers": "警号", "violations": "决定书编号", "campaigns": "行动名称+开始日期",
    "accidents": "事故编号", "calls": "警情编号", "complaints": "编号",
}  # fmt: skip


def test_the_ledgers_with_a_key_are_those_of_the_brief():
    assert sorted(KEY_HEADERS) == sorted(k for k in KINDS if registry.get(k).key)


@pytest.mark.parametrize("kind", sorted(KEY_HEADERS))
def test_a_key_is_unique_within_the_brigade_only(as_clerk, brigade, other_brigade, kind):
    make(kind, other_brigade)  # the same key in another brigade is no clash
    url = reverse("ledger:create", args=[kind])
    assert as_clerk.post(url, good(kind)).status_code == 302
    response = as_clerk.post(url, good(kind))
    assert response.status_code == 200
    errors = [e for messages in response.context["form"].errors.values() for e in messages]
    assert f"本大队已有{KEY_HEADERS[kind]}相同的记录" in "".join(errors), errors
    assert records_of(kind).filter(brigade=brigade).count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_list_filters_by_year_and_by_a_choice(as_clerk, brigade, other_brigade, kind):
    field, value, other = FILTERS[kind]
    distinct = DISTINCT[kind]
    dated = registry.get(kind).date_field is not None
    wanted = make(kind, brigade, **{field: value, distinct: "甲1"})
    make(kind, brigade, **{field: other, distinct: "甲2"})
    if dated:
        make(kind, brigade, **{field: value, distinct: "甲3"}, **a_year_earlier(kind))
    make(kind, other_brigade, **{field: value, distinct: "乙1"})
    query = {field: value} | ({"year": 2025} if dated else {})
    response = as_clerk.get(reverse("ledger:list", args=[kind]), query)
    assert [obj.pk for obj in response.context["object_list"]] == [wanted.pk]
    assert "共 1 条" in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_export_has_the_briefs_columns_and_reimports_unchanged(brigade, other_brigade, kind):
    make(kind, brigade)
    make(kind, brigade, **{DISTINCT[kind]: "2"} | BLANKS[kind])
    make(kind, other_brigade)  # not in this brigade's export, and untouched by its import
    before = records_of(kind).count()

    content = exported(kind, brigade)
    sheet = load_workbook(content).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == COLUMNS[kind]
    assert sheet.max_row == 3  # the header and this brigade's two records
    for (k, column), values in CHOICES.items():
        if k == kind:
            assert registry.get(kind).columns[header.index(column)].choices == values

    result = ledger_import(ledger=registry.get(kind), brigade=brigade, source=content)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert records_of(kind).count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_another_brigades_record_is_not_found_on_any_of_its_urls(as_outsider, brigade, other_brigade, kind):
    ours = make(kind, brigade, **{DISTINCT[kind]: "甲县记录"})
    theirs = make(kind, other_brigade, **{DISTINCT[kind]: "乙县记录"})
    for name in ("detail", "update", "delete", "history"):
        assert as_outsider.get(reverse(f"ledger:{name}", args=[kind, theirs.pk])).status_code == 200
        assert as_outsider.get(reverse(f"ledger:{name}", args=[kind, ours.pk])).status_code == 404
    update = as_outsider.post(reverse("ledger:update", args=[kind, ours.pk]), good(kind))
    delete = as_outsider.post(reverse("ledger:delete", args=[kind, ours.pk]))
    assert update.status_code == delete.status_code == 404
    ours.refresh_from_db()
    assert ours.brigade == brigade and getattr(ours, DISTINCT[kind]) == "甲县记录"


@pytest.mark.parametrize("kind", KINDS)
def test_every_ledger_list_and_export_shows_only_the_users_brigade(
    as_clerk, as_outsider, brigade, other_brigade, kind
):
    ours = make(kind, brigade, **{DISTINCT[kind]: "甲县记录"})
    theirs = make(kind, other_brigade, **{DISTINCT[kind]: "乙县记录"})
    for client, shown, hidden in [(as_clerk, ours, "乙县记录"), (as_outsider, theirs, "甲县记录")]:
        listed = client.get(reverse("ledger:list", args=[kind]))
        assert [obj.pk for obj in listed.context["object_list"]] == [shown.pk]
        export = client.get(reverse("ledger:export", args=[kind]))
        cells = [c for row in open_rows(io.BytesIO(b"".join(export.streaming_content))) for c in row]
        assert getattr(shown, DISTINCT[kind]) in cells and hidden not in cells


@pytest.mark.parametrize("kind", KINDS)
def test_a_leader_changes_no_record(brigade, leader, kind):
    record = make(kind, brigade, **{DISTINCT[kind]: "甲县记录"})
    client = login(leader)
    update = client.post(reverse("ledger:update", args=[kind, record.pk]), good(kind))
    delete = client.post(reverse("ledger:delete", args=[kind, record.pk]))
    assert update.status_code == delete.status_code == 403
    record.refresh_from_db()
    assert getattr(record, DISTINCT[kind]) == "甲县记录"
