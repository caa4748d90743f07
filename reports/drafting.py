"""The report's text drafted from the indicators, in the phrasing of the seed reports.

Every paragraph states figures of the year with the change since last year (reports/phrasing.py
writes the numbers). A sub-section whose ledgers hold nothing for the year drafts to "" and is
left out of the document rather than printing zeros."""

import re
from dataclasses import dataclass

from brigade.figures import Figures, Period, evaluate
from brigade.indicators import staffing
from brigade.models import Regulation, Training
from reports import phrasing

LEVEL1, LEVEL2 = 1, 2


@dataclass(frozen=True)
class Part:
    key: str
    level: int
    title: str  # may use {year} and {next_year}; 一、二、 and （一）（二） are numbered at rendering
    drafter: str | None = None  # name of the function below that drafts it; None: the officer writes it


PLAN = [
    Part("1", LEVEL1, "{year}年推进法治政府建设的主要举措和成效"),
    Part("1.study", LEVEL2, "强化学法培训，提升队伍法治素养", "draft_study"),
    Part("1.enforce", LEVEL2, "严格规范执法，保持严管高压态势", "draft_enforcement"),
    Part("1.lenient", LEVEL2, "推行柔性执法，优化法治化营商环境", "draft_lenient"),
    Part("1.supervision", LEVEL2, "强化执法监督，提升执法质量", "draft_supervision"),
    Part("1.publicity", LEVEL2, "深化普法宣传，营造良好法治氛围", "draft_publicity"),
    Part("1.mediation", LEVEL2, "化解矛盾纠纷，维护社会和谐稳定", "draft_mediation"),
    Part("2", LEVEL1, "党政主要负责人履行推进法治建设第一责任人职责情况"),
    Part("2.lead", LEVEL2, "强化对法治建设的组织领导", "draft_leadership"),
    Part("2.rules", LEVEL2, "健全完善制度机制", "draft_regulations"),
    Part("2.study", LEVEL2, "带头尊法学法守法用法", "draft_leaders_study"),
    Part("3", LEVEL1, "推进法治政府建设存在的不足和原因"),
    Part("4", LEVEL1, "{next_year}年推进法治政府建设的主要安排"),
    Part("5", LEVEL1, "其他需要报告的情况"),
]
DRAFTED = [p for p in PLAN if p.drafter]


class Facts:
    """The figures of one year, phrased: `n` the value, `c` the count, `ch` the change."""

    def __init__(self, figures: Figures, brigade_ids, year: int):
        self.f, self.brigade_ids, self.year = figures, brigade_ids, year

    def n(self, key) -> int:
        return int(self.f.value(key))

    def c(self, key) -> str:
        return phrasing.count(self.n(key))

    def ch(self, key) -> str:
        figure = self.f[key]
        return phrasing.change(figure.current or 0, figure.previous or 0)

    def rate(self, key) -> str | None:
        value = self.f[key].current
        return None if value is None else phrasing.percent(value)

    def rate_change(self, key, name) -> str | None:
        figure = self.f[key]
        return phrasing.rate_change(name, figure.current, figure.previous)

    def q(self, key) -> str:
        """The count with its unit as declared (`1169起`): units live in indicators.py only."""
        return self.c(key) + self.f[key].unit

    def listing(self, items) -> str:
        """`查处酒醉驾1169起、超载3517起`: the non-zero items, joined with 、."""
        return "、".join(f"{label}{self.q(key)}" for label, key in items if self.n(key))


def draft_study(x: Facts) -> str:
    if not x.n("training.sessions"):
        return ""
    extra = x.listing(
        [("举办法治讲座", "training.lectures"), ("组织执法资格考试", "training.exams")]
    )
    return (
        f"坚持把学法培训作为提升队伍法治素养的基础性工作，采取集中培训、专题学法、岗位练兵等形式，"
        f"{x.year}年共组织各类学法培训{x.q('training.sessions')}、参训{x.q('training.attendees')}，"
        f"培训期数{x.ch('training.sessions')}" + (f"；{extra}" if extra else "") + "，队伍法治素养不断提升。"
    )


def draft_enforcement(x: Facts) -> str:
    paragraphs = []
    if x.n("violations.total"):
        groups = x.listing([
            ("酒醉驾", "violations.drunk"), ("超载超员", "violations.overload"),
            ("疲劳驾驶", "violations.fatigue"), ("超速", "violations.speeding"),
            ("不戴安全头盔", "violations.helmet"), ("违法载人", "violations.passengers"),
            ("涉牌涉证", "violations.plates"),
        ])  # fmt: skip
        severe = f"（其中醉驾{x.q('violations.drunk_severe')}）" if x.n("violations.drunk_severe") else ""
        if severe and groups.startswith("酒醉驾"):
            first, _, rest = groups.partition("、")
            groups = first + severe + ("、" + rest if rest else "")
        split = x.listing(
            [("现场查处", "violations.onsite"), ("非现场查处", "violations.offsite")]
        )
        paragraphs.append(
            "聚焦易引发事故的重点交通违法行为，保持严管高压态势。"
            f"全年共查纠各类交通违法行为{x.q('violations.total')}，{x.ch('violations.total')}"
            + (f"，其中{split}" if split else "")
            + (f"；查处{groups}" if groups else "")
            + "。"
        )
    if x.n("campaigns.count"):
        joint = f"，其中联合相关部门开展联合执法{x.q('campaigns.joint')}" if x.n("campaigns.joint") else ""
        paragraphs.append(
            f"组织开展各类专项整治行动{x.q('campaigns.count')}、{x.q('campaigns.batches')}，"
            f"出动警力{x.q('campaigns.officers')}{joint}，有力净化了道路通行环境。"
        )
    return "\n".join(paragraphs)


def draft_lenient(x: Facts) -> str:
    if not (x.n("violations.lenient") or x.n("violations.lighter") or x.n("violations.mitigated")):
        return ""
    parts = x.listing([("警告", "violations.warning"), ("不予处罚", "violations.no_penalty")])
    others = x.listing([("从轻处罚", "violations.lighter"), ("减轻处罚", "violations.mitigated")])
    text = "落实“首违警告、轻微不罚”制度，对情节轻微、未造成危害后果的交通违法行为坚持教育与处罚相结合"
    if x.n("violations.lenient"):
        text += f"，全年实施柔性执法{x.q('violations.lenient')}（{parts}），{x.ch('violations.lenient')}"
    if others:
        text += f"；依法{others}"
    return text + "，执法温度与执法效果有机统一。"


def draft_supervision(x: Facts) -> str:
    if not x.n("supervision.total"):
        return ""
    kinds = x.listing([
        ("网上执法巡查", "supervision.online"), ("现场执法检查", "supervision.onsite"),
        ("执法质量考评", "supervision.quality"), ("案卷评查", "supervision.files"),
        ("执法记录仪检查", "supervision.recorder"), ("案件审核会商", "supervision.review"),
        ("警情回访", "supervision.callback"),
    ])  # fmt: skip
    text = f"健全日常执法监督检查机制，全年开展{kinds}"
    if x.n("supervision.files_checked"):
        text += f"，评查案卷{x.q('supervision.files_checked')}"
    if x.n("supervision.notices"):
        text += f"，下发执法通报{x.q('supervision.notices')}"
    text += "。"
    if x.n("supervision.recorder_checked"):
        text += f"抽查执法记录仪视频{x.q('supervision.recorder_checked')}"
        compared = x.rate_change("supervision.recorder_rate", "执法记录仪相符率")
        text += f"，{compared}" if compared else ""
        text += "；"
    if x.n("supervision.problems_found"):
        text += f"发现执法问题{x.q('supervision.problems_found')}，督促整改{x.q('supervision.problems_fixed')}"
        rate = x.rate("supervision.fix_rate")
        text += f"，整改率{rate}" if rate else ""
        text += "。"
    return text.rstrip("；") + ("" if text.endswith("。") else "。")


def draft_publicity(x: Facts) -> str:
    from publicity.models import MediaWork, PublicityEvent

    if not (x.n("events.total") or x.n("media.total")):
        return ""
    text = "深入落实“谁执法谁普法”普法责任制"
    if x.n("events.total"):
        forms = [(k.value, f"events.{k.name.lower()}") for k in PublicityEvent.Kind]
        forms = sorted((item for item in forms if x.n(item[1])), key=lambda item: -x.n(item[1]))[:5]
        listed = x.listing(forms)
        text += (
            f"，全年开展交通安全宣传活动{x.q('events.total')}，{x.ch('events.total')}，其中{listed}，"
            f"受教育群众{x.q('events.attendees')}"
        )
        if x.n("events.materials"):
            text += f"，发放宣传资料{x.q('events.materials')}"
    if x.n("media.total"):
        made = [
            k for k in MediaWork.Kind if x.n(f"media.{k.name.lower()}") and k != MediaWork.Kind.SAFETY_TIP
        ]
        works = x.listing([(k.value, f"media.{k.name.lower()}") for k in made])
        text += f"；制作发布{works}" if works else ""
        if x.n("media.safety_tip"):
            text += f"{'，' if works else '；'}推送安全提示信息{x.q('media.safety_tip')}"
        if x.n("media.views"):
            text += f"，播放阅读量{x.q('media.views')}"
    return text + "，全民交通安全意识和法治意识不断增强。"


def draft_mediation(x: Facts) -> str:
    paragraphs = []
    if x.n("calls.total"):
        text = f"全年共接警{x.q('calls.total')}，{x.ch('calls.total')}"
        if x.n("calls.visited"):
            text += f"；回访群众{x.q('calls.visited')}，回访不满意{x.q('calls.unsatisfied')}"
            figure = x.f["calls.unsatisfied"]
            text += f"，{phrasing.change(figure.current or 0, figure.previous or 0)}"
        paragraphs.append(text + "。")
    if x.n("accidents.total"):
        text = f"处理道路交通事故{x.q('accidents.total')}，{x.ch('accidents.total')}"
        if x.n("accidents.quick"):
            text += f"，其中适用“快处快赔”程序{x.q('accidents.quick')}"
        if x.n("accidents.mediated"):
            levels = x.listing([
                ("轻微事故", "accidents.mediated_minor"), ("一般事故", "accidents.mediated_ordinary"),
                ("重大事故", "accidents.mediated_major"), ("特大事故", "accidents.mediated_grave"),
            ])  # fmt: skip
            text += f"；成功调解交通事故{x.q('accidents.mediated')}（{levels}）"
            if x.n("accidents.mediated_onsite"):
                text += f"，其中事故现场成功调解{x.q('accidents.mediated_onsite')}"
            rate = x.rate("accidents.mediation_rate")
            text += f"，调解成功率{rate}" if rate else ""
        paragraphs.append(text + "，及时化解了矛盾纠纷。")
    if x.n("complaints.received"):
        text = f"畅通群众诉求渠道，全年受理群众投诉举报{x.q('complaints.received')}，{x.ch('complaints.received')}"
        text += f"，办结{x.q('complaints.closed')}"
        rate = x.rate("complaints.close_rate")
        text += f"，办结率{rate}" if rate else ""
        satisfaction = x.rate("complaints.satisfaction")
        text += f"，群众满意率{satisfaction}" if satisfaction else ""
        paragraphs.append(text + "，做到件件有回音、事事有着落。")
    return "\n".join(paragraphs)


def draft_leadership(x: Facts) -> str:
    meetings = x.listing([
        ("党委会", "meetings.party"), ("法治建设专题会议", "meetings.rule_of_law"),
        ("执法监督委员会会议", "meetings.supervision"), ("案件会商会", "meetings.cases"),
    ])  # fmt: skip
    if not meetings:
        return ""
    return (
        "大队长切实履行推进法治建设第一责任人职责，对法治建设重要工作亲自部署、重大问题亲自过问、"
        f"重点环节亲自协调。全年召开{meetings}，专题研究部署法治政府建设和执法规范化建设工作，"
        "及时研究解决疑难复杂案件和规范执法中遇到的问题。"
    )


def draft_regulations(x: Facts) -> str:
    rows = list(
        Regulation.objects.filter(
            brigade_id__in=x.brigade_ids, date__year=x.year, status__in=["新建", "修订"]
        )
        .order_by("date", "name")
        .values_list("name", "status")
    )
    if not rows:
        return ""
    made = [name for name, status in rows if status == "新建"]
    revised = [name for name, status in rows if status == "修订"]
    parts = []
    if made:
        parts.append(f"制定了{_titles(made)}")
    if revised:
        parts.append(f"修订了{_titles(revised)}")
    return "坚持用制度规范执法行为，" + "，".join(parts) + "，推动执法规范化建设制度化、常态化。"


def _titles(names) -> str:
    """《A》 alone; 《A》《B》…等13项制度 for several (at most five named)."""
    if len(names) == 1:
        return phrasing.join_titles(names)
    return f"{phrasing.join_titles(names[:5])}等{len(names)}项制度"


TITLE_RE = re.compile(r"《[^》]+》")


def draft_leaders_study(x: Facts) -> str:
    if not x.n("training.leaders"):
        return ""
    texts = Training.objects.filter(
        brigade_id__in=x.brigade_ids, date__year=x.year, kind="领导班子集中学法"
    ).values_list("name", "content")
    titles = list(dict.fromkeys(t for pair in texts for text in pair for t in TITLE_RE.findall(text or "")))
    studied = f"，重点学习了{phrasing.join_titles(titles[:5])}等法律法规" if titles else ""
    return (
        "坚持领导干部带头尊法学法守法用法，"
        f"全年组织领导班子集中学法{x.q('training.leaders')}，{x.ch('training.leaders')}{studied}，"
        "以“关键少数”示范带动全警法治素养提升。"
    )


def draft_all(*, brigade_ids, year: int) -> tuple[dict[str, str], Figures]:
    """Every drafted section's text for `year`, and the figures it was drafted from."""
    figures = evaluate(brigade_ids=brigade_ids, period=Period.year(year))
    facts = Facts(figures, brigade_ids, year)
    return {part.key: globals()[part.drafter](facts) for part in DRAFTED}, figures


def shortcomings_material(*, figures: Figures, brigade_ids, on) -> dict:
    """What 三 (不足和原因) is written from: indicators that moved the wrong way, and the roster."""
    worse = []
    for figure in figures.values():
        if figure.worse:
            item = figure.item
            if hasattr(item, "numerator"):
                worse.append(phrasing.rate_change(item.label, figure.current, figure.previous))
            else:
                worse.append(f"{item.label}{phrasing.count(int(figure.current or 0))}{item.unit}，"
                             f"{phrasing.change(figure.current or 0, figure.previous or 0)}")  # fmt: skip
    roster = staffing(brigade_ids=brigade_ids, on=on)
    by = roster["by_category"]
    staff = (
        f"目前在职人员{roster['total']}人，其中民警{by['民警']}人、辅警{by['辅警']}人、工勤人员{by['工勤人员']}人"
        + (
            f"；民警平均年龄{roster['police_average_age']}岁"
            if roster["police_average_age"] is not None
            else ""
        )
        + f"；法制员{roster['legal_officers']}人"
    )
    return {"worse": worse, "staffing": staff + "。", "roster": roster}
