"""Enforcement indicators (docs/figures.md): violations by method, group and outcome; campaigns;
supervision by type, with the recorder match rate and the rectification rate."""

from django.db.models import Q

from brigade.figures import Rate, count, register, total
from enforcement.models import Campaign, SupervisionCheck, Violation


def _type(name):
    return {"where": Q(violation_type__name=name)}


def _group(name):
    return {"where": Q(violation_type__group=name)}


register(
    count("violations.total", "查纠各类交通违法行为", Violation),
    count("violations.onsite", "现场查处交通违法", Violation, Q(method="现场")),
    count("violations.offsite", "非现场查处交通违法", Violation, Q(method="非现场")),
    count("violations.drunk", "酒醉驾", Violation, **_group("酒醉驾")),
    count("violations.drunk_severe", "醉驾", Violation, **_type("醉酒驾驶")),
    count("violations.overload", "超载超员", Violation, **_group("超载超员")),
    count("violations.fatigue", "疲劳驾驶", Violation, **_type("疲劳驾驶")),
    count("violations.speeding", "超速", Violation, **_type("超速")),
    count(
        "violations.three_one",
        "“三超一疲劳”",
        Violation,
        Q(violation_type__name__in=["超速", "疲劳驾驶"]) | Q(violation_type__group="超载超员"),
    ),  # fmt: skip
    count("violations.helmet", "不戴头盔", Violation, **_group("不戴头盔")),
    count("violations.passengers", "违法载人", Violation, **_type("违法载人")),
    count("violations.plates", "涉牌涉证", Violation, **_group("涉牌涉证")),
    count("violations.lenient", "柔性执法（警告、不予处罚）", Violation, Q(outcome__in=["警告", "不予处罚"])),
    count("violations.warning", "警告", Violation, Q(outcome="警告")),
    count("violations.no_penalty", "不予处罚", Violation, Q(outcome="不予处罚")),
    count("violations.lighter", "从轻处罚", Violation, Q(outcome="从轻处罚")),
    count("violations.mitigated", "减轻处罚", Violation, Q(outcome="减轻处罚")),
    count("violations.detention", "行政拘留", Violation, Q(outcome="行政拘留")),
    count(
        "violations.criminal",
        "移送追究刑事责任",
        Violation,
        Q(outcome="移送追究刑事责任"),
    ),
    total("violations.fines", "罚款金额", Violation, "fine", unit="元"),
    count("campaigns.count", "开展专项行动", Campaign, unit="次", better=True),
    total("campaigns.batches", "专项行动", Campaign, "batches", unit="批次", better=True),
    total("campaigns.officers", "出动警力", Campaign, "officers", unit="人次", better=True),
    count(
        "campaigns.joint",
        "联合执法行动",
        Campaign,
        Q(kind="联合执法") | ~Q(partners=""),
        unit="次",
        better=True,
    ),
)

# Supervision: how often each kind of check ran, and what it found.
register(
    *[
        count(
            f"supervision.{code}",
            label,
            SupervisionCheck,
            Q(kind=label),
            unit="次",
            better=True,
        )
        for code, label in [
            ("online", "网上执法巡查"),
            ("onsite", "现场执法检查"),
            ("quality", "执法质量考评"),
            ("files", "案卷评查"),
            ("recorder", "执法记录仪检查"),
            ("review", "案件审核会商"),
            ("callback", "警情回访"),
        ]  # fmt: skip
    ],
    count("supervision.total", "开展执法监督", SupervisionCheck, unit="次", better=True),
    total(
        "supervision.files_checked",
        "评查案卷",
        SupervisionCheck,
        "checked",
        Q(kind="案卷评查"),
        unit="卷",
        better=True,
    ),
    total(
        "supervision.recorder_checked",
        "检查执法记录仪视频",
        SupervisionCheck,
        "checked",
        Q(kind="执法记录仪检查"),
        unit="条",
    ),
    total(
        "supervision.recorder_passed",
        "执法记录仪视频相符",
        SupervisionCheck,
        "passed",
        Q(kind="执法记录仪检查"),
        unit="条",
    ),
    total("supervision.problems_found", "发现问题", SupervisionCheck, "problems_found", unit="个"),
    total("supervision.problems_fixed", "整改问题", SupervisionCheck, "problems_fixed", unit="个"),
    total("supervision.notices", "下发执法通报", SupervisionCheck, "notices", unit="期", better=True),
    Rate(
        "supervision.recorder_rate",
        "执法记录仪相符率",
        "supervision.recorder_passed",
        "supervision.recorder_checked",
    ),
    Rate("supervision.fix_rate", "问题整改率", "supervision.problems_fixed", "supervision.problems_found"),
)
