"""三 (不足和原因) and 四 (next year's plan), drafted from what really got worse and what is still open.

A point of 三 comes only from
- an outcome or a rate that got worse by its declared direction and the one trend rule (a
  workload such as violations found or calls received has no direction and is never a
  shortcoming: 一 may report it without praise or blame), or
- open items the records hold: problems found and not rectified, complaints not closed, the data
  check's warnings (months without records…).
Each point states the data's own explanation first (the breakdown that moved most: which
setting, channel, type or month; the open items by count), then a stock cause only where the
report's own figures do not contradict it. 四 answers every point with a measure and a number to
reach derived from the data, then last year's plan points not yet answered, three to five in all.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from brigade.figures import Figure, Rate
from brigade.indicators import staffing
from reports import phrasing, selectors

NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Cause:
    """A usual cause, in the seeds' words, and the figures that contradict it when they got
    better (or, a workload, rose; or were first recorded this year): "监督检查的频次不够" cannot
    be written in a year checks rose, nor "服务意识不足" in one with fewer dissatisfied."""

    text: str
    against: tuple[str, ...] = ()
    only_for: tuple[str, ...] = ()  # the figures it can explain (none: any of its area)


@dataclass(frozen=True)
class Area:
    """A field of work: how 三 names a shortcoming there, its usual causes, and how 四 answers it
    (a heading and a measure; the point adds the numbers to reach)."""

    prefixes: tuple[str, ...]
    shortcoming: str
    causes: tuple[Cause, ...]
    heading: str
    measure: str
    open_shortcoming: str = ""  # the heading when only open items, not worse figures, put it in 三
    # the heading when the figure that moved most is this one: a fall in attendance is not a
    # lack of regular training in a year sessions rose
    headings: tuple[tuple[str, str], ...] = ()

    def heading_for(self, key: str) -> str:
        return dict(self.headings).get(key, self.shortcoming)


AREAS = [
    Area(("accidents.mediation_rate",), "事故纠纷调解工作仍需加强",
         (Cause("部分事故当事人赔偿分歧较大，调解力量不足"),),
         "提升事故调解质效", "发挥人民调解、诉调对接作用，对调解未成功的事故逐件分析原因"),
    Area(("accidents.",), "道路交通事故预防仍有短板",
         (Cause("农村道路安全设施不够完善，部分群众交通安全意识淡薄"),
          Cause("路面管控警力与辖区道路里程、车辆增长不相适应", ("campaigns.officers",))),
         "狠抓事故预防", "深入分析事故成因，排查整治事故多发点段，推动农村道路安全设施建设"),
    Area(("calls.", "complaints."), "服务群众的水平仍需提升",
         (Cause("部分民警服务意识和群众工作能力不足", ("calls.unsatisfied", "calls.satisfaction", "complaints.satisfaction")),
          Cause("接处警和投诉办理的规范化程度有待提高", ("complaints.close_rate",)),
          Cause("投诉举报办理跟踪督办不够及时", ("complaints.close_rate",))),
         "提升服务群众水平", "规范接处警和投诉举报办理流程，落实警情回访制度，对群众不满意的问题逐件分析、限期整改",
         "群众诉求的办理仍有未结事项"),
    Area(("supervision.",), "执法监督的质效仍需提升",
         (Cause("监督检查的频次和深度不够", ("supervision.total", "supervision.files_checked", "supervision.fix_rate",
                                             "supervision.recorder_rate")),
          Cause("执法监督力量不足", ("supervision.total",))),
         "强化执法监督", "落实网上巡查、案卷评查和执法记录仪检查制度，对发现的问题建立台账、跟踪整改",
         "执法问题的整改还不到位",
         (("supervision.fix_rate", "执法问题的整改还不到位"), ("supervision.total", "执法监督的频次有所下降"),
          ("supervision.recorder_rate", "执法记录仪使用的规范性仍需提升"))),
    Area(("events.", "media."), "普法宣传的覆盖面仍需扩大",
         (Cause("部分宣传活动与群众互动不足", ("events.attendees",), ("events.attendees",)),
          Cause("新媒体宣传力量不足，作品贴近群众、吸引群众不够", ("media.views",), ("media.views",)),
          Cause("对农村地区和重点人群的宣传不够深入", ("events.villages",), ("events.attendees",))),
         "深化普法宣传", "落实“谁执法谁普法”责任制，深入开展“七进”宣传，用好新媒体平台",
         headings=(("media.views", "新媒体宣传的影响力仍需提升"),)),
    Area(("training.leaders",), "领导干部带头学法仍需加强",
         (Cause("领导班子成员工作任务重，集中学法的时间难以保证"),),
         "坚持领导干部带头学法", "落实领导班子集中学法制度，把学法列入党委会议程，发挥“关键少数”示范作用"),
    Area(("training.",), "学法培训的常态化仍需加强",
         (Cause("工学矛盾较为突出"), Cause("部分民警学法的主动性不强", ("training.attendees",))),
         "深化学法用法", "完善常态化学法机制，组织开展法律法规和执法实务培训，提升全警依法履职能力",
         headings=(("training.attendees", "学法培训的参训面仍需扩大"),)),
    Area(("meetings.", "regulations."), "法治建设的组织推动仍需加强",
         (Cause("专题研究法治建设的频次不够", ("meetings.rule_of_law",)), Cause("部署多、督导少")),
         "加强组织领导", "定期召开法治建设专题会议，压实第一责任人职责，强化督导落实"),
    Area(("violations.", "campaigns."), "严管执法的力度仍需加强",
         (Cause("非现场执法设备覆盖不足", ("violations.offsite",)),
          Cause("重点时段、重点路段的管控还有空白")),
         "保持严管高压态势", "科学调配路面警力，加大非现场执法设备建设和应用，常态化开展酒醉驾、“三超一疲劳”等专项整治"),
]  # fmt: skip
STAFFING = Area(
    (), "执法队伍建设需要进一步加强", (), "加强执法队伍建设", "配齐配强法制员，分层分类开展执法资格培训"
)
RECORDS = Area(
    (),
    "台账录入的规范性仍需加强",
    (Cause("部分台账未做到随办随录，录入后缺少核对，数据质量检查还不够经常"),),
    "提升台账数据质量",
    "落实随办随录制度，每月查看数据检查提示，及时补录、更正",
)
STUDY, PUBLICITY, SUPERVISION = AREAS[6], AREAS[4], AREAS[3]
STANDING = [STUDY, PUBLICITY, SUPERVISION]  # 四's standing tasks


@dataclass
class Point:
    """One point of 三 and what 四 answers it with."""

    area: Area
    text: str  # 三's paragraph without its （一）
    targets: list[str] = field(default_factory=list)  # 力争…, 整改率达到100%

    @property
    def plan(self) -> str:
        measure = self.area.measure
        if self.targets:
            measure += "，" + "；".join(self.targets)
        return f"{self.area.heading}。{measure}"


# ── what got worse, and why by the data ───────────────────────────────────────────────────────


def _worse_fact(figure: Figure, base: str = "上年", suffix: str = "") -> str:
    """`受教育群众5102人次，较上年下降57.48%（上年为12000人次）`; a small count by its difference
    (`执法监督委员会会议3次，较上年减少1次（上年为4次）`: 25% of 4 says nothing); `base` names last
    year's side, 上年 or 去年同期. `suffix` goes inside the brackets (the brigades left out)."""
    item = figure.item
    if isinstance(item, Rate):
        return phrasing.rate_change(item.label, figure.current, figure.previous, base=base) + suffix
    current, previous = int(figure.current or 0), int(figure.previous or 0)
    lead = "较上年" if base == "上年" else "较去年同期"
    if max(current, previous) < 10:
        moved = f"{lead}{'增加' if current > previous else '减少'}{abs(current - previous)}{item.unit}"
    else:
        moved = phrasing.change(current, previous, lead=lead)
    noted = f"（{base}为{phrasing.count(previous)}{item.unit}{suffix.strip('（）') and '；' + suffix.strip('（）')}）"
    return f"{item.label}{phrasing.count(current)}{item.unit}，{moved}{noted}"


def _field_name(model, name) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _explained(facts, figure: Figure) -> str:
    """The data's own explanation of a count that got worse, naming the figure it explains:
    where it moved (the breakdown declared on the indicator whose largest mover carries most
    of the change), else the months it moved most in. "" when the data says nothing more (or
    the figure fell to nothing: there is no "where")."""
    from brigade.figures import breakdown

    item = figure.item
    if isinstance(item, Rate) or not figure.current:
        return ""
    down = figure.trend == "down"
    verb = "减少" if down else "增加"
    change = abs(Decimal(figure.current or 0) - Decimal(figure.previous or 0))
    best = None
    for name in item.by:
        rows = breakdown(
            indicator_key=item.key, field=name, brigade_ids=facts.brigade_ids, period=facts.period
        )
        moved = [(label, Decimal(cur or 0) - Decimal(prev or 0)) for label, cur, prev in rows]
        bad = sorted(((label, abs(d)) for label, d in moved if (d < 0) == down and d), key=lambda r: -r[1])
        if len(moved) < 2 or not bad:
            continue
        share = bad[0][1] / change if change else 0
        if best is None or share > best[0]:
            every = len(moved) > 2 and all((d < 0) == down and d for _, d in moved)
            best = (share, name, bad, every)
    unit = item.unit
    if best is not None:
        _, name, bad, every = best
        heading = f"从{_field_name(item.model, name)}看，{item.label}"
        if every:
            listed = "、".join(f"{label}{verb}{phrasing.count(int(d))}{unit}" for label, d in bad[:2])
            return f"{heading}各类均有{verb}，其中{listed}，{verb}最多"
        main = [(label, d) for label, d in bad[:2] if d * 5 >= change] or bad[
            :1
        ]  # a fifth of the change or more
        listed = "、".join(f"{label}（{verb}{phrasing.count(int(d))}{unit}）" for label, d in main)
        return f"{heading}的{verb}主要在{listed}"
    monthly = [(m, Decimal(c or 0) - Decimal(p or 0)) for m, (c, p) in figure.monthly.items()]
    bad = sorted(((m, abs(d)) for m, d in monthly if (d < 0) == down and d), key=lambda r: -r[1])
    if len(monthly) >= 3 and bad and change >= 10 and bad[0][1] * 2 >= change:
        months = "、".join(f"{m}月" for m, _ in sorted(bad[:2]))
        return f"{item.label}{verb}主要集中在{months}"
    return ""


def _contradicted(facts, cause: Cause) -> bool:
    for key in cause.against:
        if key not in facts.f:
            continue
        figure = facts.comparable[key]
        undirected = figure.item.higher_is_better is None or figure.item.kind == "workload"
        if (
            figure.better
            or (undirected and figure.trend == "up")
            or (not figure.has_previous and figure.current)
        ):
            return True
    return False


def _cause(facts, area: Area, heading: str, key: str = "") -> str:
    """The area's usual causes that can explain the point's main figure (`key`), that the
    report's own figures do not contradict and that do not repeat the heading, joined."""
    kept = [
        c.text
        for c in area.causes
        if (not c.only_for or key in c.only_for) and not _contradicted(facts, c) and c.text[:4] not in heading
    ]
    return "，".join(kept[:2])


# What a target names where the figure's label is a verb, and the form it takes: "floor" for
# work to keep up (全年开展执法监督不少于110次), "back" for a reach to regain (恢复到…以上).
TARGETS = {
    "training.attendees": ("参训民警辅警", "back"), "events.attendees": ("受教育群众", "back"),
    "media.views": ("宣传作品播放阅读量", "back"),
    "supervision.total": ("全年开展执法监督", "floor"), "training.leaders": ("全年领导班子集中学法", "floor"),
    "meetings.rule_of_law": ("全年召开法治建设专题会议", "floor"),
    "meetings.supervision": ("全年召开执法监督委员会会议", "floor"),
}  # fmt: skip
# Outcomes no number may cap: a limit on complaints received reads as keeping the public from
# complaining; the measure is what causes them.
UNCAPPED = {"complaints.received": "从源头减少引发投诉的执法和服务问题，推动投诉举报件数回落"}


def _target(figure: Figure, full: Figure | None = None) -> str:
    """The number 四 sets for a figure that got worse: back to last year's level (a round figure
    not above it), a rate of completion at 100%. `full`: last year's whole-year figure, the base
    of a target for a year when the report counts only part of this one."""
    item = figure.item
    base = full if full is not None else figure
    if item.key in UNCAPPED:
        return UNCAPPED[item.key]
    if isinstance(item, Rate):
        if item.key in ("supervision.fix_rate", "complaints.close_rate"):
            return f"{item.label}达到100%"
        previous = base.current if full is not None else figure.previous
        if previous is None:
            return ""
        if item.higher_is_better:
            return f"{item.label}恢复到{phrasing.percent(previous)}以上"
        return f"{item.label}降至{phrasing.percent(previous)}以下"
    previous = int((base.current if full is not None else figure.previous) or 0)
    label, form = TARGETS.get(item.key, (item.label, "back"))
    current = int(figure.current or 0)
    if item.higher_is_better and form == "floor":
        return f"{label}不少于{phrasing.target_count(previous, above=current)}{item.unit}"
    if item.higher_is_better:
        return f"{label}恢复到{phrasing.target_count(previous, above=current)}{item.unit}以上"
    return f"力争{label}控制在{phrasing.count(previous)}{item.unit}以内"


def _severity(figure: Figure) -> Decimal:
    """How far a figure moved, in percent of last year's value (a rate's points too), so that
    a 55% fall in the audience weighs more than a rate 1.5 points lower; a count under 30 is
    damped (5 meetings to 3 is not a 40% collapse)."""
    current, previous = Decimal(figure.current or 0), Decimal(figure.previous or 0)
    moved = abs(current - previous) * 100 / previous if previous else Decimal(100)
    if not isinstance(figure.item, Rate):
        moved *= min(Decimal(1), max(previous, current) / 30)
    return moved


def _grade(severity: Decimal) -> int:
    """Large (10% and more), clear (3%), slight: areas of one grade keep the order of AREAS."""
    return 2 if severity >= 10 else 1 if severity >= 3 else 0


def _area_of(key: str) -> Area | None:
    """The first area whose prefixes take the key (the mediation rate before the accidents)."""
    return next((area for area in AREAS if key.startswith(area.prefixes)), None)


def _worse_by_area(facts) -> dict:
    """Area → its figures that got worse (outcomes and rates only: workloads have no
    direction) by more than a slight move, the largest first; the areas by their largest move.
    A slight move (a rate 0.4 points lower) stays in the material beside the editor, not in 三."""
    found: dict[Area, list] = {}
    for figure in facts.comparable.values():
        area = _area_of(figure.key)
        if area and figure.worse and _grade(_severity(figure)) > 0:
            found.setdefault(area, []).append(figure)
    for figures in found.values():
        figures.sort(key=lambda f: -_severity(f))
    return found


def _open_items(facts) -> dict:
    """Area → (the sentence on what is still open, its targets), where items are open and the
    completion rate did not improve (an open item in a year of better completion is 一's
    "其余N个正在跟踪整改", not a shortcoming)."""
    found = {}
    if not facts.comparable["supervision.fix_rate"].better:
        unit = facts.f["supervision.problems_found"].unit
        problems = selectors.problems_open(brigade_ids=facts.brigade_ids, period=facts.period)
        if problems:
            n = sum(k for _, k in problems)
            by = "、".join(f"{kind}发现的{phrasing.count(k)}{unit}" for kind, k in problems[:3])
            found[SUPERVISION] = (
                f"执法监督发现的问题尚有{phrasing.count(n)}{unit}未整改到位"
                + (f"，其中{by}" if len(problems) > 1 else ""),
                [f"对尚未整改的{phrasing.count(n)}{unit}问题逐一跟踪、限期销号，问题整改率达到100%"],
            )
    if not facts.comparable["complaints.close_rate"].better:
        complaints = selectors.complaints_open(brigade_ids=facts.brigade_ids, period=facts.period)
        if complaints:
            n = sum(k for _, k in complaints)
            cunit = facts.f["complaints.received"].unit
            by = "、".join(f"{cat}类{phrasing.count(k)}{cunit}" for cat, k in complaints[:3] if cat != "其他")
            found[AREAS[2]] = (
                f"受理的投诉举报尚有{phrasing.count(n)}{cunit}未办结"
                + (f"，其中{by}" if len(complaints) > 1 and by else ""),
                [f"未办结的{phrasing.count(n)}{cunit}投诉举报限期办结，办结率达到100%"],
            )
    return found


def _absent(facts, figures: list[Figure]) -> str | None:
    """三's heading and facts when the work stopped altogether (学法培训 0 this year, some last
    year): not "参训面不够" but that it was not done."""
    if figures[0].key == "training.attendees" and not facts.value("training.sessions"):
        before = facts.comparable["training.sessions"]
        return (
            f"学法培训工作缺位。{facts.when}未组织民警辅警学法培训（{facts.base}为"
            f"{phrasing.count(int(before.previous or 0))}{before.unit}、{phrasing.count(int(figures[0].previous or 0))}"
            f"{figures[0].unit}）。"
        )
    return None


def _area_point(facts, area: Area, figures: list[Figure], opened, full) -> Point:
    sentences, targets, named = [], [], False
    for figure in figures[:3]:
        blamed = "" if named else facts.worst(figure)  # the brigade that got worse most, once a point
        sentences.append(_worse_fact(figure, facts.base, facts.not_compared(figure.key)) + blamed)
        named = named or bool(blamed)
        targets.append(_target(figure, full.get(figure.key) if full else None))
    heading = area.heading_for(figures[0].key) if figures else area.open_shortcoming
    absent = _absent(facts, figures) if figures else None
    if absent:
        text, heading = absent, absent.split("。")[0]
    elif figures:
        text = f"{heading}。{facts.when}{'；'.join(sentences)}。"
    else:
        text = f"{heading}。"
    explained = _explained(facts, figures[0]) if figures else ""
    if explained:
        text += explained + "。"
    if opened:
        text += ("" if figures else facts.when) + opened[0] + "。"
        # a completion rate's 达到100% is said once, with the open items it closes
        targets = opened[1] + [t for t in targets if not (t.endswith("达到100%") and t in opened[1][0])]
    cause = "" if absent else _cause(facts, area, heading, figures[0].key if figures else "")
    if cause:
        text += ("究其原因，" if explained or opened else "主要原因是") + cause + "。"
    return Point(area, text, [t for t in dict.fromkeys(targets) if t])


def _staffing_point(facts) -> Point | None:
    """The force, where the roster shows something to mend: police without an enforcement
    qualification, squads without a legal officer, no legal officer at all. A roster with none
    of these makes no point (its stock cause would be contradicted by its own figures)."""
    from reports.drafting import roster_date

    on = roster_date(facts.year)
    roster = staffing(brigade_ids=facts.brigade_ids, on=on)
    if not roster["total"]:
        return None
    by = roster["by_category"]
    levels = roster["qualifications"]
    without = max(by["民警"] - sum(levels.values()), 0)
    legal = roster["legal_officers"]
    bare = selectors.squads_without_legal_officer(brigade_ids=facts.brigade_ids, names=facts.names)
    if not (without or bare or not legal):
        return None
    age = selectors.police_average_age(brigade_ids=facts.brigade_ids, on=on)
    held = "、".join(
        f"{level}执法资格{levels[level]}人" for level in ("高级", "中级", "基本级") if levels[level]
    )
    squads = "、".join(bare[:3]) + ("等" if len(bare) > 3 else "")
    text = (
        f"{STAFFING.shortcoming}。目前在职民警{by['民警']}人、辅警{by['辅警']}人"
        + (f"，民警平均年龄{age}岁" if age is not None else "")
        + (f"，取得{held}" if held else "")
        + (f"，尚有{without}名民警未取得执法资格" if without else "")
        + (f"，法制员{legal}人" if legal else "，尚未配备法制员")
        + (f"，{squads}尚无法制员" if legal and bare else "")
        + "。"
    )
    causes = []
    if without:
        causes.append("部分民警执法资格考试准备不足")
    if not legal:
        causes.append("法制员力量薄弱")
    elif bare:
        causes.append("法制员集中在部分中队，配备不均衡")
    text += f"主要原因是{'，'.join(causes)}。"
    targets = []
    if without:
        targets.append(f"组织{without}名尚未取得执法资格的民警参加考试，实现民警执法资格全覆盖")
    if not legal:
        targets.append("配备专职法制员")
    elif len(bare) == 1:
        targets.append(f"为{bare[0]}配备至少1名法制员")
    elif bare:
        targets.append(f"为{squads}{len(bare)}个中队各配备至少1名法制员")
    return Point(STAFFING, text, targets)


def _records_point(facts) -> Point | None:
    """The data check's warnings as one point: months without records said once for the ledgers
    that share them (违法查处、执法监督台账12月均无记录)."""
    from reports.quality import data_warnings

    found = [
        w
        for w in data_warnings(brigade_ids=facts.brigade_ids, year=facts.year)
        if w["kind"] != "empty" or w.get("usual", 0) >= 3
    ]
    if not found:
        return None
    stated = "；".join(dict.fromkeys(w["summary"] for w in found[:5]))
    return Point(
        RECORDS,
        f"{RECORDS.shortcoming}。{facts.when}{stated}。主要原因是{RECORDS.causes[0].text}。",
        ["每月5日前完成上月台账核对，数据检查提示按月清零"],
    )


def shortcoming_points(facts) -> list[Point]:
    """三's points: the areas where outcomes or rates got worse (the largest move first) and
    where items are still open, up to four, then the data check's warnings while there are
    fewer than three, then the staffing when the roster shows something to mend."""
    worse = _worse_by_area(facts)
    opened = _open_items(facts)
    grade = {area: _grade(_severity(figures[0])) for area, figures in worse.items()}
    grade.update({area: max(grade.get(area, 0), 1) for area in opened})  # open items are never slight
    order = sorted(grade, key=lambda area: (-grade[area], AREAS.index(area)))
    full = facts.last_full_year if facts.partial else None
    points = [_area_point(facts, area, worse.get(area, []), opened.get(area), full) for area in order[:4]]
    if len(points) < 3:
        records = _records_point(facts)
        if records:
            points.append(records)
    staff = _staffing_point(facts)
    if staff:
        points.append(staff)
    return points


def draft_shortcomings(facts) -> str:
    """三: two to four points in the seeds' form, （一）heading。facts。why."""
    return "\n".join(f"（{NUMERALS[n]}）{p.text}" for n, p in enumerate(facts.shortcomings))


def draft_plan(facts) -> str:
    """四: a point answering each shortcoming of 三 with a measure and the numbers to reach, then
    last year's plan points that answer none of them (retitled for the new year), then the
    standing tasks, three to five in all."""
    from reports.models import AnnualReport

    points = [p.plan for p in facts.shortcomings]
    headings = [p.area.heading for p in facts.shortcomings]
    previous = AnnualReport.objects.filter(
        brigade=facts.coverage.unit, kind="annual", year=facts.year - 1
    ).first()
    plan = previous.sections.filter(key="4").first() if previous else None
    for line in plan.body.splitlines() if plan else []:
        text = re.sub(r"^（[一二三四五六七八九十]+）", "", line.strip())
        text = re.sub(
            r"(\d{4})(?=年)",
            lambda m: str(int(m.group(1)) + 1) if int(m.group(1)) >= facts.year - 1 else m.group(1),
            text,
        )
        heading = text.split("。")[0]
        if (
            text
            and heading not in headings
            and not any(heading[:4] in h for h in headings)
            and len(points) < 5
        ):
            points.append(text.rstrip("。"))
            headings.append(heading)
    for area in STANDING:
        if len(points) >= 3:
            break
        if area.heading not in headings:
            points.append(f"{area.heading}。{area.measure}")
            headings.append(area.heading)
    return "\n".join(f"（{NUMERALS[n]}）{p}。" for n, p in enumerate(points[:5]))


def material(*, figures, brigade_ids, on) -> dict:
    """What 三 is written from, beside its editor: outcomes and rates that moved the wrong way
    (a workload never), and the roster."""
    worse = [_worse_fact(f) for f in figures.values() if f.worse]  # slight moves too: the officer decides
    roster = staffing(brigade_ids=brigade_ids, on=on)
    age = selectors.police_average_age(brigade_ids=brigade_ids, on=on)
    by = roster["by_category"]
    staff = (
        f"目前在职人员{roster['total']}人，其中民警{by['民警']}人、辅警{by['辅警']}人、工勤人员{by['工勤人员']}人"
        + (f"；民警平均年龄{age}岁（周岁）" if age is not None else "")
        + f"；法制员{roster['legal_officers']}人"
    )
    return {"worse": worse, "staffing": staff + "。", "roster": roster}
