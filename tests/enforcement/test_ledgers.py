"""The violations, campaigns and supervision ledgers through the shared machinery: form, list
filters, export/import and brigade scoping (docs/ledgers.md, enforcement/)."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brigade.ledger import registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from enforcement.models import Campaign, SupervisionCheck, Violation, ViolationType
from tests.conftest import login

KINDS = ["violations", "campaigns", "supervision"]
MODELS = {"violations": Violation, "campaigns": Campaign, "supervision": SupervisionCheck}

# The import/export contract of docs/ledgers.md: headers in order, and each choice column's values.
COLUMNS = {
    "violations": ["决定书编号", "违法时间", "违法行为", "执法方式", "处理结果", "罚款金额", "记分", "违法地点",
                   "号牌号码", "执勤民警", "专项行动"],
    "campaigns": ["行动名称", "开始日期", "结束日期", "行动类型", "联合部门", "出动警力人次", "批次"],
    "supervision": ["日期", "监督类型", "检查数量", "合格数量", "发现问题", "整改问题", "下发通报", "备注"],
}  # fmt: skip
CHOICES = {
    ("violations", "执法方式"): ["现场", "非现场"],
    ("violations", "处理结果"): ["罚款", "警告", "不予处罚", "从轻处罚", "减轻处罚", "行政拘留", "吊销驾驶证",
                                 "移送追究刑事责任"],
    ("campaigns", "行动类型"): ["集中整治", "统一行动", "专项整治", "百日行动", "联合执法"],
    ("supervision", "监督类型"): ["网上执法巡查", "现场执法检查", "执法质量考评", "案卷评查", "执法记录仪检查",
                                  "案件审核会商", "警情回访"],
}  # fmt: skip


def type_id(name):
    return ViolationType.objects.get(name=name).pk


def good(kind):
    """A valid form submission of `kind`."""
    if kind == "violations":
        return {
            "decision_no": "4311232500000001", "occurred_at": "2025-03-05T21:30",
            "violation_type": type_id("酒后驾驶"), "method": "现场", "outcome": "罚款", "fine": "1500",
            "points": "12", "location": "G207国道", "plate": "湘MA1234", "officer": "王伟", "campaign": "",
        }  # fmt: skip
    if kind == "campaigns":
        return {
            "name": "酒驾醉驾集中整治", "start_date": "2025-03-01", "end_date": "2025-03-15", "kind": "集中整治",
            "partners": "", "officers": "120", "batches": "3",
        }  # fmt: skip
    return {
        "date": "2025-03-05", "kind": "执法记录仪检查", "checked": "60", "passed": "52", "problems_found": "5",
        "problems_fixed": "4", "notices": "1", "note": "抽查执法记录仪视频",
    }  # fmt: skip


def make(kind, brigade, /, **changes):
    """A record saved through the ledger's own form, as a clerk would enter it."""
    form = registry.get(kind).form_class(data=good(kind) | changes, brigade=brigade)
    assert form.is_valid(), form.errors
    return form.save()


def export(kind, brigade) -> io.BytesIO:
    ledger = registry.get(kind)
    return io.BytesIO(ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade)))


def tomorrow():
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def in_two_hours():
    return (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("kind", KINDS)
def test_clerk_creates_a_record_through_the_form(as_clerk, brigade, kind):
    response = as_clerk.post(reverse("ledger:create", args=[kind]), good(kind))
    record = MODELS[kind].objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[kind, record.pk])
    assert record.brigade == brigade
    page = as_clerk.get(response["Location"]).content.decode()
    assert {
        "violations": "4311232500000001",
        "campaigns": "酒驾醉驾集中整治",
        "supervision": "抽查执法记录仪视频",
    }[kind] in page


BAD = [
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
]


@pytest.mark.parametrize("kind, field, value, message", BAD)
def test_a_bad_value_is_refused_with_the_fields_chinese_error(as_clerk, kind, field, value, message):
    if value == "future":
        value = in_two_hours() if field == "occurred_at" else tomorrow()
    response = as_clerk.post(reverse("ledger:create", args=[kind]), good(kind) | {field: value})
    assert response.status_code == 200, "a bad form is shown again, not saved"
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not MODELS[kind].objects.exists()


def test_blank_batches_means_one_campaign_batch(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["campaigns"]), good("campaigns") | {"batches": ""})
    assert Campaign.objects.get().batches == 1


def test_campaign_may_still_be_under_way(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["campaigns"]), good("campaigns") | {"end_date": ""})
    assert Campaign.objects.get().end_date is None


# kind → (choice field, a value, another value, field made distinct per record)
FILTERS = {
    "violations": ("method", "现场", "非现场", "decision_no"),
    "campaigns": ("kind", "集中整治", "联合执法", "name"),
    "supervision": ("kind", "案卷评查", "执法记录仪检查", "note"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_list_filters_by_year_and_by_a_choice(as_clerk, brigade, other_brigade, kind):
    field, value, other, distinct = FILTERS[kind]
    date_field = registry.get(kind).date_field
    last_year = good(kind)[date_field].replace("2025", "2024")
    wanted = make(kind, brigade, **{field: value, distinct: "甲1"})
    make(kind, brigade, **{field: other, distinct: "甲2"})
    make(kind, brigade, **{field: value, distinct: "甲3", date_field: last_year})
    make(kind, other_brigade, **{field: value, distinct: "乙1"})
    response = as_clerk.get(reverse("ledger:list", args=[kind]), {"year": 2025, field: value})
    assert [obj.pk for obj in response.context["object_list"]] == [wanted.pk]
    assert "共 1 条" in response.content.decode()


def test_violations_filter_by_violation_type(as_clerk, brigade):
    drunk = make("violations", brigade)
    make("violations", brigade, decision_no="4311232500000002", violation_type=type_id("违法停车"))
    url = reverse("ledger:list", args=["violations"])
    # by the type's name (the dashboard links this way) and by its group
    response = as_clerk.get(url, {"violation_type": "酒后驾驶"})
    assert [obj.pk for obj in response.context["object_list"]] == [drunk.pk]
    response = as_clerk.get(url, {"violation_type__group": "酒醉驾"})
    assert [obj.pk for obj in response.context["object_list"]] == [drunk.pk]


@pytest.mark.parametrize("kind", KINDS)
def test_export_has_the_briefs_columns_and_reimports_unchanged(brigade, other_brigade, kind):
    if kind == "violations":
        campaign = make("campaigns", brigade)
        make("violations", brigade, campaign=campaign.pk)
        make("violations", brigade, decision_no="4311232500000002", outcome="警告", fine="", points="", plate="",
             campaign="")  # fmt: skip
    else:
        make(kind, brigade)
        blank = {"campaigns": {"end_date": "", "name": "夜查"}, "supervision": {"passed": "", "note": ""}}
        make(kind, brigade, **blank[kind])
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
    assert as_outsider.post(reverse("ledger:update", args=[kind, record.pk]), good(kind)).status_code == 404
    assert MODELS[kind].objects.get().brigade == brigade


def test_violation_cannot_point_at_another_brigades_campaign(as_clerk, other_brigade):
    theirs = make("campaigns", other_brigade)
    response = as_clerk.post(
        reverse("ledger:create", args=["violations"]), good("violations") | {"campaign": theirs.pk}
    )
    assert "选择一个有效的选项" in response.context["form"].errors["campaign"][0]
    assert not Violation.objects.exists()


def test_decision_number_is_unique_within_the_brigade(as_clerk, brigade, other_brigade):
    make("violations", other_brigade)
    assert as_clerk.post(reverse("ledger:create", args=["violations"]), good("violations")).status_code == 302
    response = as_clerk.post(reverse("ledger:create", args=["violations"]), good("violations"))
    assert "本大队已有决定书编号相同的记录" in response.context["form"].errors["decision_no"][0]
    assert Violation.objects.filter(brigade=brigade).count() == 1


@pytest.mark.parametrize(
    "outcome, fine, message",
    [
        ("警告", "200", "处理结果为警告或不予处罚时，罚款金额应为空或0"),
        ("不予处罚", "0.5", "处理结果为警告或不予处罚时，罚款金额应为空或0"),
        ("罚款", "", "处理结果为罚款时，罚款金额必须填写且大于0"),
        ("罚款", "0", "处理结果为罚款时，罚款金额必须填写且大于0"),
    ],
)
def test_the_form_holds_fine_and_outcome_together(brigade, outcome, fine, message):
    form = registry.get("violations").form_class(data=good("violations") | {"outcome": outcome, "fine": fine},
                                                 brigade=brigade)  # fmt: skip
    assert not form.is_valid() and form.errors == {"fine": [message]}
    assert not Violation.objects.exists()


def test_times_show_in_beijing_time_on_the_record_page_and_in_its_history(brigade, clerk):
    from brigade.ledger import version_of

    client = login(clerk)
    data = {"decision_no": "BJ1", "occurred_at": "2025-11-20T10:00", "violation_type": ViolationType.objects.get(name="超速").pk,
            "method": "现场", "outcome": "罚款", "fine": "200", "points": "3", "location": "", "plate": "", "officer": "",
            "campaign": ""}  # fmt: skip
    assert client.post(reverse("ledger:create", args=["violations"]), data).status_code == 302
    record = Violation.objects.get(decision_no="BJ1")
    data |= {"occurred_at": "2025-11-20T11:30", "violation_type": ViolationType.objects.get(name="闯红灯").pk,
             "version": version_of(record)}  # fmt: skip
    assert client.post(reverse("ledger:update", args=["violations", record.pk]), data).status_code == 302
    page = client.get(reverse("ledger:detail", args=["violations", record.pk])).content.decode()
    assert "2025-11-20 11:30" in page and "+00:00" not in page and "03:30" not in page
    assert "违法时间：2025-11-20 10:00 → 2025-11-20 11:30" in page
    assert "违法行为：超速 → 闯红灯" in page
