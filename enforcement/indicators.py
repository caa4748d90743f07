"""Enforcement indicators (docs/figures.md): violations by method, group and outcome; campaigns;
supervision by type, with the recorder match rate and the rectification rate."""

from django.db.models import Q

from brigade.figures import OUTCOME, Rate, count, register, total
from enforcement.models import Campaign, SupervisionCheck, Violation

# Violations are a workload: how many are found follows the traffic on the roads and the officers
# on them, so neither more nor fewer is a shortcoming (docs/figures.md); where they moved is told
# by type, method and outcome.
FOUND = "查处多少随路面违法多少和警力投入而定，不分好坏"
BY_TYPE = ("violation_type", "method", "outcome")


def _type(name):
    return {"where": Q(violation_type__name=name), "by": ("method", "outcome")}


def _group(name):
    return {"where": Q(violation_type__group=name), "by": BY_TYPE}


def _outcome(name):
    return {"where": Q(outcome=name), "by": ("violation_type", "method")}


register(
    count("violations.total", "查纠各类交通违法行为", Violation, why=FOUND, by=(*BY_TYPE, "campaign")),
    count(
        "violations.onsite", "现场查处交通违法", Violation, Q(method="现场"), by=("violation_type", "outcome")
    ),
    count(
        "violations.offsite",
        "非现场查处交通违法",
        Violation,
        Q(method="非现场"),
        by=("violation_type", "outcome"),
    ),
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
        by=BY_TYPE,
    ),
    count("violations.helmet", "不戴头盔", Violation, **_group("不戴头盔")),
    count("violations.passengers", "违法载人", Violation, **_type("违法载人")),
    count("violations.plates", "涉牌涉证", Violation, **_group("涉牌涉证")),
    count(
        "violations.lenient",
        "柔性执法（警告、不予处罚）",
        Violation,
        Q(outcome__in=["警告", "不予处罚"]),
        by=BY_TYPE,
        why="柔性执法多少随查处的违法情节而定，不以多少论好坏",
    ),
    count("violations.warning", "警告", Violation, **_outcome("警告")),
    count("violations.no_penalty", "不予处罚", Violation, **_outcome("不予处罚")),
    count("violations.lighter", "从轻处罚", Violation, **_outcome("从轻处罚")),
    count("violations.mitigated", "减轻处罚", Violation, **_outcome("减轻处罚")),
    count("violations.detention", "行政拘留", Violation, **_outcome("行政拘留")),
    count("violations.criminal", "移送追究刑事责任", Violation, **_outcome("移送追究刑事责任")),
    total("violations.fines", "罚款金额", Violation, "fine", unit="元", by=("violation_type", "method")),
    # Campaigns follow superiors' deployments and the roads: their number and size are effort
    # spent, not a result, so they are workloads too.
    count(
        "campaigns.count",
        "开展专项行动",
        Campaign,
        unit="次",
        by=("kind",),
        why="专项行动按上级部署和路面形势开展，次数多少本身不分好坏",
    ),
    total(
        "campaigns.batches",
        "专项行动",
        Campaign,
        "batches",
        unit="批次",
        by=("kind",),
        why="批次跟随专项行动的次数和规模",
    ),
    total(
        "campaigns.officers",
        "出动警力",
        Campaign,
        "officers",
        unit="人次",
        by=("kind",),
        why="出动警力跟随专项行动的次数和规模，是投入而不是成效",
    ),
    count(
        "campaigns.joint",
        "联合执法行动",
        Campaign,
        Q(kind="联合执法") | ~Q(partners=""),
        unit="次",
        by=("kind",),
        why="是否联合其他部门随行动需要而定，次数多少不分好坏",
    ),
)

# Supervision is planned by the brigade itself: its total is an outcome (fewer checks than last
# year is less oversight); the kinds trade off against each other and are read from the total's
# breakdown; what the checks found is judged by its rates.
MIX = "各类监督此消彼长，按开展执法监督的总次数（按监督类型分解）评判"
register(
    *[
        count(f"supervision.{code}", label, SupervisionCheck, Q(kind=label), unit="次", why=MIX)
        for code, label in [
            ("online", "网上执法巡查"),
            ("onsite", "现场执法检查"),
            ("quality", "执法质量考评"),
            ("files", "案卷评查"),
            ("recorder", "执法记录仪检查"),
            ("review", "案件审核会商"),
            ("callback", "警情回访"),
        ]
    ],
    count(
        "supervision.total",
        "开展执法监督",
        SupervisionCheck,
        unit="次",
        by=("kind",),
        kind=OUTCOME,
        better=True,
        why="执法监督由大队按计划开展，是大队自己掌握的监督力度，次数少于上年即监督不足",
    ),
    total(
        "supervision.files_checked",
        "评查案卷",
        SupervisionCheck,
        "checked",
        Q(kind="案卷评查"),
        unit="卷",
        why="评查案卷数跟随办案数量，评查的次数计入执法监督总次数",
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
    total(
        "supervision.problems_found",
        "发现问题",
        SupervisionCheck,
        "problems_found",
        unit="个",
        by=("kind",),
        why="发现问题多少既看执法质量也看监督深度，不分好坏；整改看整改率",
    ),
    total(
        "supervision.problems_fixed", "整改问题", SupervisionCheck, "problems_fixed", unit="个", by=("kind",)
    ),
    total(
        "supervision.notices",
        "下发执法通报",
        SupervisionCheck,
        "notices",
        unit="期",
        by=("kind",),
        why="通报随检查发现的问题下发，期数多少不分好坏",
    ),
    Rate(
        "supervision.recorder_rate",
        "执法记录仪相符率",
        "supervision.recorder_passed",
        "supervision.recorder_checked",
        better=True,
        why="相符率越高，执法记录仪的使用和执法过程越规范",
    ),
    Rate(
        "supervision.fix_rate",
        "问题整改率",
        "supervision.problems_fixed",
        "supervision.problems_found",
        better=True,
        why="整改率越高，监督发现的问题越是得到了整改",
    ),
)
