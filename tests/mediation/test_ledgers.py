"""The accidents, calls and complaints ledgers through the shared machinery: form, list filters,
export/import and brigade scoping (docs/ledgers.md, mediation/)."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brigade.ledger import registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from mediation.models import AccidentCase, Complaint, PoliceCall

KINDS = ["accidents", "calls", "complaints"]
MODELS = {"accidents": AccidentCase, "calls": PoliceCall, "complaints": Complaint}

# The import/export contract of docs/ledgers.md: headers in order, and each choice column's values.
COLUMNS = {
    "accidents": ["事故编号", "事故时间", "事故等级", "处理程序", "调解方式", "调解结果", "赔偿金额", "结案日期", "事故地点"],
    "calls": ["警情编号", "接警时间", "警情类别", "处置结果", "回访结果"],
    "complaints": ["编号", "受理日期", "来源渠道", "类别", "内容摘要", "办结日期", "群众满意度"],
}  # fmt: skip
CHOICES = {
    ("accidents", "事故等级"): ["轻微事故", "一般事故", "重大事故", "特大事故"],
    ("accidents", "处理程序"): ["快处快赔", "简易程序", "一般程序"],
    ("accidents", "调解方式"): ["现场调解", "大队调解", "人民调解委员会", "诉调对接", "保险直赔", "未调解"],
    ("accidents", "调解结果"): ["调解成功", "调解未成功", "未申请调解", "转诉讼"],
    ("calls", "警情类别"): ["交通事故", "交通拥堵", "违法举报", "群众求助", "其他"],
    ("calls", "回访结果"): ["满意", "基本满意", "不满意", "未回访"],
    ("complaints", "来源渠道"): ["12345热线", "信访", "网络平台", "电话", "来信", "现场", "上级转办"],
    ("complaints", "类别"): ["执法投诉", "交通秩序", "事故处理", "服务态度", "其他"],
    ("complaints", "群众满意度"): ["满意", "基本满意", "不满意", "未评价"],
}  # fmt: skip
GOOD = {
    "accidents": {
        "case_no": "43112320250001", "occurred_at": "2025-03-05T08:15", "severity": "轻微事故",
        "procedure": "快处快赔", "mediation_method": "保险直赔", "mediation_result": "调解成功",
        "compensation": "3200.50", "closed_date": "2025-03-06", "location": "G207国道K1826+300",
    },
    "calls": {
        "call_no": "J4311232025000001", "received_at": "2025-03-05T08:10", "category": "交通事故",
        "outcome": "已出警，指导当事人快处快赔", "follow_up": "满意",
    },
    "complaints": {
        "number": "TS20250001", "received_date": "2025-03-05", "channel": "12345热线", "category": "执法投诉",
        "summary": "对违停处罚有异议", "closed_date": "2025-03-12", "satisfaction": "基本满意",
    },
}  # fmt: skip


def make(kind, brigade, /, **changes):
    """A record saved through the ledger's own form, as a clerk would enter it."""
    form = registry.get(kind).form_class(data=GOOD[kind] | changes, brigade=brigade)
    assert form.is_valid(), form.errors
    return form.save()


def export(kind, brigade) -> io.BytesIO:
    ledger = registry.get(kind)
    return io.BytesIO(ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade)))


@pytest.mark.parametrize("kind", KINDS)
def test_clerk_creates_a_record_through_the_form(as_clerk, brigade, kind):
    response = as_clerk.post(reverse("ledger:create", args=[kind]), GOOD[kind])
    record = MODELS[kind].objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[kind, record.pk])
    assert record.brigade == brigade
    page = as_clerk.get(response["Location"]).content.decode()
    assert {"accidents": "G207国道K1826+300", "calls": "J4311232025000001", "complaints": "对违停处罚有异议"}[
        kind
    ] in page


BAD = [
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
]


@pytest.mark.parametrize("kind, field, value, message", BAD)
def test_a_bad_value_is_refused_with_the_fields_chinese_error(as_clerk, kind, field, value, message):
    if value == "future" and field.endswith("_at"):
        value = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    elif value == "future":
        value = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = as_clerk.post(reverse("ledger:create", args=[kind]), GOOD[kind] | {field: value})
    assert response.status_code == 200, "a bad form is shown again, not saved"
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not MODELS[kind].objects.exists()


def test_an_accident_closed_on_its_own_day_is_fine_even_just_after_midnight(brigade):
    # 00:30 Beijing time is the previous day in UTC: the rule compares local dates.
    case = make("accidents", brigade, occurred_at="2025-03-05T00:30", closed_date="2025-03-05")
    assert case.closed_date == datetime.date(2025, 3, 5)


@pytest.mark.parametrize("kind, field", [("calls", "call_no"), ("complaints", "number")])
def test_an_optional_key_is_unique_when_given_and_may_be_left_blank(as_clerk, brigade, kind, field):
    url = reverse("ledger:create", args=[kind])
    assert as_clerk.post(url, GOOD[kind]).status_code == 302
    clash = as_clerk.post(url, GOOD[kind])
    assert "本大队已有" in clash.context["form"].errors[field][0]
    assert as_clerk.post(url, GOOD[kind] | {field: ""}).status_code == 302
    assert as_clerk.post(url, GOOD[kind] | {field: ""}).status_code == 302
    assert MODELS[kind].objects.filter(brigade=brigade).count() == 3


# kind → (choice field, a value, another value, field made distinct per record)
FILTERS = {
    "accidents": ("severity", "一般事故", "轻微事故", "case_no"),
    "calls": ("follow_up", "不满意", "满意", "call_no"),
    "complaints": ("channel", "信访", "12345热线", "number"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_list_filters_by_year_and_by_a_choice(as_clerk, brigade, other_brigade, kind):
    field, value, other, distinct = FILTERS[kind]
    date_field = registry.get(kind).date_field
    last_year = {date_field: GOOD[kind][date_field].replace("2025", "2024")}
    if kind != "calls":
        last_year["closed_date"] = "2024-12-31"
    wanted = make(kind, brigade, **{field: value, distinct: "甲1"})
    make(kind, brigade, **{field: other, distinct: "甲2"})
    make(kind, brigade, **{field: value, distinct: "甲3"}, **last_year)
    make(kind, other_brigade, **{field: value, distinct: "乙1"})
    response = as_clerk.get(reverse("ledger:list", args=[kind]), {"year": 2025, field: value})
    assert [obj.pk for obj in response.context["object_list"]] == [wanted.pk]
    assert "共 1 条" in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_export_has_the_briefs_columns_and_reimports_unchanged(brigade, other_brigade, kind):
    distinct = FILTERS[kind][3]
    make(kind, brigade)
    blanks = {
        "accidents": {"compensation": "", "closed_date": "", "location": ""},
        "calls": {"outcome": ""},
        "complaints": {"summary": "", "closed_date": "", "satisfaction": "未评价"},
    }
    make(kind, brigade, **{distinct: "2"}, **blanks[kind])
    make(kind, other_brigade)  # not in this brigade's export, and untouched by its import
    before = MODELS[kind].objects.count()

    content = export(kind, brigade)
    sheet = load_workbook(content).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == COLUMNS[kind]
    for (k, column), values in CHOICES.items():
        if k == kind:
            assert registry.get(kind).columns[header.index(column)].choices == values

    result = ledger_import(ledger=registry.get(kind), brigade=brigade, source=content)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert MODELS[kind].objects.count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_another_brigades_record_is_not_found(as_outsider, brigade, kind):
    record = make(kind, brigade)
    assert as_outsider.get(reverse("ledger:detail", args=[kind, record.pk])).status_code == 404
    assert as_outsider.post(reverse("ledger:update", args=[kind, record.pk]), GOOD[kind]).status_code == 404
    assert MODELS[kind].objects.get().brigade == brigade
