"""Indicators of the brigade's own ledgers (docs/figures.md): study, meetings, regulations; and
the staffing snapshot that the report's 不足 section offers as material."""

import datetime

from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear

from brigade.figures import OUTCOME, count, register, total
from brigade.models import Meeting, Officer, Regulation, Training

NOT_LEADERS = ~Q(kind="领导班子集中学法")
TRAINING_BY = ("kind", "mode")

register(
    count(
        "training.leaders",
        "领导班子集中学法",
        Training,
        Q(kind="领导班子集中学法"),
        unit="次",
        kind=OUTCOME,
        better=True,
        why="领导班子集中学法是主要负责人履行法治建设第一责任人职责的规定动作，由班子自己安排，少于上年即为不足",
    ),
    count(
        "training.sessions",
        "组织学法培训",
        Training,
        NOT_LEADERS,
        unit="期",
        by=TRAINING_BY,
        why="期数取决于培训怎样编排（一期长班或几期短班），多少本身不分好坏；培训的覆盖看参训人次",
    ),
    total(
        "training.attendees",
        "参训",
        Training,
        "attendees",
        NOT_LEADERS,
        unit="人次",
        by=TRAINING_BY,
        kind=OUTCOME,
        better=True,
        why="参训人次是学法培训覆盖队伍的程度，培训由大队自己组织，人次减少即覆盖不足",
    ),
    count(
        "training.exams",
        "执法资格考试",
        Training,
        Q(kind="执法资格考试"),
        unit="次",
        why="执法资格考试由上级统一组织，次数不由大队决定",
    ),
    count("training.lectures", "法治讲座", Training, Q(kind="法治讲座"), unit="次", by=("mode",)),
    count(
        "meetings.party",
        "党委会",
        Meeting,
        Q(kind="党委会"),
        unit="次",
        why="党委会研究各项工作，次数不衡量法治建设",
    ),
    count(
        "meetings.rule_of_law",
        "法治建设专题会议",
        Meeting,
        Q(kind="法治建设专题会议"),
        unit="次",
        kind=OUTCOME,
        better=True,
        why="专题研究部署法治建设是第一责任人的履职要求，会议由大队自己安排，少于上年即研究部署不足",
    ),
    count(
        "meetings.supervision",
        "执法监督委员会会议",
        Meeting,
        Q(kind="执法监督委员会会议"),
        unit="次",
        kind=OUTCOME,
        better=True,
        why="执法监督委员会应定期开会研究执法监督，会议由大队自己安排，少于上年即监督的组织不足",
    ),
    count(
        "meetings.cases",
        "案件会商会",
        Meeting,
        Q(kind="案件会商会"),
        unit="次",
        why="案件会商随疑难案件多少而开，不分好坏",
    ),
    count("meetings.retreat", "法治建设务虚会", Meeting, Q(kind="务虚会"), unit="次"),
    count(
        "regulations.new",
        "新建制度",
        Regulation,
        Q(status="新建"),
        unit="项",
        by=("category",),
        why="制度按需要制定，制度体系健全以后新建减少是正常的，多少不分好坏",
    ),
    count("regulations.revised", "修订制度", Regulation, Q(status="修订"), unit="项", by=("category",)),
    count("regulations.repealed", "废止制度", Regulation, Q(status="废止"), unit="项", by=("category",)),
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
