"""The events and media ledgers through the shared machinery: form, list filters, export/import
and brigade scoping (docs/ledgers.md, publicity/)."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brigade.ledger import registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from publicity.models import MediaWork, PublicityEvent

KINDS = ["events", "media"]
MODELS = {"events": PublicityEvent, "media": MediaWork}

# The import/export contract of docs/ledgers.md: headers in order, and each choice column's values.
COLUMNS = {
    "events": ["活动日期", "活动名称", "活动形式", "对象群体", "地点", "受教育人数", "发放资料份数"],
    "media": ["发布日期", "标题", "作品类型", "发布平台", "数量", "播放阅读量"],
}
CHOICES = {
    ("events", "活动形式"): ["进企业", "进校园", "进农村", "进社区", "进驾校", "进家庭", "进机关", "主题宣讲", "集中宣传",
                             "警示教育", "媒体曝光"],
    ("events", "对象群体"): ["职业驾驶人", "中小学生", "老年人", "进城务工人员", "电动自行车驾驶人", "一般群众"],
    ("media", "作品类型"): ["短视频", "微电影", "警示教育片", "新闻稿件", "安全提示信息", "图文"],
    ("media", "发布平台"): ["微信公众号", "抖音", "微博", "快手", "视频号", "电视台", "广播电台", "报纸", "短信"],
}  # fmt: skip
GOOD = {
    "events": {
        "date": "2025-03-05", "name": "“一盔一带”集中宣传", "kind": "集中宣传", "audience": "电动自行车驾驶人",
        "place": "县文化广场", "attendees": "300", "materials": "500",
    },
    "media": {
        "date": "2025-03-05", "title": "夜查酒驾现场", "kind": "短视频", "platform": "抖音", "quantity": "1",
        "views": "12000",
    },
}  # fmt: skip


def make(kind, brigade, /, **changes):
    """A record saved through the ledger's own form, as a clerk would enter it."""
    form = registry.get(kind).form_class(data=GOOD[kind] | changes, brigade=brigade)
    assert form.is_valid(), form.errors
    return form.save()


@pytest.mark.parametrize("kind", KINDS)
def test_clerk_creates_a_record_through_the_form(as_clerk, brigade, kind):
    response = as_clerk.post(reverse("ledger:create", args=[kind]), GOOD[kind])
    record = MODELS[kind].objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[kind, record.pk])
    assert record.brigade == brigade
    page = as_clerk.get(response["Location"]).content.decode()
    assert {"events": "县文化广场", "media": "夜查酒驾现场"}[kind] in page


BAD = [
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


@pytest.mark.parametrize("kind, field, value, message", BAD)
def test_a_bad_value_is_refused_with_the_fields_chinese_error(as_clerk, kind, field, value, message):
    if value == "future":
        value = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = as_clerk.post(reverse("ledger:create", args=[kind]), GOOD[kind] | {field: value})
    assert response.status_code == 200, "a bad form is shown again, not saved"
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not MODELS[kind].objects.exists()


def test_blank_quantity_counts_one_work(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["media"]), GOOD["media"] | {"quantity": ""})
    assert MediaWork.objects.get().quantity == 1


# kind → (choice field, a value, another value, field made distinct per record)
FILTERS = {"events": ("kind", "进校园", "进农村", "name"), "media": ("platform", "短信", "抖音", "title")}


@pytest.mark.parametrize("kind", KINDS)
def test_list_filters_by_year_and_by_a_choice(as_clerk, brigade, other_brigade, kind):
    field, value, other, distinct = FILTERS[kind]
    wanted = make(kind, brigade, **{field: value, distinct: "甲1"})
    make(kind, brigade, **{field: other, distinct: "甲2"})
    make(kind, brigade, **{field: value, distinct: "甲3", "date": "2024-12-31"})
    make(kind, other_brigade, **{field: value, distinct: "乙1"})
    response = as_clerk.get(reverse("ledger:list", args=[kind]), {"year": 2025, field: value})
    assert [obj.pk for obj in response.context["object_list"]] == [wanted.pk]
    assert "共 1 条" in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_export_has_the_briefs_columns_and_reimports_unchanged(brigade, other_brigade, kind):
    make(kind, brigade)
    blanks = {"events": {"place": "", "materials": ""}, "media": {"views": "", "quantity": "1600"}}
    make(kind, brigade, **blanks[kind])
    make(kind, other_brigade)  # not in this brigade's export, and untouched by its import
    before = MODELS[kind].objects.count()

    ledger = registry.get(kind)
    content = io.BytesIO(ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade)))
    sheet = load_workbook(content).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == COLUMNS[kind]
    for (k, column), values in CHOICES.items():
        if k == kind:
            assert ledger.columns[header.index(column)].choices == values

    result = ledger_import(ledger=ledger, brigade=brigade, source=content)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert MODELS[kind].objects.count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_another_brigades_record_is_not_found(as_outsider, brigade, kind):
    record = make(kind, brigade)
    assert as_outsider.get(reverse("ledger:detail", args=[kind, record.pk])).status_code == 404
    assert as_outsider.post(reverse("ledger:update", args=[kind, record.pk]), GOOD[kind]).status_code == 404
    assert MODELS[kind].objects.get().brigade == brigade
