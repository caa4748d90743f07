"""`manage.py check` refuses a mistyped indicator declaration (brigade/indicator_checks.py): each
error names the indicator's key and the attribute, with its own id."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import Q

from brigade import figures
from brigade.figures import OUTCOME, Indicator, Rate, count, total
from brigade.indicator_checks import check_indicator, check_reference_values
from brigade.models import Officer, Training, Unit
from enforcement.models import Violation
from mediation.models import AccidentCase, PoliceCall
from publicity.models import PublicityEvent


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
    (Rate("bad.rate", "满意率", "calls.satisfied", "calls.visted", why="越高越好"), "brigade.E116", "denominator",
     "'calls.visted' 不是已声明的计数或合计指标"),
    # what the figure means (docs/figures.md, 指标的三类)
    (count("bad.followed", "回访", PoliceCall, ~Q(follow_up="未回访"), better=True, why="越多越好"),
     "brigade.E119", "higher_is_better", "工作量（kind=\"workload\"）随需求多少而定，不分好坏，不能声明方向（better=True）"),
    (count("bad.outcome", "交通事故", AccidentCase, kind=OUTCOME), "brigade.E120", "higher_is_better",
     "结果（kind=\"outcome\"）必须声明方向"),
    (count("bad.no_why", "交通事故", AccidentCase, kind=OUTCOME, better=False), "brigade.E121", "why",
     "声明了方向（越低越好），须用一句中文写明理由"),
    (count("bad.blank_why", "交通事故", AccidentCase, kind=OUTCOME, better=False, why="  "), "brigade.E121", "why",
     "须用一句中文写明理由"),
    (count("bad.english_why", "交通事故", AccidentCase, kind=OUTCOME, better=False, why="fewer is better"),
     "brigade.E121", "why", "'fewer is better' 应为一行中文（为什么越低越好）"),
    (count("bad.two_lines", "交通事故", AccidentCase, kind=OUTCOME, better=False, why="越少越好\n而且"),
     "brigade.E121", "why", "应为一行中文"),
    (Rate("bad.rate_why", "回访率", "calls.visited", "calls.total"), "brigade.E121", "why",
     "声明了方向（越高越好），须用一句中文写明理由"),
    (count("bad.kind", "交通事故", AccidentCase, kind="result", better=False, why="越少越好"), "brigade.E122", "kind",
     "'result' 应为 \"workload\"（工作量）或 \"outcome\"（结果）"),
    (count("bad.rate_kind", "回访率", PoliceCall, kind="rate"), "brigade.E122", "kind", "'rate' 应为"),
    # the fields a figure is broken down by
    (count("bad.by_missing", "宣传活动", PublicityEvent, by=("kind", "audiance")), "brigade.E123", "by",
     "'audiance'：模型 PublicityEvent 没有字段 'audiance'"),
    (count("bad.by_lookup", "违法", Violation, by=("violation_type__group",)), "brigade.E123", "by",
     "模型 Violation 没有字段 'violation_type__group'"),
    (count("bad.by_month", "违法", Violation, by=("month",)), "brigade.E123", "by", "按月分解总是可用，不必声明"),
    (count("bad.by_twice", "违法", Violation, by=("method", "method")), "brigade.E123", "by", "中有重复的字段"),
    (Indicator("bad.by_text", "违法", "起", Violation, by="method"), "brigade.E123", "by", "应为字段名的元组"),
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


def test_a_breakdown_is_by_the_models_own_columns(monkeypatch):
    """A value or a foreign key (the row it points to) is a breakdown; a reverse relation (the
    rows pointing here) is not. No ledger has one today, so one is lent to Violation here."""
    from brigade.models import Brigade

    fine = count("fine.by_fk", "违法", Violation, by=("violation_type", "campaign", "method"))
    assert check_indicator(fine, _declared(fine)) == []
    own = Violation._meta.get_field
    monkeypatch.setattr(
        Violation._meta,
        "get_field",
        lambda name: Brigade._meta.get_field("units") if name == "units" else own(name),
    )
    bad = count("bad.by_reverse", "违法", Violation, by=("units",))
    errors = check_indicator(bad, _declared(bad))
    assert [e.id for e in errors] == ["brigade.E123"]
    assert (
        "'units'：" in errors[0].msg
        and "不是模型 Violation 自己的一列（只能按普通字段或外键分解）" in errors[0].msg
    )


@pytest.mark.parametrize(
    "item, code",
    [
        (
            count(
                "calls.visited_again", "回访", PoliceCall, ~Q(follow_up="未回访"), better=True, why="越多越好"
            ),
            "E119",
        ),
        (count("accidents.undirected", "交通事故", AccidentCase, kind=OUTCOME), "E120"),
        (Rate("calls.visit_share", "回访率", "calls.visited", "calls.total", better=True), "E121"),
        (count("events.by_typo", "宣传活动", PublicityEvent, by=("audiance",)), "E123"),
    ],
    ids=[
        "direction-on-a-workload",
        "outcome-without-direction",
        "direction-without-reason",
        "breakdown-field",
    ],
)
def test_manage_py_check_refuses_what_a_figure_cannot_mean(monkeypatch, item, code):
    monkeypatch.setitem(figures.registry._items, item.key, item)
    errors = [e for e in checks.run_checks() if e.id.startswith("brigade.")]
    assert [(e.id, e.obj) for e in errors] == [(f"brigade.{code}", item.key)]
    assert errors[0].msg.startswith(f"指标 {item.key!r}（{item.label}）的 ")


def test_every_direction_is_declared_with_its_reason():
    """The audit (docs/figures.md): which figures have a direction, and why. A workload has none;
    a count that follows another (回访 follows 接警) is judged only by its rate."""
    directed = {
        item.key: (item.kind, item.higher_is_better)
        for item in figures.registry.all()
        if item.higher_is_better is not None
    }
    assert directed == {
        "training.leaders": ("outcome", True),
        "training.attendees": ("outcome", True),
        "meetings.rule_of_law": ("outcome", True),
        "meetings.supervision": ("outcome", True),
        "supervision.total": ("outcome", True),
        "supervision.recorder_rate": ("rate", True),
        "supervision.fix_rate": ("rate", True),
        "calls.unsatisfied": ("outcome", False),
        "calls.satisfaction": ("rate", True),
        "calls.visit_rate": ("rate", True),
        "accidents.total": ("outcome", False),
        "accidents.mediation_rate": ("rate", True),
        "complaints.received": ("outcome", False),
        "complaints.close_rate": ("rate", True),
        "complaints.satisfaction": ("rate", True),
        "events.attendees": ("outcome", True),
        "media.views": ("outcome", True),
    }
    for item in figures.registry.all():
        assert item.kind in ("workload", "outcome", "rate"), item.key
        assert (item.kind == "rate") == isinstance(item, Rate), item.key
        if item.key in directed:
            assert item.why.strip(), item.key
    visited, rate = figures.registry.get("calls.visited"), figures.registry.get("calls.visit_rate")
    assert (visited.kind, visited.higher_is_better) == ("workload", None)
    assert (rate.numerator, rate.denominator, rate.label) == ("calls.visited", "calls.total", "回访率")


def test_the_keyword_api_keeps_working():
    """count()/total()/Rate() as other code calls them; the direction stored as higher_is_better."""
    item = count(
        "x.a",
        "甲",
        Violation,
        Q(method="现场"),
        unit="起",
        kind=OUTCOME,
        better=False,
        why="越少越好",
        by=["method"],
    )
    assert (item.kind, item.higher_is_better, item.why, item.by) == (
        "outcome",
        False,
        "越少越好",
        ("method",),
    )
    assert count("x.b", "乙", Violation, by="method").by == ("method",)
    assert total("x.c", "丙", Training, "attendees").kind == "workload"
    assert Rate("x.r", "率", "x.a", "x.b").higher_is_better is True  # a rate is higher-better unless said
    assert Rate("x.r", "率", "x.a", "x.b", better=False, why="越低越好").higher_is_better is False
    assert Rate("x.r", "率", "x.a", "x.b", higher_is_better=None).higher_is_better is None
    assert Rate("x.r", "率", "x.a", "x.b", better=None).kind == "rate"


def test_docs_list_every_directed_figure_with_its_kind():
    """docs/figures.md states each figure with a direction, its kind and its reason."""
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "figures.md").read_text(encoding="utf-8")
    for item in figures.registry.all():
        if item.higher_is_better is not None:
            line = next((ln for ln in text.splitlines() if f"`{item.key}`" in ln), "")
            assert line, item.key
            assert item.why in line, item.key
