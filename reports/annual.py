"""《关于{年}年法治政府建设情况的报告》: the annual report a brigade (or a 支队, over its brigades)
sends its superiors, in the five parts of the seeds (docs/report.md). One declaration
(reports/documents.py); the drafters live in reports/drafting.py and reports/shortcomings.py."""

from reports import drafting as d
from reports import shortcomings as s
from reports.documents import BRIGADE, DETACHMENT, LEVEL1, LEVEL2, DocumentKind, Part, register
from reports.docx_template import DEFAULT_TEMPLATE_PATH


def opening(*, coverage, year: int, addressee: str) -> str:
    leaders = addressee.rstrip("：:") or "上级党委政府"
    scope = ""
    if coverage.is_detachment:  # whose figures the report sums (docs/report.md, 支队报告)
        names = "、".join(str(b) for b in coverage.brigades)
        scope = f"全支队（含{names}，共{len(coverage.brigades)}个大队）"
    return (
        f"{year}年，{coverage.unit.name}在{leaders}和上级公安机关的正确领导下，坚持以习近平法治思想为指导，"
        "紧紧围绕道路交通安全管理中心工作，全面推进严格规范公正文明执法，法治政府建设各项工作取得新成效。"
        f"现将{year}年{scope}法治政府建设情况报告如下："
    )


TRAINING = (
    "training.sessions",
    "training.attendees",
    "training.exams",
    "training.leaders",
    "training.lectures",
)
ENFORCEMENT = (
    "violations.total", "violations.onsite", "violations.offsite", "violations.drunk", "violations.drunk_severe",
    "violations.speeding", "violations.overload", "violations.passengers", "violations.fatigue",
    "violations.helmet", "violations.plates", "accidents.total",
    "campaigns.count", "campaigns.batches", "campaigns.joint", "campaigns.officers",
)  # fmt: skip
LENIENT = ("violations.lenient", "violations.no_penalty", "violations.lighter", "violations.mitigated",
           "violations.warning")  # fmt: skip
SUPERVISION = (
    "supervision.total", "supervision.files_checked", "supervision.recorder_checked", "supervision.recorder_rate",
    "supervision.problems_found", "supervision.problems_fixed", "supervision.fix_rate", "supervision.notices",
    "supervision.callback", "supervision.files", "supervision.online", "supervision.onsite",
    "supervision.quality", "supervision.recorder", "supervision.review",
)  # fmt: skip
PUBLICITY = ("events.total", "events.attendees", "events.materials", "media.total", "media.views",
             "media.safety_tip", "accidents.total")  # fmt: skip
MEDIATION = (
    "accidents.total", "accidents.quick", "accidents.mediated", "accidents.mediation_rate",
    "accidents.mediated_onsite", "accidents.mediated_minor", "accidents.mediated_ordinary",
    "accidents.mediated_major", "accidents.mediated_grave", "calls.total", "calls.visited", "calls.visit_rate",
    "calls.unsatisfied", "complaints.received", "complaints.closed", "complaints.close_rate",
    "complaints.satisfaction",
)  # fmt: skip
# 三 and 四 weigh every area of reports/shortcomings.py (AREAS, TARGETS, UNCAPPED, open items).
SHORTCOMINGS = (
    "training.sessions", "training.attendees", "training.leaders", "campaigns.officers", "violations.offsite",
    "supervision.total", "supervision.files_checked", "supervision.recorder_rate", "supervision.problems_found",
    "supervision.fix_rate", "events.attendees", "events.villages", "media.views", "accidents.mediation_rate",
    "calls.satisfaction", "calls.unsatisfied", "complaints.received", "complaints.close_rate",
    "complaints.satisfaction", "meetings.rule_of_law", "meetings.supervision",
)  # fmt: skip
MEETINGS = (
    "meetings.rule_of_law",
    "meetings.party",
    "meetings.cases",
    "meetings.supervision",
    "meetings.retreat",
)

ANNUAL = register(
    DocumentKind(
        kind="annual",
        name="年度法治政府建设情况报告",
        levels=(BRIGADE, DETACHMENT),
        period="year",
        title="{unit}关于{year}年法治政府建设情况的报告",
        opening=opening,
        parts=(
            Part("1", LEVEL1, "{year}年推进法治政府建设的主要举措和成效"),
            Part("1.study", LEVEL2, "强化学法培训，提升队伍法治素养", d.draft_study, TRAINING),
            Part("1.enforce", LEVEL2, "严格规范执法，保持严管高压态势", d.draft_enforcement, ENFORCEMENT),
            Part("1.lenient", LEVEL2, "推行柔性执法，体现执法温度", d.draft_lenient, LENIENT),
            Part("1.supervision", LEVEL2, "强化执法监督，提升执法质量", d.draft_supervision, SUPERVISION),
            Part("1.publicity", LEVEL2, "深化普法宣传，营造良好法治氛围", d.draft_publicity, PUBLICITY),
            Part("1.mediation", LEVEL2, "化解矛盾纠纷，维护社会和谐稳定", d.draft_mediation, MEDIATION),
            Part("2", LEVEL1, "党政主要负责人履行推进法治建设第一责任人职责情况"),
            Part("2.lead", LEVEL2, "强化对法治建设的组织领导", d.draft_leadership, MEETINGS),
            Part(
                "2.rules",
                LEVEL2,
                "健全完善制度机制",
                d.draft_regulations,
                ("regulations.new", "regulations.revised"),
            ),
            Part("2.study", LEVEL2, "带头尊法学法守法用法", d.draft_leaders_study, ("training.leaders",)),
            Part("3", LEVEL1, "推进法治政府建设存在的不足和原因", s.draft_shortcomings, SHORTCOMINGS),
            Part("4", LEVEL1, "{next_year}年推进法治政府建设的主要安排", s.draft_plan, SHORTCOMINGS),
            Part("5", LEVEL1, "其他需要报告的情况", optional=True),
        ),
        template=DEFAULT_TEMPLATE_PATH,
        locks_period=True,
        public_edition=True,
        unit_table=True,
    )
)
