"""Mediation indicators (docs/figures.md): calls and follow-up, accidents and their mediation,
complaints and how they were closed."""

from django.db.models import Q

from brigade.figures import OUTCOME, Rate, count, register
from mediation.models import AccidentCase, Complaint, PoliceCall

SUCCESS = Q(mediation_result="调解成功")
MEDIATION_BY = ("severity", "mediation_method")

# Calls and their follow-ups are a workload: how many follow the public's calls. A follow-up count
# merely follows the calls, so it is judged by its rates (回访率, 回访满意率); a dissatisfied
# follow-up is an outcome.
register(
    count(
        "calls.total",
        "接警",
        PoliceCall,
        by=("category", "follow_up"),
        why="接警多少随群众报警多少而定，不分好坏",
    ),
    count("calls.accidents", "交通事故警情", PoliceCall, Q(category="交通事故"), by=("follow_up",)),
    count(
        "calls.visited",
        "回访",
        PoliceCall,
        ~Q(follow_up="未回访"),
        unit="人次",
        by=("category", "follow_up"),
        why="回访跟随接警：接警少了回访自然少，按回访率评判",
    ),
    count(
        "calls.satisfied",
        "回访满意",
        PoliceCall,
        Q(follow_up__in=["满意", "基本满意"]),
        unit="人次",
        by=("category",),
        why="跟随回访，按回访满意率评判",
    ),
    count(
        "calls.unsatisfied",
        "回访不满意",
        PoliceCall,
        Q(follow_up="不满意"),
        unit="人次",
        by=("category",),
        kind=OUTCOME,
        better=False,
        why="回访不满意是群众对处警的直接负面评价，越少越好",
    ),
    Rate(
        "calls.satisfaction",
        "回访满意率",
        "calls.satisfied",
        "calls.visited",
        better=True,
        why="回访满意率越高，群众对处警越满意",
    ),
    Rate(
        "calls.visit_rate",
        "回访率",
        "calls.visited",
        "calls.total",
        better=True,
        why="回访率越高，回访制度落实得越好，没有回访到的群众越少",
    ),
    count(
        "accidents.total",
        "交通事故",
        AccidentCase,
        by=("severity", "procedure"),
        kind=OUTCOME,
        better=False,
        why="交通事故起数是道路交通安全状况的结果，越少越好",
    ),
    count(
        "accidents.quick",
        "快处快赔",
        AccidentCase,
        Q(procedure="快处快赔"),
        by=("severity",),
        why="快处快赔跟随事故起数",
    ),
    count(
        "accidents.applied",
        "申请调解的事故",
        AccidentCase,
        ~Q(mediation_result="未申请调解"),
        by=MEDIATION_BY,
    ),
    count(
        "accidents.mediated",
        "调解成功",
        AccidentCase,
        SUCCESS,
        by=MEDIATION_BY,
        why="调解成功数跟随申请调解的事故数，按调解成功率评判",
    ),
    count(
        "accidents.mediated_onsite",
        "现场调解成功",
        AccidentCase,
        SUCCESS & Q(mediation_method="现场调解"),
        by=("severity",),
    ),
    count(
        "accidents.mediated_people",
        "人民调解委员会调解成功",
        AccidentCase,
        SUCCESS & Q(mediation_method="人民调解委员会"),
        by=("severity",),
    ),
    count(
        "accidents.mediated_court",
        "诉调对接调解成功",
        AccidentCase,
        SUCCESS & Q(mediation_method="诉调对接"),
        by=("severity",),
    ),
    *[
        count(
            f"accidents.mediated_{code}",
            f"{level}调解成功",
            AccidentCase,
            SUCCESS & Q(severity=level),
            by=("mediation_method",),
        )
        for code, level in [
            ("minor", "轻微事故"),
            ("ordinary", "一般事故"),
            ("major", "重大事故"),
            ("grave", "特大事故"),
        ]
    ],
    Rate(
        "accidents.mediation_rate",
        "调解成功率",
        "accidents.mediated",
        "accidents.applied",
        better=True,
        why="调解成功率越高，事故纠纷越是得到化解",
    ),
    count(
        "complaints.received",
        "受理投诉举报",
        Complaint,
        unit="件",
        by=("channel", "category"),
        kind=OUTCOME,
        better=False,
        why="投诉举报多反映群众对执法和服务的不满，越少越好",
    ),
    count(
        "complaints.closed",
        "办结投诉举报",
        Complaint,
        Q(closed_date__isnull=False),
        unit="件",
        by=("channel", "category"),
        why="办结数跟随受理数，按办结率评判",
    ),
    count(
        "complaints.rated",
        "评价",
        Complaint,
        ~Q(satisfaction="未评价"),
        unit="件",
        by=("channel", "category"),
    ),
    count(
        "complaints.satisfied",
        "群众满意",
        Complaint,
        Q(satisfaction__in=["满意", "基本满意"]),
        unit="件",
        by=("channel", "category"),
        why="跟随评价数，按群众满意率评判",
    ),
    *[
        count(
            f"complaints.{channel.name.lower()}",
            channel.value,
            Complaint,
            Q(channel=channel),
            unit="件",
            by=("category",),
            why="来源渠道是受理投诉举报的分项，由受理数评判",
        )
        for channel in Complaint.Channel
    ],
    Rate(
        "complaints.close_rate",
        "办结率",
        "complaints.closed",
        "complaints.received",
        better=True,
        why="办结率越高，受理的投诉举报越是件件有着落",
    ),
    Rate(
        "complaints.satisfaction",
        "群众满意率",
        "complaints.satisfied",
        "complaints.rated",
        better=True,
        why="满意率越高，群众对投诉举报的办理越满意",
    ),
)
