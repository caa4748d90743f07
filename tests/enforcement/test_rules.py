"""The enforcement ledgers' own rules (docs/ledgers.md, enforcement/): what the suite over every
ledger (tests/brigade/test_ledgers.py) does not cover — a violation's type, fine and campaign."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from brigade.ledger import registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from enforcement.models import Campaign, Violation, ViolationType
from tests.conftest import login
from tests.records import good, make, refused


def type_id(name):
    return ViolationType.objects.get(name=name).pk


def test_a_violations_campaign_is_exported_by_name_and_reimports_unchanged(brigade):
    campaign = make("campaigns", brigade)
    make("violations", brigade, campaign=campaign.pk)
    ledger = registry.get("violations")
    content = io.BytesIO(ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade)))
    rows = list(load_workbook(content).worksheets[0].values)
    assert rows[1][rows[0].index("专项行动")] == campaign.name
    content.seek(0)
    result = ledger_import(ledger=ledger, brigade=brigade, source=content)
    assert result.ok and result.unchanged == 1
    assert Violation.objects.get().campaign == campaign


def test_blank_batches_means_one_campaign_batch(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["campaigns"]), good("campaigns") | {"batches": ""})
    assert Campaign.objects.get().batches == 1


def test_campaign_may_still_be_under_way(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["campaigns"]), good("campaigns") | {"end_date": ""})
    assert Campaign.objects.get().end_date is None


def test_violations_filter_by_violation_type(as_clerk, brigade):
    drunk = make("violations", brigade)
    make("violations", brigade, decision_no="4311232500000002", violation_type=type_id("违法停车"))
    url = reverse("ledger:list", args=["violations"])
    # by the type's name (the dashboard links this way) and by its group
    response = as_clerk.get(url, {"violation_type": "酒后驾驶"})
    assert [obj.pk for obj in response.context["object_list"]] == [drunk.pk]
    response = as_clerk.get(url, {"violation_type__group": "酒醉驾"})
    assert [obj.pk for obj in response.context["object_list"]] == [drunk.pk]


def test_violation_cannot_point_at_another_brigades_campaign(as_clerk, other_brigade):
    theirs = make("campaigns", other_brigade)
    response = as_clerk.post(
        reverse("ledger:create", args=["violations"]), good("violations") | {"campaign": theirs.pk}
    )
    assert "选择一个有效的选项" in response.context["form"].errors["campaign"][0]
    assert not Violation.objects.exists()


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
    form = registry.get("violations").form_class(
        data=good("violations") | {"outcome": outcome, "fine": fine}, brigade=brigade
    )
    assert not form.is_valid() and form.errors == {"fine": [message]}
    assert not Violation.objects.exists()


def test_times_show_in_beijing_time_on_the_record_page_and_in_its_history(brigade, clerk):
    from brigade.ledger import version_of

    client = login(clerk)
    data = {
        "decision_no": "BJ1",
        "occurred_at": "2025-11-20T10:00",
        "violation_type": ViolationType.objects.get(name="超速").pk,
        "method": "现场",
        "outcome": "罚款",
        "fine": "200",
        "points": "3",
        "location": "",
        "plate": "",
        "officer": "",
        "campaign": "",
    }
    assert client.post(reverse("ledger:create", args=["violations"]), data).status_code == 302
    record = Violation.objects.get(decision_no="BJ1")
    data |= {
        "occurred_at": "2025-11-20T11:30",
        "violation_type": ViolationType.objects.get(name="闯红灯").pk,
        "version": version_of(record),
    }
    assert client.post(reverse("ledger:update", args=["violations", record.pk]), data).status_code == 302
    page = client.get(reverse("ledger:detail", args=["violations", record.pk])).content.decode()
    assert "2025-11-20 11:30" in page and "+00:00" not in page and "03:30" not in page
    assert "违法时间：2025-11-20 10:00 → 2025-11-20 11:30" in page
    assert "违法行为：超速 → 闯红灯" in page


@pytest.mark.parametrize(
    "kind, changes, field, message",
    [
        ("violations", {"points": "13"}, "points", "确保该值小于或等于12。"),
        ("violations", {"fine": "-1"}, "fine", "确保该值大于或等于0。"),
        (
            "campaigns",
            {"start_date": "2025-03-01", "end_date": "2025-02-28"},
            "end_date",
            "结束日期不能早于开始日期",
        ),
        ("campaigns", {"batches": "0"}, "batches", "确保该值大于或等于1。"),
        ("campaigns", {"officers": "-3"}, "officers", "确保该值大于或等于0。"),
        (
            "supervision",
            {"problems_found": "5", "problems_fixed": "6"},
            "problems_fixed",
            "整改问题不能多于发现问题",
        ),
        ("supervision", {"checked": "60", "passed": "61"}, "passed", "合格数量不能多于检查数量"),
    ],
)
def test_the_enforcement_ledgers_own_rules(brigade, kind, changes, field, message):
    assert message in refused(kind, brigade, **changes)[field]
