"""The report's text drafted from the indicators, in the phrasing of the seed reports.

Every paragraph states figures of the report's period with the change since the same days of last
year (reports/phrasing.py writes the numbers); its closing words depend on those figures. A
sub-section whose ledgers hold nothing for the period drafts to "" and is left out of the document
rather than printing zeros. 三 and 四 are drafted in reports/shortcomings.py."""

import datetime
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from brigade.figures import Figure, Figures, Period, Rate, evaluate_with_each
from reports import phrasing, selectors
from reports.coverage import Coverage
from reports.documents import LEVEL1, LEVEL2, NUMERALS  # noqa: F401 — named here too


def report_period(year: int, today: datetime.date | None = None) -> Period:
    """The days a report of `year` counts: the whole year once it has ended; before that the
    year so far (to today, as the dashboard counts it), compared with the same days of last
    year, so that a draft in December never compares eleven months with twelve."""
    today = today or timezone.localdate()
    if year != today.year:
        return Period.year(year)
    return Period.year_to_date(year, today)


def period_words(period: Period) -> str:
    """How the text names the part of the year it counts: 全年, or 1—11月 when it ends with a
    month, or 1月1日至12月7日."""
    if period.is_whole_year:
        return "全年"
    last = period.end - datetime.timedelta(days=1)
    if period.end.day == 1:
        return "1月" if last.month == 1 else f"1—{last.month}月"
    return f"1月1日至{last.month}月{last.day}日"


def _among(whole: int, items: list[tuple[str, int]], *, all_words: str = "") -> str:
    """`，其中A、B` for the parts (text, value) of a whole; a single part that is the whole is
    not 其中 but `，{all_words}` (`均在事故现场调解成功`), or nothing."""
    items = [(text, value) for text, value in items if value]
    if not items:
        return ""
    if len(items) == 1 and items[0][1] >= whole:
        return f"，{all_words}" if all_words else ""
    return "，其中" + "、".join(text for text, _ in items)


class Facts:
    """The figures of one period, phrased: `value` the number, `count` it phrased, `versus` its
    change since the same days of last year. For a detachment's report the figures are summed
    over its brigades and `each` holds every brigade's own, so that the text can name the one
    that stands out (only among two or more: a 支队 of one brigade has no one to single out)."""

    def __init__(
        self, figures: Figures, coverage: Coverage, year: int, each: dict[int, Figures] | None = None
    ):
        self.f, self.coverage, self.year = figures, coverage, year
        self.period = figures.period
        words = period_words(self.period)  # 全年, or 1月1日至12月7日
        self.partial = words != "全年"
        self._period_words = f"{year}年{words}"
        self.said_period = False  # a part names its period in full once, then 今年以来
        # how 三 names last year's side: the whole year (上年), or the same days (去年同期)
        self.base = "去年同期" if self.partial else "上年"
        self.brigade_ids = coverage.ids
        self.all_each = each or {}
        self.each = (
            {b.pk: each[b.pk] for b in coverage.brigades} if len(coverage.brigades) > 1 and each else {}
        )
        self.names = coverage.names()
        self._leads = 0  # which of phrasing.LEADS the next comparison uses

    @property
    def when(self) -> str:
        """How a paragraph opens on its period: 2025年; or, for a part of the year, 2026年1月1日至
        12月7日 the first time in a part and 今年以来 after."""
        if not self.partial:
            return f"{self.year}年"
        if self.said_period:
            return "今年以来"
        self.said_period = True
        return self._period_words

    @property
    def span(self) -> str:
        """全年 (全年共查纠…), or the part of the year as `when` names it."""
        return self.when if self.partial else "全年"

    @property
    def leads(self) -> list[str]:
        """The comparisons the text rotates through: a part of the year is compared with the same
        days only (较去年同期, 同比), never with 上年 (last year's whole, in its own report)."""
        return ["较去年同期", "同比"] if self.partial else list(phrasing.LEADS)

    @cached_property
    def new_units(self) -> dict[str, list[int]]:
        """In a detachment's report, ledger key → the brigades that recorded it this period but not
        in last year's: their records cannot be compared, so the sums are compared without them."""
        found = {}
        for key in self.f:
            new = [
                b
                for b, figures in self.each.items()
                if figures[key].has_current and not figures[key].has_previous
            ]
            if new and len(new) < len(self.each):
                found[key] = new
        return found

    @cached_property
    def comparable(self) -> Figures:
        """The figures to compare with last year: the sums, but in a detachment where a brigade began
        recording a ledger this year, the sums over the other brigades only (rates recomputed)."""
        if not self.new_units:
            return self.f
        from brigade.figures import _percent

        result = Figures(self.f.period, dict(self.f))
        for key, figure in self.f.items():
            if isinstance(figure.item, Rate):
                continue
            new = set(self.new_units.get(key, ()))
            if new:
                kept = [figures[key] for b, figures in self.each.items() if b not in new]
                result[key] = Figure(
                    figure.item,
                    sum(f.current or 0 for f in kept),
                    sum(f.previous or 0 for f in kept),
                    has_previous=any(f.has_previous for f in kept),
                )
        for key, figure in self.f.items():
            if isinstance(figure.item, Rate):
                num, den = result[figure.item.numerator], result[figure.item.denominator]
                result[key] = Figure(
                    figure.item,
                    _percent(num.current, den.current),
                    _percent(num.previous, den.previous),
                    has_previous=den.has_previous,
                )
        return result

    def not_compared(self, key) -> str:
        """`（丙县大队今年起录入，不作比较）` after a detachment's comparison made without them."""
        item = self.f[key].item
        base = item.denominator if isinstance(item, Rate) else key
        new = self.new_units.get(base)
        if not new:
            return ""
        return f"（{'、'.join(self.names[b] for b in new)}今年起录入，不作比较）"

    @cached_property
    def last_full_year(self) -> Figures:
        """Last year's whole figures (as `current`): the base of 四's targets when this report counts
        only part of its year (a target for a year is set against a whole year)."""
        from brigade.figures import evaluate

        return evaluate(brigade_ids=self.brigade_ids, period=Period.year(self.year - 1))

    @cached_property
    def shortcomings(self) -> list:
        """三's points, counted once a draft: 四 answers the same points (and the data check
        behind them reads the year's records)."""
        from reports.shortcomings import shortcoming_points

        return shortcoming_points(self)

    @property
    def chief(self) -> str:
        """Who the principal leader is: 支队长 of a detachment, 大队长 of a brigade."""
        return "支队长" if self.coverage.is_detachment else "大队长"

    @property
    def whole(self) -> str:
        """`全支队` before a detachment's summed figure ("" for a brigade's own)."""
        return "全支队" if self.coverage.is_detachment else ""

    def own(self, *keys) -> tuple[list[int], Figures, str]:
        """Whose records 二 speaks of (the leadership's own work): a brigade's own; a
        detachment's own when it recorded any of `keys`, else its brigades' summed, said plainly
        (`各大队`). Returns the brigade ids, their figures and that word."""
        if not self.coverage.is_detachment:
            return self.brigade_ids, self.f, ""
        unit = self.coverage.unit.pk
        mine = self.all_each.get(unit)
        if mine is not None and any(mine.value(key) for key in keys):
            return [unit], mine, ""
        brigades = self.coverage.brigades
        return self.brigade_ids, self.f, "各大队" if len(brigades) > 1 else str(brigades[0])

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
        worse most (`，其中丙县大队由1起增至4起，增加最多`), or the brigades tied for it
        (`，其中甲县大队、丙县大队增加最多，各增加3起`); "" for a brigade's report or when no
        brigade of its own got worse."""
        if not self.each:
            return ""
        key, is_rate = figure.key, isinstance(figure.item, Rate)
        found = {}
        for b, figures in self.each.items():
            own = figures[key]
            if own.worse:
                found[b] = own
        if not found:
            return ""
        shown = (
            (lambda v: phrasing.percent(v)) if is_rate else (lambda v: phrasing.count(int(v)) + figure.unit)
        )
        size = {b: abs(Decimal(own.current or 0) - Decimal(own.previous or 0)) for b, own in found.items()}
        top = max(size.values())
        first = [b for b in found if size[b] == top]
        up = found[first[0]].current > found[first[0]].previous
        if is_rate:
            verb, most = ("升至", "上升最多") if up else ("降至", "下降最多")
        else:
            verb, most = ("增至", "增加最多") if up else ("减至", "减少最多")
        if len(first) > 1:
            moved = (
                f"{phrasing.percent(top)}个百分点" if is_rate else f"{phrasing.count(int(top))}{figure.unit}"
            )
            names = "、".join(self.names[b] for b in first)
            return f"，其中{names}{most}，各{most[:2]}{moved}"
        b, own = first[0], found[first[0]]
        return f"，其中{self.names[b]}由{shown(own.previous)}{verb}{shown(own.current)}，{most}"

    def has(self, key) -> bool:
        return key in self.f

    def value(self, key) -> int:
        return int(self.f.value(key))

    def count(self, key) -> str:
        return phrasing.count(self.value(key))

    def versus(self, key) -> str:
        """`，同比上升12.5%`, to follow the figure; "" when there is nothing honest to compare:
        last year's ledger held nothing (the brigade began recording this year), or the figure
        got worse, which 成效 does not boast of (三 takes it up)."""
        figure = self.comparable[key]
        if not figure.has_previous or figure.worse:
            return ""
        lead = self.leads[self._leads % len(self.leads)]
        if figure.trend in ("up", "down") and figure.previous:
            self._leads += 1  # the next rise or fall is said another way
        changed = phrasing.change(figure.current or 0, figure.previous or 0, lead=lead)
        if self.new_units.get(key):
            kept = "、".join(self.names[b] for b in self.each if b not in self.new_units[key])
            return f"，{kept}{changed}{self.not_compared(key)}"
        return "，" + changed

    def worse(self, *keys) -> bool:
        """Whether any of `keys` (those computed) got worse by its declared direction."""
        return any(self.comparable[k].worse for k in keys if k in self.f)

    def gained(self, *keys) -> bool:
        """Whether the outcomes among `keys` show a gain and no loss: the condition for a closing
        phrase such as 不断增强 (all flat is no gain)."""
        present = [self.comparable[k] for k in keys if k in self.f]
        return any(f.better for f in present) and not any(f.worse for f in present)

    def rate(self, key) -> str | None:
        value = self.f[key].current
        return None if value is None else phrasing.percent(value)

    def rate_change(self, key, name) -> str | None:
        figure = self.f[key]
        if self.not_compared(key) or not figure.has_previous:  # nothing whole to compare with
            return phrasing.rate_change(name, figure.current, None)
        base = "去年同期" if self.partial else "去年"
        return phrasing.rate_change(name, figure.current, figure.previous, base=base)

    def q(self, key) -> str:
        """The count with its unit as declared (`1169起`): units live in indicators.py only."""
        return self.count(key) + self.f[key].unit

    def listing(self, items) -> str:
        """`查处酒醉驾1169起、超载3517起`: the non-zero items, joined with 、."""
        return "、".join(f"{label}{self.q(key)}" for label, key in items if self.value(key))


def draft_study(facts: Facts) -> str:
    if not facts.value("training.sessions"):
        return ""
    sessions = facts.value("training.sessions")
    kinds = [("法治讲座", "training.lectures"), ("执法资格考试", "training.exams")]
    inner = _among(
        sessions,
        [(f"{label}{facts.q(key)}", facts.value(key)) for label, key in kinds],
        all_words="均为" + "、".join(label for label, key in kinds if facts.value(key)),
    ).removeprefix("，")
    leaders = f"领导班子集中学法{facts.q('training.leaders')}另计" if facts.value("training.leaders") else ""
    noted = "；".join(part for part in (inner, leaders) if part)
    studied = selectors.laws_studied(brigade_ids=facts.brigade_ids, period=facts.period, leaders=False)
    closing = "，队伍法治素养不断提升" if facts.gained("training.attendees") else ""
    return (
        f"坚持把学法培训作为提升队伍法治素养的基础性工作，{facts.when}面向民警辅警组织学法培训"
        f"{facts.q('training.sessions')}"
        + (f"（{noted}）" if noted else "")
        + f"{facts.versus('training.sessions')}，"
        f"参训{facts.q('training.attendees')}{facts.versus('training.attendees')}"
        + (f"，系统学习了{_studied(studied)}" if studied else "")
        + closing
        + "。"
        + facts.foremost("training.sessions", "组织学法培训")
    )


def draft_enforcement(facts: Facts) -> str:
    paragraphs = []
    if facts.value("violations.total"):
        three = facts.listing(
            [
                ("超速", "violations.speeding"),
                ("超载超员", "violations.overload"),
                ("疲劳驾驶", "violations.fatigue"),
            ]
        )
        total = sum(
            facts.value(k) for k in ("violations.speeding", "violations.overload", "violations.fatigue")
        )
        unit = facts.f["violations.speeding"].unit
        groups = "、".join(
            part
            for part in [
                facts.listing([("酒醉驾", "violations.drunk")]),
                f"“三超一疲劳”{phrasing.count(total)}{unit}（{three}）"
                if "、" in three
                else (
                    f"“三超一疲劳”{phrasing.count(total)}{unit}（均为{three.rstrip('0123456789.万余' + unit)}）"
                    if total
                    else ""
                ),
                facts.listing(
                    [
                        ("不戴安全头盔", "violations.helmet"),
                        ("违法载人", "violations.passengers"),
                        ("涉牌涉证", "violations.plates"),
                    ]
                ),
            ]
            if part
        )
        drunk, severe = facts.value("violations.drunk"), facts.value("violations.drunk_severe")
        if severe and groups.startswith("酒醉驾"):
            inner = f"（其中醉驾{facts.q('violations.drunk_severe')}）" if severe < drunk else "（均为醉驾）"
            first, _, rest = groups.partition("、")
            groups = first + inner + ("、" + rest if rest else "")
        split = [
            (f"{label}{facts.q(key)}", facts.value(key))
            for label, key in [("现场查处", "violations.onsite"), ("非现场查处", "violations.offsite")]
        ]
        paragraphs.append(
            "聚焦易引发事故的重点交通违法行为，保持严管高压态势。"
            f"{facts.span}共查纠各类交通违法行为{facts.q('violations.total')}{facts.versus('violations.total')}"
            + _among(facts.value("violations.total"), split)
            + (f"；查处{groups}" if groups else "")
            + "。"
            + (
                facts.foremost("violations.drunk", "查处酒醉驾")
                or facts.foremost("violations.total", "查纠交通违法行为")
            )
        )
    if facts.value("campaigns.count"):
        names = selectors.main_campaigns(brigade_ids=facts.brigade_ids, period=facts.period)
        named = phrasing.quoted(names) + "等" if names else "各类"
        joint = ""
        if facts.value("campaigns.joint"):
            partners = selectors.partner_departments(brigade_ids=facts.brigade_ids, period=facts.period)
            who = f"联合{'、'.join(partners)}等部门" if partners else "联合相关部门"
            joint = _among(
                facts.value("campaigns.count"),
                [(f"{who}开展{facts.q('campaigns.joint')}", facts.value("campaigns.joint"))],
                all_words=f"均为{who}开展",
            ).removeprefix("，")
        closing = "持续整治突出交通违法行为" if facts.worse("accidents.total") else "有力净化了道路通行环境"
        paragraphs.append(
            f"组织开展{named}专项行动{facts.q('campaigns.count')}"
            + (f"（{joint}）" if joint else "")
            + f"、{facts.q('campaigns.batches')}，出动警力{facts.q('campaigns.officers')}，{closing}。"
        )
    return "\n".join(paragraphs)


def draft_lenient(facts: Facts) -> str:
    if not (
        facts.value("violations.lenient")
        or facts.value("violations.lighter")
        or facts.value("violations.mitigated")
    ):
        return ""
    kinds = [("警告", "violations.warning"), ("不予处罚", "violations.no_penalty")]
    parts = facts.listing(kinds)
    used = [label for label, key in kinds if facts.value(key)]
    if len(used) == 1 and facts.value(dict(kinds)[used[0]]) == facts.value("violations.lenient"):
        parts = f"均为{used[0]}"
    others = facts.listing([("从轻处罚", "violations.lighter"), ("减轻处罚", "violations.mitigated")])
    text = "落实“首违警告、轻微不罚”制度，对情节轻微、未造成危害后果的交通违法行为坚持教育与处罚相结合"
    if facts.value("violations.lenient"):
        text += f"，{facts.span}实施柔性执法{facts.q('violations.lenient')}（{parts}）{facts.versus('violations.lenient')}"
    if others:
        text += f"；依法{others}"
    return text + "，体现了执法温度。"


SUPERVISION_KINDS = [
    ("网上执法巡查", "supervision.online"), ("现场执法检查", "supervision.onsite"),
    ("执法质量考评", "supervision.quality"), ("案卷评查", "supervision.files"),
    ("执法记录仪检查", "supervision.recorder"), ("案件审核会商", "supervision.review"),
    ("警情回访", "supervision.callback"),
]  # fmt: skip


def draft_supervision(facts: Facts) -> str:
    if not facts.value("supervision.total"):
        return ""
    kinds = [(label, key) for label, key in SUPERVISION_KINDS if facts.value(key)]
    only = f"均为{kinds[0][0]}" if len(kinds) == 1 else ""
    text = (
        f"健全日常执法监督检查机制，{facts.span}开展执法监督{facts.q('supervision.total')}"
        f"{facts.versus('supervision.total')}"
        + _among(
            facts.value("supervision.total"),
            [(f"{label}{facts.q(key)}", facts.value(key)) for label, key in kinds],
            all_words=only,
        )
    )
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
    found = facts.value("supervision.problems_found")
    if found:
        fixed = facts.value("supervision.problems_fixed")
        text += f"发现执法问题{facts.q('supervision.problems_found')}，已整改{facts.q('supervision.problems_fixed')}"
        rate = facts.rate("supervision.fix_rate")
        text += f"，整改率{rate}" if rate else ""
        if fixed < found:
            text += f"，其余{phrasing.count(found - fixed)}{facts.f['supervision.problems_found'].unit}正在跟踪整改"
        else:
            text += "，做到问题见底、整改清零"
        text += "。"
    return text.rstrip("；") + ("" if text.endswith("。") else "。")


def _audiences(found: list[tuple[str, int]]) -> str:
    """The groups publicity reached as the seeds name them: the particular groups (中小学生、
    职业驾驶人…), never the ledger's catch-all 一般群众 pasted as if it were one."""
    from publicity.models import PublicityEvent

    named = [group for group, _ in found if group != PublicityEvent.Audience.PUBLIC]
    return "、".join(named[:4])


def draft_publicity(facts: Facts) -> str:
    from publicity.models import MediaWork, PublicityEvent

    if not (facts.value("events.total") or facts.value("media.total")):
        return ""
    text = "深入落实“谁执法谁普法”普法责任制"
    settings = []
    if facts.value("events.total"):
        forms = [(k.value, f"events.{k.name.lower()}") for k in PublicityEvent.Kind]
        forms = sorted(
            (item for item in forms if facts.value(item[1])), key=lambda item: -facts.value(item[1])
        )[:5]
        settings = [label for label, _ in forms if label.startswith("进")]
        text += (
            f"，{facts.span}开展交通安全宣传活动{facts.q('events.total')}{facts.versus('events.total')}"
            + _among(
                facts.value("events.total"),
                [(f"{label}{facts.q(key)}", facts.value(key)) for label, key in forms],
                all_words=f"均为{forms[0][0]}活动" if forms else "",
            )
            + f"，受教育群众{facts.q('events.attendees')}{facts.versus('events.attendees')}"
        )
        groups = _audiences(selectors.audiences(brigade_ids=facts.brigade_ids, period=facts.period))
        if groups:
            text += f"，重点面向{groups}等群体"
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
    publicity = [k for k in facts.f if k.startswith(("events.", "media."))]
    if facts.gained(*publicity) and not facts.worse("accidents.total"):  # not while accidents rise
        closing = "，全民交通安全意识和法治意识不断增强。"
    elif settings:  # where the work went, not a gain the figures deny
        closing = f"；通过宣传活动推动交通安全知识{'、'.join(settings[:3])}。"
    else:
        closing = "。"
    return text + closing + facts.foremost("events.total", "开展宣传活动")


def draft_mediation(facts: Facts) -> str:
    paragraphs = []
    if facts.value("calls.total"):
        text = f"{facts.span}共接警{facts.q('calls.total')}{facts.versus('calls.total')}"
        if facts.value("calls.visited"):
            visited, calls = facts.value("calls.visited"), facts.value("calls.total")
            text += f"，回访群众{facts.q('calls.visited')}"
            if visited >= calls:
                text += "，做到接警必回访"
            elif facts.has("calls.visit_rate") and facts.rate("calls.visit_rate"):
                text += f"，回访率{facts.rate('calls.visit_rate')}"
            if facts.value("calls.unsatisfied"):
                text += f"，回访不满意{facts.q('calls.unsatisfied')}{facts.versus('calls.unsatisfied')}"
            elif facts.f["calls.unsatisfied"].has_previous and facts.f["calls.unsatisfied"].previous:
                text += "，回访无不满意"
        paragraphs.append(text + "。")
    if facts.value("accidents.total"):
        text = f"处理道路交通事故{facts.q('accidents.total')}{facts.versus('accidents.total')}"
        if facts.value("accidents.quick"):
            text += _among(
                facts.value("accidents.total"),
                [(f"适用“快处快赔”程序{facts.q('accidents.quick')}", facts.value("accidents.quick"))],
                all_words="均适用“快处快赔”程序",
            )
        mediated = facts.value("accidents.mediated")
        if mediated:
            levels = facts.listing(
                [
                    ("轻微事故", "accidents.mediated_minor"),
                    ("一般事故", "accidents.mediated_ordinary"),
                    ("重大事故", "accidents.mediated_major"),
                    ("特大事故", "accidents.mediated_grave"),
                ]
            )
            text += f"；成功调解交通事故{facts.q('accidents.mediated')}（{levels}）"
            if facts.value("accidents.mediated_onsite"):
                text += _among(
                    mediated,
                    [
                        (
                            f"事故现场成功调解{facts.q('accidents.mediated_onsite')}",
                            facts.value("accidents.mediated_onsite"),
                        )
                    ],
                    all_words="均在事故现场调解成功",
                )
            rate = facts.rate("accidents.mediation_rate")
            text += f"，调解成功率{rate}" if rate else ""
        closing = "" if facts.worse("accidents.mediation_rate") else "，及时化解了矛盾纠纷"
        paragraphs.append(text + closing + "。" + facts.foremost("accidents.mediated", "成功调解交通事故"))
    if facts.value("complaints.received"):
        received, closed = facts.value("complaints.received"), facts.value("complaints.closed")
        text = f"畅通群众诉求渠道，{facts.span}受理群众投诉举报{facts.q('complaints.received')}{facts.versus('complaints.received')}"
        text += f"，办结{facts.q('complaints.closed')}"
        if closed < received:  # the rest of those received, said beside them
            text += f"，其余{phrasing.count(received - closed)}{facts.f['complaints.received'].unit}正在办理"
        rate = facts.rate("complaints.close_rate")
        text += f"，办结率{rate}" if rate else ""
        satisfaction = facts.rate("complaints.satisfaction")
        text += f"，群众满意率{satisfaction}" if satisfaction else ""
        if closed >= received and not facts.worse("complaints.satisfaction"):
            text += "，做到件件有回音、事事有着落"
        paragraphs.append(text + "。")
    return "\n".join(paragraphs)


MEETINGS = [
    ("党委会", "meetings.party"), ("法治建设专题会议", "meetings.rule_of_law"),
    ("执法监督委员会会议", "meetings.supervision"), ("案件会商会", "meetings.cases"),
    ("法治建设务虚会", "meetings.retreat"),
]  # fmt: skip


def _heads(facts: Facts) -> set[str]:
    """How the meetings ledger writes the head as chair: the title (大队长/支队长), the unit's
    default signer and its leaders' names."""
    from brigade.models import User

    unit = facts.coverage.unit
    names = {
        user.get_full_name().strip()
        for user in User.objects.filter(brigade=unit, role="leader", is_active=True)
    }
    return {facts.chief, "大队长" if not facts.coverage.is_detachment else "支队长", unit.signer, *names} - {
        ""
    }


def draft_leadership(facts: Facts) -> str:
    """二(一) from the leadership's own records: the meetings held and those the head chaired,
    with the matters they studied. A detachment's from its own meetings; when it recorded none,
    the brigades' summed, said so."""
    ids, figures, whose = facts.own(*(key for _, key in MEETINGS))
    held = [(label, key) for label, key in MEETINGS if figures.value(key)]
    if not held:
        return ""
    listed = "、".join(
        f"{label}{phrasing.count(int(figures.value(key)))}{figures[key].unit}" for label, key in held
    )
    total = sum(int(figures.value(key)) for _, key in held)
    if whose:  # the brigades' meetings are not the 支队长's own work
        text = (
            f"{facts.chief}切实履行推进法治建设第一责任人职责，督促指导所属大队落实法治建设第一责任人职责。"
        )
    else:
        text = (
            f"{facts.chief}切实履行推进法治建设第一责任人职责，对法治建设重要工作亲自部署、重大问题亲自过问、"
            f"重点环节亲自协调。"
        )
    if whose:
        text += f"{facts.when}{whose}共召开{listed}"
    else:
        text += f"{facts.when}共召开{listed}"
        chaired = selectors.meetings_chaired(brigade_ids=ids, period=facts.period, heads=_heads(facts))
        n = sum(chaired.values())
        if n and n < total:
            text += f"，其中{facts.chief}主持召开{phrasing.count(n)}次"
        elif n:
            text += f"，均由{facts.chief}主持召开"
    topics = selectors.meeting_topics(
        brigade_ids=ids, period=facts.period, kinds=["法治建设专题会议", "执法监督委员会会议", "务虚会"]
    )
    text += f"，{'；'.join(topics)}" if topics else "，专题研究部署法治政府建设和执法规范化建设工作"
    return text + "。"


def draft_regulations(facts: Facts) -> str:
    ids, _, whose = facts.own("regulations.new", "regulations.revised")
    rows = selectors.rules_made(brigade_ids=ids, period=facts.period)
    if not rows:
        return ""
    made = [name for name, status in rows if status == "新建"]
    revised = [name for name, status in rows if status == "修订"]
    parts = []
    if made:
        parts.append(f"制定了{_titles(made)}")
    if revised:
        parts.append(f"修订了{_titles(revised)}")
    return f"坚持用制度规范执法行为，{whose}" + "，".join(parts) + "，推动执法规范化建设制度化、常态化。"


def _titles(names) -> str:
    """《A》 alone; 《A》《B》…等13项制度 for several (at most five named), each name once."""
    names = list(dict.fromkeys(names))
    if len(names) == 1:
        return phrasing.join_titles(names)
    return f"{phrasing.join_titles(names[:5])}等{len(names)}项制度"


def draft_leaders_study(facts: Facts) -> str:
    ids, figures, whose = facts.own("training.leaders")
    if not figures.value("training.leaders"):
        return ""
    studied = selectors.laws_studied(brigade_ids=ids, period=facts.period, leaders=True)
    studied = f"，重点学习了{_studied(studied)}" if studied else ""
    leaders = f"{phrasing.count(int(figures.value('training.leaders')))}{figures['training.leaders'].unit}"
    versus = facts.versus("training.leaders") if figures is facts.f else ""
    who = f"{whose}领导班子共集中学法" if whose else "组织领导班子集中学法"
    return (
        f"坚持领导干部带头尊法学法守法用法，{facts.when}{who}{leaders}{versus}{studied}，"
        "以“关键少数”示范带动全警法治素养提升。"
    )


def _studied(found: list[str], limit: int = 5) -> str:
    """习近平法治思想、《纲要》和《A》《B》等法律法规: the thought first, then the policy documents
    (not laws: reports/laws.py), then the laws."""
    from reports.laws import DOCUMENTS, THOUGHT

    thought = [THOUGHT] if THOUGHT in found else []
    documents = [f for f in found if f.strip("《》") in DOCUMENTS]
    laws = [f for f in found if f != THOUGHT and f not in documents][:limit]
    before = "、".join([*thought, *documents])
    if before and laws:
        return f"{before}和{phrasing.join_titles(laws)}等法律法规"
    return before or f"{phrasing.join_titles(laws)}等法律法规"


def draft_all(
    *, coverage: Coverage, year: int, today: datetime.date | None = None, document=None
) -> tuple[dict[str, str], Figures]:
    """Every drafted part's text of `document` (by default the annual report) for `year`, and the
    figures it was drafted from (summed over the coverage's brigades: a detachment's document is
    the same drafting over more brigades), over `report_period(year)`: the year, or the year so
    far against the same days of last year. Its parts and drafters are its declaration's
    (reports/documents.py), checked at `manage.py check`."""
    from reports import documents

    document = document or documents.get("annual")
    figures, each = evaluate_with_each(brigade_ids=coverage.ids, period=report_period(year, today))
    facts = Facts(figures, coverage, year, each)
    texts = {}
    part_of = None
    for part in document.drafted:
        if part.key.split(".")[0] != part_of:  # each of 一、二、三、四 names its period in full once
            part_of, facts.said_period = part.key.split(".")[0], False
        texts[part.key] = part.drafter(facts)
    return texts, figures


def shortcomings_material(*, figures: Figures, brigade_ids, on) -> dict:
    """What 三 (不足和原因) is written from, beside its editor (reports.shortcomings)."""
    from reports.shortcomings import material

    return material(figures=figures, brigade_ids=brigade_ids, on=on)


def roster_date(year: int) -> datetime.date:
    """The day the staffing of a year's report is counted on: its last day, or today for the
    year under way. The text and the page beside the editor both count on it."""
    return min(datetime.date(year, 12, 31), timezone.localdate())


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
    units = (
        [coverage.unit.pk]
        if any(each[coverage.unit.pk][k].current or each[coverage.unit.pk][k].previous for k in keys)
        else []
    )
    rows = [
        {
            "name": names[b] if b != coverage.unit.pk else "支队本级",
            "brigade_id": b,
            "cells": [_cell(each[b][k]) for k in keys],
        }
        for b in [*(x.pk for x in coverage.brigades), *units]
    ]
    rows.append({"name": "合计", "brigade_id": None, "cells": [_cell(figures[k]) for k in keys]})
    headers = [f"{label}（{figures[key].unit}）" for key, label in UNIT_TABLE]
    return {
        "title": f"{year}年各大队法治政府建设主要指标情况表",
        "headers": headers,
        "rows": rows,
        "note": UNIT_TABLE_NOTE,
    }
