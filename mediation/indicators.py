"""Mediation indicators (docs/figures.md): calls and follow-up, accidents and their mediation,
complaints and how they were closed."""

from django.db.models import Q

from brigade.figures import Rate, count, register
from mediation.models import AccidentCase, Complaint, PoliceCall

SUCCESS = Q(mediation_result="调解成功")

register(
    count("calls.total", "接警", PoliceCall),
    count("calls.accidents", "交通事故警情", PoliceCall, Q(category="交通事故")),
    count("calls.visited", "回访", PoliceCall, ~Q(follow_up="未回访"), unit="次", better=True),
    count("calls.satisfied", "回访满意", PoliceCall, Q(follow_up__in=["满意", "基本满意"]), unit="次"),
    count(
        "calls.unsatisfied",
        "回访不满意",
        PoliceCall,
        Q(follow_up="不满意"),
        unit="次",
        better=False,
    ),
    Rate("calls.satisfaction", "回访满意率", "calls.satisfied", "calls.visited"),
    count("accidents.total", "交通事故", AccidentCase, better=False),
    count("accidents.quick", "快处快赔", AccidentCase, Q(procedure="快处快赔")),
    count("accidents.applied", "申请调解的事故", AccidentCase, ~Q(mediation_result="未申请调解")),
    count(
        "accidents.mediated",
        "调解成功",
        AccidentCase,
        SUCCESS,
        better=True,
    ),
    count(
        "accidents.mediated_onsite", "现场调解成功", AccidentCase, SUCCESS & Q(mediation_method="现场调解")
    ),
    count(
        "accidents.mediated_people",
        "人民调解委员会调解成功",
        AccidentCase,
        SUCCESS & Q(mediation_method="人民调解委员会"),
    ),
    count(
        "accidents.mediated_court", "诉调对接调解成功", AccidentCase, SUCCESS & Q(mediation_method="诉调对接")
    ),
    *[
        count(f"accidents.mediated_{code}", f"{level}调解成功", AccidentCase, SUCCESS & Q(severity=level))
        for code, level in [
            ("minor", "轻微事故"),
            ("ordinary", "一般事故"),
            ("major", "重大事故"),
            ("grave", "特大事故"),
        ]
    ],
    Rate("accidents.mediation_rate", "调解成功率", "accidents.mediated", "accidents.applied"),
    count("complaints.received", "受理投诉举报", Complaint, unit="件", better=False),
    count("complaints.closed", "办结投诉举报", Complaint, Q(closed_date__isnull=False), unit="件"),
    count("complaints.rated", "评价", Complaint, ~Q(satisfaction="未评价"), unit="件"),
    count("complaints.satisfied", "群众满意", Complaint, Q(satisfaction__in=["满意", "基本满意"]), unit="件"),
    *[
        count(
            f"complaints.{channel.name.lower()}",
            channel.value,
            Complaint,
            Q(channel=channel),
            unit="件",
        )  # fmt: skip
        for channel in Complaint.Channel
    ],
    Rate("complaints.close_rate", "办结率", "complaints.closed", "complaints.received"),
    Rate("complaints.satisfaction", "群众满意率", "complaints.satisfied", "complaints.rated"),
)
