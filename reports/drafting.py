"""The report's text drafted from the indicators, in the phrasing of the seed reports.

Every paragraph states figures of the year with the change since last year (reports/phrasing.py
writes the numbers). A sub-section whose ledgers hold nothing for the year drafts to "" and is
left out of the document rather than printing zeros."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from brigade.figures import Figure, Figures, Period, Rate, evaluate_with_each
from brigade.indicators import staffing
from reports import phrasing, selectors
from reports.coverage import Coverage

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
    Part("1.lenient", LEVEL2, "推行柔性执法，体现执法温度", "draft_lenient"),
    Part("1.supervision", LEVEL2, "强化执法监督，提升执法质量", "draft_supervision"),
    Part("1.publicity", LEVEL2, "深化普法宣传，营造良好法治氛围", "draft_publicity"),
    Part("1.mediation", LEVEL2, "化解矛盾纠纷，维护社会和谐稳定", "draft_mediation"),
    Part("2", LEVEL1, "党政主要负责人履行推进法治建设第一责任人职责情况"),
    Part("2.lead", LEVEL2, "强化对法治建设的组织领导", "draft_leadership"),
    Part("2.rules", LEVEL2, "健全完善制度机制", "draft_regulations"),
    Part("2.study", LEVEL2, "带头尊法学法守法用法", "draft_leaders_study"),
    Part("3", LEVEL1, "推进法治政府建设存在的不足和原因", "draft_shortcomings"),
    Part("4", LEVEL1, "{next_year}年推进法治政府建设的主要安排", "draft_plan"),
    Part("5", LEVEL1, "其他需要报告的情况"),
]
DRAFTED = [p for p in PLAN if p.drafter]


class Facts:
    """The figures of one year, phrased: `value` the number, `count` it phrased, `versus` its
    change since last year. For a detachment's report the figures are summed over its brigades
    and `each` holds every brigade's own, so that the text can name the one that stands out
    (only among two or more: a 支队 of one brigade has no one to single out)."""

    def __init__(self, figures: Figures, coverage: Coverage, year: int, each: dict[int, Figures] | None = None):
        self.f, self.coverage, self.year = figures, coverage, year
        self.brigade_ids = coverage.ids
        self.each = {b.pk: each[b.pk] for b in coverage.brigades} if len(coverage.brigades) > 1 and each else {}
        self.names = coverage.names()
        self._leads = 0  # which of phrasing.LEADS the next comparison uses

    @cached_property
    def shortcomings(self) -> list:
        """三's points, counted once a draft: 四 answers the same points (and the data check
        behind them reads the year's records)."""
        return _shortcoming_points(self)

    @property
    def chief(self) -> str:
        """Who the principal leader is: 支队长 of a detachment, 大队长 of a brigade."""
        return "支队长" if self.coverage.is_detachment else "大队长"

    @property
    def whole(self) -> str:
        """`全支队` before a detachment's summed figure ("" for a brigade's own)."""
        return "全支队" if self.coverage.is_detachment else ""

    def foremost(self, key, doing: str) -> str:
        """In a detachment's report, a sentence naming the brigade contributing most to `key`
        (`甲县大队查处酒醉驾2起，居各大队首位。`); "" for a brigade's report or a zero figure."""
        if not self.each or not self.value(key):
            return ""
        values = {b: int(figures.value(key)) for b, figures in self.each.items()}
        top = max(values.values())
        first = [self.names[b] for b, v in values.items() if v == top]
        amount = f"{phrasing.count(top)}{self.f[key].unit}"
        if top == self.value(key):
            return f"{first[0]}{doing}{amount}，其余大队均为0。"
        if len(first) > 1:
            return f"{'、'.join(first)}{doing}各{amount}，并列各大队首位。"
        return f"{first[0]}{doing}{amount}，居各大队首位。"

    def worst(self, figure: Figure) -> str:
        """In a detachment's report, after a figure that got worse (三), the brigade where it got
        worse most (`，其中丙县大队由1起增至4起，增加最多`); "" for a brigade's report or when no
        brigade of its own got worse."""
        if not self.each:
            return ""
        key, is_rate = figure.key, isinstance(figure.item, Rate)
        found = []
        for b, figures in self.each.items():
            own = figures[key]
            if own.worse:
                found.append((abs(own.current - own.previous), -b, b, own))
        if not found:
            return ""
        *_, b, own = max(found)
        shown = (lambda v: phrasing.percent(v)) if is_rate else (lambda v: phrasing.count(int(v)) + figure.unit)
        up = own.current > own.previous
        verb = ("升至", "上升最多") if up and is_rate else ("降至", "下降最多") if is_rate else (
            ("增至", "增加最多") if up else ("减至", "减少最多"))  # fmt: skip
        return f"，其中{self.names[b]}由{shown(own.previous)}{verb[0]}{shown(own.current)}，{verb[1]}"

    def value(self, key) -> int:
        return int(self.f.value(key))

    def count(self, key) -> str:
        return phrasing.count(self.value(key))

    def versus(self, key) -> str:
        """`，同比上升12.5%`, to follow the figure; "" when there is nothing honest to compare:
        last year's ledger held nothing (the brigade began recording this year), or the figure
        got worse, which 成效 does not boast of (三 takes it up)."""
        figure = self.f[key]
        if not figure.has_previous or figure.worse:
            return ""
        lead = list(phrasing.LEADS)[self._leads % len(phrasing.LEADS)]
        self._leads += 1
        return "，" + phrasing.change(figure.current or 0, figure.previous or 0, lead=lead)

    def rate(self, key) -> str | None:
        value = self.f[key].current
        return None if value is None else phrasing.percent(value)

    def rate_change(self, key, name) -> str | None:
        figure = self.f[key]
        return phrasing.rate_change(name, figure.current, figure.previous)

    def q(self, key) -> str:
        """The count with its unit as declared (`1169起`): units live in indicators.py only."""
        return self.count(key) + self.f[key].unit

    def listing(self, items) -> str:
        """`查处酒醉驾1169起、超载3517起`: the non-zero items, joined with 、."""
        return "、".join(f"{label}{self.q(key)}" for label, key in items if self.value(key))


def draft_study(facts: Facts) -> str:
    if not facts.value("training.sessions"):
        return ""
    extra = facts.listing([("举办法治讲座", "training.lectures"), ("组织执法资格考试", "training.exams")])
    studied = selectors.laws_studied(brigade_ids=facts.brigade_ids, year=facts.year)
    return (
        f"坚持把学法培训作为提升队伍法治素养的基础性工作，采取集中培训、专题学法、岗位练兵等形式，"
        f"{facts.year}年共组织各类学法培训{facts.q('training.sessions')}{facts.versus('training.sessions')}，"
        f"参训{facts.q('training.attendees')}"
        + (f"，其中{extra}" if extra else "")
        + (f"，系统学习{_studied(studied)}" if studied else "")
        + "，队伍法治素养不断提升。"
        + facts.foremost("training.sessions", "组织学法培训")
    )


def draft_enforcement(facts: Facts) -> str:
    paragraphs = []
    if facts.value("violations.total"):
        three = facts.listing([("超速", "violations.speeding"), ("超载超员", "violations.overload"),
                               ("疲劳驾驶", "violations.fatigue")])  # fmt: skip
        total = sum(facts.value(k) for k in ("violations.speeding", "violations.overload", "violations.fatigue"))
        unit = facts.f["violations.speeding"].unit
        groups = "、".join(part for part in [
            facts.listing([("酒醉驾", "violations.drunk")]),
            f"“三超一疲劳”{phrasing.count(total)}{unit}（{three}）" if total else "",
            facts.listing([("不戴安全头盔", "violations.helmet"), ("违法载人", "violations.passengers"),
                           ("涉牌涉证", "violations.plates")]),
        ] if part)  # fmt: skip
        severe = (
            f"（其中醉驾{facts.q('violations.drunk_severe')}）"
            if facts.value("violations.drunk_severe")
            else ""
        )
        if severe and groups.startswith("酒醉驾"):
            first, _, rest = groups.partition("、")
            groups = first + severe + ("、" + rest if rest else "")
        split = facts.listing([("现场查处", "violations.onsite"), ("非现场查处", "violations.offsite")])
        paragraphs.append(
            "聚焦易引发事故的重点交通违法行为，保持严管高压态势。"
            f"全年共查纠各类交通违法行为{facts.q('violations.total')}{facts.versus('violations.total')}"
            + (f"，其中{split}" if split else "")
            + (f"；查处{groups}" if groups else "")
            + "。"
            + (facts.foremost("violations.drunk", "查处酒醉驾") or facts.foremost("violations.total", "查纠交通违法行为"))
        )
    if facts.value("campaigns.count"):
        names = selectors.main_campaigns(brigade_ids=facts.brigade_ids, year=facts.year)
        named = "".join(f"“{n}”" for n in names) + "等" if names else "各类"
        joint = ""
        if facts.value("campaigns.joint"):
            partners = selectors.partner_departments(brigade_ids=facts.brigade_ids, year=facts.year)
            who = f"联合{'、'.join(partners)}等部门" if partners else "联合相关部门"
            joint = f"，其中{who}开展联合执法{facts.q('campaigns.joint')}"
        paragraphs.append(
            f"组织开展{named}专项整治行动{facts.q('campaigns.count')}、{facts.q('campaigns.batches')}，"
            f"出动警力{facts.q('campaigns.officers')}{joint}，有力净化了道路通行环境。"
        )
    return "\n".join(paragraphs)


def draft_lenient(facts: Facts) -> str:
    if not (
        facts.value("violations.lenient")
        or facts.value("violations.lighter")
        or facts.value("violations.mitigated")
    ):
        return ""
    parts = facts.listing([("警告", "violations.warning"), ("不予处罚", "violations.no_penalty")])
    others = facts.listing([("从轻处罚", "violations.lighter"), ("减轻处罚", "violations.mitigated")])
    text = "落实“首违警告、轻微不罚”制度，对情节轻微、未造成危害后果的交通违法行为坚持教育与处罚相结合"
    if facts.value("violations.lenient"):
        text += f"，全年实施柔性执法{facts.q('violations.lenient')}（{parts}）{facts.versus('violations.lenient')}"
    if others:
        text += f"；依法{others}"
    return text + "，执法温度与执法效果有机统一。"


def draft_supervision(facts: Facts) -> str:
    if not facts.value("supervision.total"):
        return ""
    kinds = facts.listing([
        ("网上执法巡查", "supervision.online"), ("现场执法检查", "supervision.onsite"),
        ("执法质量考评", "supervision.quality"), ("案卷评查", "supervision.files"),
        ("执法记录仪检查", "supervision.recorder"), ("案件审核会商", "supervision.review"),
        ("警情回访", "supervision.callback"),
    ])  # fmt: skip
    text = f"健全日常执法监督检查机制，全年开展{kinds}"
    if facts.value("supervision.files_checked"):
        text += f"，评查案卷{facts.q('supervision.files_checked')}"
    if facts.value("supervision.notices"):
        text += f"，下发执法通报{facts.q('supervision.notices')}"
    text += "。" + facts.foremost("supervision.total", "开展执法监督")
    if facts.value("supervision.recorder_checked"):
        text += f"抽查执法记录仪视频{facts.q('supervision.recorder_checked')}"
        compared = facts.rate_change("supervision.recorder_rate", "执法记录仪相符率")
        text += f"，{compared}" if compared else ""
        text += "；"
    if facts.value("supervision.problems_found"):
        text += f"发现执法问题{facts.q('supervision.problems_found')}，督促整改{facts.q('supervision.problems_fixed')}"
        rate = facts.rate("supervision.fix_rate")
        text += f"，整改率{rate}" if rate else ""
        text += "。"
    return text.rstrip("；") + ("" if text.endswith("。") else "。")


def draft_publicity(facts: Facts) -> str:
    from publicity.models import MediaWork, PublicityEvent

    if not (facts.value("events.total") or facts.value("media.total")):
        return ""
    text = "深入落实“谁执法谁普法”普法责任制"
    if facts.value("events.total"):
        forms = [(k.value, f"events.{k.name.lower()}") for k in PublicityEvent.Kind]
        forms = sorted(
            (item for item in forms if facts.value(item[1])), key=lambda item: -facts.value(item[1])
        )[:5]
        listed = facts.listing(forms)
        text += (
            f"，全年开展交通安全宣传活动{facts.q('events.total')}{facts.versus('events.total')}，其中{listed}，"
            f"受教育群众{facts.q('events.attendees')}"
        )
        reached = selectors.audiences(brigade_ids=facts.brigade_ids, year=facts.year)
        if reached:
            text += f"，覆盖{'、'.join(reached)}等群体"
        if facts.value("events.materials"):
            text += f"，发放宣传资料{facts.q('events.materials')}"
    if facts.value("media.total"):
        made = [
            k
            for k in MediaWork.Kind
            if facts.value(f"media.{k.name.lower()}") and k != MediaWork.Kind.SAFETY_TIP
        ]
        works = facts.listing([(k.value, f"media.{k.name.lower()}") for k in made])
        text += f"；制作发布{works}" if works else ""
        if facts.value("media.safety_tip"):
            text += f"{'，' if works else '；'}推送安全提示信息{facts.q('media.safety_tip')}"
        if facts.value("media.views"):
            text += f"，播放阅读量{facts.q('media.views')}"
    return text + "，全民交通安全意识和法治意识不断增强。" + facts.foremost("events.total", "开展宣传活动")


def draft_mediation(facts: Facts) -> str:
    paragraphs = []
    if facts.value("calls.total"):
        text = f"全年共接警{facts.q('calls.total')}{facts.versus('calls.total')}"
        if facts.value("calls.visited"):
            text += f"；回访群众{facts.q('calls.visited')}"
            if facts.value("calls.unsatisfied"):
                text += f"，回访不满意{facts.q('calls.unsatisfied')}{facts.versus('calls.unsatisfied')}"
        paragraphs.append(text + "。")
    if facts.value("accidents.total"):
        text = f"处理道路交通事故{facts.q('accidents.total')}{facts.versus('accidents.total')}"
        if facts.value("accidents.quick"):
            text += f"，其中适用“快处快赔”程序{facts.q('accidents.quick')}"
        if facts.value("accidents.mediated"):
            levels = facts.listing([
                ("轻微事故", "accidents.mediated_minor"), ("一般事故", "accidents.mediated_ordinary"),
                ("重大事故", "accidents.mediated_major"), ("特大事故", "accidents.mediated_grave"),
            ])  # fmt: skip
            text += f"；成功调解交通事故{facts.q('accidents.mediated')}（{levels}）"
            if facts.value("accidents.mediated_onsite"):
                text += f"，其中事故现场成功调解{facts.q('accidents.mediated_onsite')}"
            rate = facts.rate("accidents.mediation_rate")
            text += f"，调解成功率{rate}" if rate else ""
        paragraphs.append(text + "，及时化解了矛盾纠纷。" + facts.foremost("accidents.mediated", "成功调解交通事故"))
    if facts.value("complaints.received"):
        text = f"畅通群众诉求渠道，全年受理群众投诉举报{facts.q('complaints.received')}{facts.versus('complaints.received')}"
        text += f"，办结{facts.q('complaints.closed')}"
        rate = facts.rate("complaints.close_rate")
        text += f"，办结率{rate}" if rate else ""
        satisfaction = facts.rate("complaints.satisfaction")
        text += f"，群众满意率{satisfaction}" if satisfaction else ""
        paragraphs.append(text + "，做到件件有回音、事事有着落。")
    return "\n".join(paragraphs)


def draft_leadership(facts: Facts) -> str:
    meetings = facts.listing([
        ("党委会", "meetings.party"), ("法治建设专题会议", "meetings.rule_of_law"),
        ("执法监督委员会会议", "meetings.supervision"), ("案件会商会", "meetings.cases"),
        ("法治建设务虚会", "meetings.retreat"),
    ])  # fmt: skip
    if not meetings:
        return ""
    return (
        f"{facts.chief}切实履行推进法治建设第一责任人职责，对法治建设重要工作亲自部署、重大问题亲自过问、"
        f"重点环节亲自协调。{facts.whole}全年召开{meetings}，专题研究部署法治政府建设和执法规范化建设工作，"
        "及时研究解决疑难复杂案件和规范执法中遇到的问题。"
    )


def draft_regulations(facts: Facts) -> str:
    rows = selectors.rules_made(brigade_ids=facts.brigade_ids, year=facts.year)
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


def draft_leaders_study(facts: Facts) -> str:
    if not facts.value("training.leaders"):
        return ""
    studied = selectors.laws_studied(brigade_ids=facts.brigade_ids, year=facts.year, kind="领导班子集中学法")
    studied = f"，重点学习了{_studied(studied)}" if studied else ""
    return (
        "坚持领导干部带头尊法学法守法用法，"
        f"全年组织领导班子集中学法{facts.q('training.leaders')}{facts.versus('training.leaders')}{studied}，"
        "以“关键少数”示范带动全警法治素养提升。"
    )


def _studied(found: list[str]) -> str:
    """习近平法治思想和《A》《B》等法律法规, 《A》等法律法规, or 习近平法治思想 alone."""
    thought = [f for f in found if not f.startswith("《")]
    laws = [f for f in found if f.startswith("《")]
    if thought and laws:
        return f"{thought[0]}和{phrasing.join_titles(laws)}等法律法规"
    return thought[0] if thought else f"{phrasing.join_titles(laws)}等法律法规"


# ── 三 and 四: what got worse, why, and what the next year does about it ─────────────────────


@dataclass(frozen=True)
class Area:
    """A field of work the figures fall in: how 三 names a shortcoming there and its usual
    causes (in the seeds' words), and how 四 answers it."""

    prefixes: tuple[str, ...]
    shortcoming: str
    causes: str
    plan: str


AREAS = [
    Area(("violations.", "campaigns."), "严管执法的力度仍需加强",
         "路面管控警力与辖区道路里程、车辆增长不相适应，非现场执法设备覆盖不足，重点时段、重点路段的管控还有空白",
         "保持严管高压态势。针对重点交通违法查处数下降的情况，科学调配路面警力，加大非现场执法设备建设和应用，"
         "常态化开展酒醉驾、“三超一疲劳”等专项整治"),
    Area(("accidents.",), "道路交通事故预防仍有短板",
         "辖区机动车和驾驶人数量持续增长，农村道路安全设施不够完善，部分群众交通安全意识淡薄",
         "狠抓事故预防。深入分析事故成因，排查整治事故多发点段，推动农村道路安全设施建设，"
         "提升事故快处快赔和调解工作质效"),
    Area(("calls.", "complaints."), "服务群众的水平仍需提升",
         "部分民警服务意识和群众工作能力不足，接处警和投诉办理的规范化程度有待提高",
         "提升服务群众水平。规范接处警和投诉举报办理流程，落实警情回访制度，"
         "对群众不满意的问题逐件分析、限期整改"),
    Area(("supervision.",), "执法监督的质效仍需提升",
         "执法监督力量不足，监督检查的频次和深度不够，发现问题后跟踪整改不到位",
         "强化执法监督。落实网上巡查、案卷评查和执法记录仪检查制度，对发现的问题建立台账、跟踪整改"),
    Area(("training.",), "学法培训的常态化仍需加强",
         "工学矛盾较为突出，培训形式不够丰富，部分民警学法的主动性不强",
         "深化学法用法。完善常态化学法机制，组织开展法律法规和执法实务培训，提升全警依法履职能力"),
    Area(("events.", "media."), "普法宣传的覆盖面仍需扩大",
         "宣传阵地和形式较为单一，新媒体宣传力量不足，对农村地区和重点人群的宣传不够深入",
         "深化普法宣传。落实“谁执法谁普法”责任制，深入开展“七进”宣传，用好新媒体平台，扩大宣传覆盖面"),
    Area(("meetings.",), "法治建设的组织推动仍需加强",
         "专题研究法治建设的频次不够，部署多、督导少",
         "加强组织领导。定期召开法治建设专题会议，压实第一责任人职责，强化督导落实"),
]  # fmt: skip
STAFFING = Area((), "执法队伍建设需要进一步加强", "队伍整体法律素质不均衡，法制员力量薄弱，执法能力与规范化执法要求仍有差距",
                "加强执法队伍建设。配齐配强法制员，分层分类开展执法资格培训，提升队伍整体执法能力")  # fmt: skip
RECORDS = Area((), "台账录入的规范性仍需加强", "部分台账未做到随办随录，录入后缺少核对，数据质量检查还不够经常",
               "提升台账数据质量。落实随办随录和月度核对制度，每月查看数据检查提示，及时补录、更正")  # fmt: skip
NUMERALS = "一二三四五六七八九十"


def roster_date(year: int) -> datetime.date:
    """The day the staffing of a year's report is counted on: its last day, or today for the
    year under way. The text and the page beside the editor both count on it."""
    return min(datetime.date(year, 12, 31), timezone.localdate())


def _worse_by_area(facts: Facts) -> list[tuple[Area, list]]:
    """The areas with figures that got worse, most first, each with those figures."""
    found = []
    for area in AREAS:
        figures = [f for f in facts.f.values() if f.worse and f.key.startswith(area.prefixes)]
        if figures:
            found.append((area, figures))
    return sorted(found, key=lambda pair: -len(pair[1]))


def _worse_fact(figure) -> str:
    item = figure.item
    if hasattr(item, "numerator"):
        return phrasing.rate_change(item.label, figure.current, figure.previous)
    current, previous = int(figure.current or 0), int(figure.previous or 0)
    return (
        f"{item.label}{phrasing.count(current)}{item.unit}，"
        f"{phrasing.change(current, previous, lead='较上年')}（上年为{phrasing.count(previous)}{item.unit}）"
    )


def _shortcoming_points(facts: Facts) -> list[tuple[Area, str]]:
    """(area, its paragraph) for 三: up to three areas that got worse, then the staffing."""
    points = []
    for area, figures in _worse_by_area(facts)[:3]:
        stated, named = [], False
        for figure in figures[:3]:  # the brigade that got worse most, named once a point
            blamed = "" if named else facts.worst(figure)
            stated.append(_worse_fact(figure) + blamed)
            named = named or bool(blamed)
        stated = "；".join(stated)
        points.append((area, f"{area.shortcoming}。{facts.year}年{stated}。主要原因是{area.causes}。"))
    from reports.quality import data_warnings

    found = data_warnings(brigade_ids=facts.brigade_ids, year=facts.year)
    if found and len(points) < 3:
        stated = "；".join(dict.fromkeys(w["summary"] for w in found[:3]))
        points.append((RECORDS, f"{RECORDS.shortcoming}。{facts.year}年{stated}。主要原因是{RECORDS.causes}。"))
    roster = staffing(brigade_ids=facts.brigade_ids, on=roster_date(facts.year))
    if roster["total"]:
        by = roster["by_category"]
        age = f"，民警平均年龄{roster['police_average_age']}岁" if roster["police_average_age"] is not None else ""
        levels = roster["qualifications"]
        held = "、".join(f"{level}执法资格{levels[level]}人" for level in ("高级", "中级", "基本级") if levels[level])
        points.append((STAFFING, (
            f"{STAFFING.shortcoming}。目前在职民警{by['民警']}人、辅警{by['辅警']}人{age}，"
            + (f"取得{held}，" if held else "")
            + f"法制员仅{roster['legal_officers']}人。主要原因是{STAFFING.causes}。"
        )))  # fmt: skip
    return points


def draft_shortcomings(facts: Facts) -> str:
    """三: two to four points in the seeds' form, （一）heading。facts。reasons。"""
    points = facts.shortcomings
    return "\n".join(f"（{NUMERALS[n]}）{text}" for n, (_, text) in enumerate(points))


def draft_plan(facts: Facts) -> str:
    """四: a point answering each shortcoming of 三, then last year's plan points that answer
    none of them (retitled for the new year), then the standing tasks, three to five in all."""
    from reports.models import AnnualReport

    answered = [area for area, _ in facts.shortcomings]
    points = [area.plan for area in answered]
    previous = AnnualReport.objects.filter(brigade=facts.coverage.unit, year=facts.year - 1).first()
    plan = previous.sections.filter(key="4").first() if previous else None
    for line in (plan.body.splitlines() if plan else []):
        text = re.sub(r"^（[一二三四五六七八九十]+）", "", line.strip())
        text = re.sub(r"(\d{4})(?=年)", lambda m: str(int(m.group(1)) + 1) if int(m.group(1)) >= facts.year - 1 else m.group(1), text)
        heading = text.split("。")[0]
        if text and not any(heading and heading[:4] in p for p in points) and len(points) < 5:
            points.append(text.rstrip("。"))
    for area in (AREAS[4], AREAS[5], AREAS[3]):  # standing tasks: study, publicity, supervision
        if len(points) >= 3:
            break
        if area.plan not in points:
            points.append(area.plan)
    return "\n".join(f"（{NUMERALS[n]}）{p}。" for n, p in enumerate(points[:5]))


def draft_all(*, coverage: Coverage, year: int) -> tuple[dict[str, str], Figures]:
    """Every drafted section's text for `year`, and the figures it was drafted from (summed over
    the coverage's brigades: a detachment's report is the same drafting over more brigades)."""
    figures, each = evaluate_with_each(brigade_ids=coverage.ids, period=Period.year(year))
    facts = Facts(figures, coverage, year, each)
    return {part.key: globals()[part.drafter](facts) for part in DRAFTED}, figures


# ── a detachment's table of its brigades' key figures (the report's 附件, and its page) ────────

UNIT_TABLE = [
    ("violations.total", "查纠违法"), ("violations.drunk", "酒醉驾"), ("accidents.total", "交通事故"),
    ("accidents.mediation_rate", "调解成功率"), ("events.total", "宣传活动"), ("training.sessions", "学法培训"),
]  # fmt: skip
UNIT_TABLE_NOTE = (
    "注：同比为与上年同期相比的增减，比率（%）的增减以百分点计；“上年无记录”指该台账上年同期没有记录，不作比较；"
    "合计行由各单位数字相加，比率由相加后的分子、分母重新计算。"
)


def _cell(figure: Figure) -> dict:
    """One cell of the table: the value, and its change in the table's short form (`同比+12.5%`,
    `同比持平`, `上年为0`, `上年无记录`; a rate's in points, `同比-10`)."""
    if isinstance(figure.item, Rate):
        if figure.current is None:
            return {"value": "无数据", "change": ""}
        value = phrasing.percent(figure.current).removesuffix("%")
        if not figure.has_previous:
            return {"value": value, "change": "上年无记录"}
        if figure.previous is None:
            return {"value": value, "change": "上年无数据"}
        if figure.trend == "flat":
            return {"value": value, "change": "同比持平"}
        points = phrasing.percent(abs(figure.current - figure.previous)).removesuffix("%")  # in points
        return {"value": value, "change": ("同比+" if figure.trend == "up" else "同比-") + points}
    current, previous = int(figure.current or 0), int(figure.previous or 0)
    value = phrasing.count(current)
    if not figure.has_previous:
        return {"value": value, "change": "上年无记录"}
    if figure.trend == "flat":
        return {"value": value, "change": "同比持平"}
    if not previous:
        return {"value": value, "change": "上年为0"}
    percent = phrasing.percent(abs(Decimal(current - previous)) * 100 / previous)
    return {"value": value, "change": ("同比+" if current > previous else "同比-") + percent}


def unit_table(*, coverage: Coverage, year: int, figures: Figures, each: dict[int, Figures]) -> dict | None:
    """A detachment's key figures brigade by brigade with each one's change, and their total:
    {"title", "headers", "rows": [{"name", "cells": [{"value", "change"}]}], "note"}. None for a
    brigade's report. The 支队's own row appears only when it holds any of these figures itself."""
    if not coverage.is_detachment:
        return None
    keys = [key for key, _ in UNIT_TABLE]
    names = coverage.names()
    units = [coverage.unit.pk] if any(each[coverage.unit.pk][k].current or each[coverage.unit.pk][k].previous
                                      for k in keys) else []  # fmt: skip
    rows = [{"name": names[b] if b != coverage.unit.pk else "支队本级", "brigade_id": b,
             "cells": [_cell(each[b][k]) for k in keys]} for b in [*(x.pk for x in coverage.brigades), *units]]  # fmt: skip
    rows.append({"name": "合计", "brigade_id": None, "cells": [_cell(figures[k]) for k in keys]})
    headers = [f"{label}（{figures[key].unit}）" for key, label in UNIT_TABLE]
    return {"title": f"{year}年各大队法治政府建设主要指标情况表", "headers": headers, "rows": rows,
            "note": UNIT_TABLE_NOTE}  # fmt: skip


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
