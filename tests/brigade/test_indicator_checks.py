"""`manage.py check` refuses a mistyped indicator declaration (brigade/indicator_checks.py): each
error names the indicator's key and the attribute, with its own id."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import Q

from brigade import figures
from brigade.figures import Indicator, Rate, count, total
from brigade.indicator_checks import check_indicator, check_reference_values
from brigade.models import Officer, Training, Unit
from enforcement.models import Violation


def _declared(*extra):
    return {i.key: i for i in [*figures.registry.all(), *extra]}


BAD = [
    # (declaration, error id, attribute, words the message must hold)
    (count("bad.unit_model", "中队数", Unit), "brigade.E110", "model", "Unit 不是已声明的台账模型"),
    (count("bad.officers", "在职民警", Officer, Q(status="在职")), "brigade.E114", "model", "台账 'officers' 没有日期字段"),
    (total("bad.sum_text", "参训", Training, "name"), "brigade.E111", "aggregate", "'name' 应为 \"count\" 或模型 Training 的数值字段"),
    (total("bad.sum_missing", "参训", Training, "attendes"), "brigade.E111", "aggregate", "'attendes'"),
    (count("bad.field", "违法", Violation, Q(methd="现场")), "brigade.E112", "where", "模型 Violation 没有字段 'methd'"),
    (count("bad.fk_field", "酒驾", Violation, Q(violation_type__grop="酒醉驾")), "brigade.E112", "where",
     "字段 'violation_type' 没有查询方式 'grop'"),
    (count("bad.lookup", "罚款", Violation, Q(fine__bigger=0)), "brigade.E112", "where", "字段 'fine' 没有查询方式 'bigger'"),
    (count("bad.choice", "现场", Violation, Q(method="路面")), "brigade.E113", "where",
     "'method' 的值 '路面' 不是“执法方式”的可选值（可选：现场、非现场）"),
    (count("bad.fk_choice", "酒驾", Violation, Q(violation_type__group="酒驾")), "brigade.E113", "where",
     "'violation_type__group' 的值 '酒驾' 不是“统计分组”的可选值"),
    (count("bad.in_choice", "柔性", Violation, ~Q(outcome__in=["警告", "不罚"])), "brigade.E113", "where",
     "'outcome__in' 的值 '不罚' 不是“处理结果”的可选值"),
    (Indicator("bad.no_unit", "违法", "", Violation), "brigade.E115", "unit", "不能为空"),
    (Indicator("bad.no_label", " ", "起", Violation), "brigade.E115", "label", "不能为空"),
    (count("BadKey", "违法", Violation), "brigade.E117", "key", "应为“领域.名称”形式"),
    (Rate("bad.rate", "满意率", "calls.satisfied", "calls.visted"), "brigade.E116", "denominator",
     "'calls.visted' 不是已声明的计数或合计指标"),
]  # fmt: skip


@pytest.mark.parametrize("item, code, attribute, words", BAD, ids=[b[0].key for b in BAD])
def test_a_mistyped_indicator_is_an_error_naming_its_key_and_attribute(item, code, attribute, words):
    errors = check_indicator(item, _declared(item))
    assert [e.id for e in errors] == [code]
    assert errors[0].msg.startswith(f"指标 {item.key!r}（{item.label}）的 {attribute}：")
    assert words in errors[0].msg


def test_every_declared_indicator_passes_its_checks():
    declared = _declared()
    assert len(declared) > 50
    assert [e for item in declared.values() for e in check_indicator(item, declared)] == []


def test_manage_py_check_fails_on_a_bad_indicator(monkeypatch):
    bad = count("violations.onsite_typo", "现场查处", Violation, Q(method="现埸"))
    monkeypatch.setitem(figures.registry._items, bad.key, bad)
    with pytest.raises(SystemCheckError, match=r"brigade\.E113.*violations\.onsite_typo"):
        call_command("check")
    monkeypatch.delitem(figures.registry._items, bad.key)
    call_command("check")  # and passes without it


def test_a_violation_type_not_in_the_list_is_found_with_the_database_check(db):
    bad = count("bad.drunk", "醉驾", Violation, Q(violation_type__name__in=["醉酒驾驶", "醉驾"]))
    errors = check_reference_values(bad)
    assert [(e.id, e.msg) for e in errors] == [
        (
            "brigade.E118",
            "指标 'bad.drunk'（醉驾）的 where：'violation_type__name__in' 的值 '醉驾' 不在违法行为类型的名称中",
        )
    ]
    everything = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    assert not [e for e in everything if e.id == "brigade.E118"]  # the declared ones name real types
