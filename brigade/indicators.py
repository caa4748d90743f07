"""Indicators of the brigade's own ledgers (docs/figures.md): study, meetings, regulations; and
the staffing snapshot that the report's 不足 section offers as material."""

import datetime

from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear

from brigade.figures import count, register, total
from brigade.models import Meeting, Officer, Regulation, Training

NOT_LEADERS = ~Q(kind="领导班子集中学法")

register(
    count(
        "training.leaders",
        "领导班子集中学法",
        Training,
        Q(kind="领导班子集中学法"),
        unit="次",
        better=True,
    ),  # fmt: skip
    count("training.sessions", "组织学法培训", Training, NOT_LEADERS, unit="期", better=True),
    total("training.attendees", "参训", Training, "attendees", NOT_LEADERS, unit="人次", better=True),
    count(
        "training.exams",
        "执法资格考试",
        Training,
        Q(kind="执法资格考试"),
        unit="次",
    ),
    count("training.lectures", "法治讲座", Training, Q(kind="法治讲座"), unit="次"),
    count("meetings.party", "党委会", Meeting, Q(kind="党委会"), unit="次"),
    count(
        "meetings.rule_of_law",
        "法治建设专题会议",
        Meeting,
        Q(kind="法治建设专题会议"),
        unit="次",
        better=True,
    ),  # fmt: skip
    count(
        "meetings.supervision",
        "执法监督委员会会议",
        Meeting,
        Q(kind="执法监督委员会会议"),
        unit="次",
        better=True,
    ),  # fmt: skip
    count("meetings.cases", "案件会商会", Meeting, Q(kind="案件会商会"), unit="次"),
    count("meetings.retreat", "法治建设务虚会", Meeting, Q(kind="务虚会"), unit="次"),
    count(
        "regulations.new",
        "新建制度",
        Regulation,
        Q(status="新建"),
        unit="项",
        better=True,
    ),
    count("regulations.revised", "修订制度", Regulation, Q(status="修订"), unit="项"),
    count("regulations.repealed", "废止制度", Regulation, Q(status="废止"), unit="项"),
)

SERVING = ["在职", "借调"]


def staffing(*, brigade_ids, on: datetime.date) -> dict:
    """The roster as it stands: people serving by category, the police officers' average age,
    legal officers, and enforcement qualifications by level. Two aggregate queries."""
    serving = Officer.objects.filter(brigade_id__in=list(brigade_ids), status__in=SERVING)
    by_category = dict(serving.values_list("category").annotate(n=Count("pk")).order_by())
    police = serving.filter(category="民警")
    stats = police.aggregate(
        year=Avg(ExtractYear("birth_date")),
        month=Avg(ExtractMonth("birth_date")),
        legal=Count("pk", filter=Q(is_legal_officer="是")),
        **{f"q_{level}": Count("pk", filter=Q(qualification=level)) for level in ("基本级", "中级", "高级")},
    )
    average_age = None
    if stats["year"] is not None:
        born = stats["year"] + (stats["month"] - 1) / 12
        average_age = round(on.year + (on.month - 1) / 12 - born, 1)
    return {
        "total": sum(by_category.values()),
        "by_category": {c: by_category.get(c, 0) for c in Officer.Category.values},
        "police_average_age": average_age,
        "legal_officers": stats["legal"],
        "qualifications": {level: stats[f"q_{level}"] for level in ("基本级", "中级", "高级")},
    }
