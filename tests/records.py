"""A valid record of every ledger, as a clerk fills its form, for the suite over the registry
(tests/brigade/test_ledgers.py) and the apps' own rule tests."""

import datetime

from django.utils import timezone

from brigade.ledger import registry

# kind → a valid form submission. A new ledger adds its entry here (the suite fails until it does).
GOOD = {
    "training": {
        "date": "2025-03-05", "name": "宪法专题学法", "kind": "专题学法", "mode": "线下", "attendees": "35",
        "hours": "2", "content": "学习宪法",
    },
    "meetings": {
        "date": "2025-03-05", "name": "法治建设专题会", "kind": "法治建设专题会议", "chair": "李明",
        "topics": "研究年度法治建设要点",
    },
    "regulations": {"name": "执法过错责任追究办法", "date": "2025-03-05", "category": "监督管理", "status": "新建"},
    "officers": {
        "badge_no": "043101", "name": "王伟", "category": "民警", "birth_date": "1985-06-01", "unit": "城区中队",
        "qualification": "中级", "is_legal_officer": "是", "status": "在职",
    },
    "violations": {
        "decision_no": "4311232500000001", "occurred_at": "2025-03-05T21:30", "violation_type": "酒后驾驶",
        "method": "现场", "outcome": "罚款", "fine": "1500", "points": "12", "location": "G207国道",
        "plate": "湘MA1234", "officer": "王伟", "campaign": "",
    },
    "campaigns": {
        "name": "酒驾醉驾集中整治", "start_date": "2025-03-01", "end_date": "2025-03-15", "kind": "集中整治",
        "partners": "", "officers": "120", "batches": "3",
    },
    "supervision": {
        "date": "2025-03-05", "kind": "执法记录仪检查", "checked": "60", "passed": "52", "problems_found": "5",
        "problems_fixed": "4", "notices": "1", "note": "抽查执法记录仪视频",
    },
    "accidents": {
        "case_no": "43112320250001", "occurred_at": "2025-03-05T08:15", "severity": "轻微事故",
        "procedure": "快处快赔", "mediation_method": "保险直赔", "mediation_result": "调解成功",
        "compensation": "3200.50", "closed_date": "2025-03-06", "location": "G207国道K1826+300",
    },
    "calls": {
        "call_no": "J4311232025000001", "received_at": "2025-03-05T08:10", "category": "交通事故",
        "outcome": "已出警，指导当事人快处快赔", "follow_up": "满意",
    },
    "complaints": {
        "number": "TS20250001", "received_date": "2025-03-05", "channel": "12345热线", "category": "执法投诉",
        "summary": "对违停处罚有异议", "closed_date": "2025-03-12", "satisfaction": "基本满意",
    },
    "events": {
        "date": "2025-03-05", "name": "“一盔一带”集中宣传", "kind": "集中宣传", "audience": "电动自行车驾驶人",
        "place": "县文化广场", "attendees": "300", "materials": "500",
    },
    "media": {
        "date": "2025-03-05", "title": "夜查酒驾现场", "kind": "短视频", "platform": "抖音", "quantity": "1",
        "views": "12000",
    },
}  # fmt: skip

# kind → a text field that tells records apart (the key where there is one): a marker for each.
DISTINCT = {
    "training": "name", "meetings": "name", "regulations": "name", "officers": "badge_no",
    "violations": "decision_no", "campaigns": "name", "supervision": "note", "accidents": "case_no",
    "calls": "call_no", "complaints": "number", "events": "name", "media": "title",
}  # fmt: skip


def good(kind) -> dict:
    """GOOD[kind] as the form posts it (a violation type by its id)."""
    data = dict(GOOD[kind])
    if kind == "violations":
        from enforcement.models import ViolationType

        data["violation_type"] = ViolationType.objects.get(name=data["violation_type"]).pk
    return data


def make(kind, brigade, /, **changes):
    """A record saved through the ledger's own form, as a clerk would enter it."""
    data = good(kind) | changes
    form = registry.get(kind).form_class(data=data, brigade=brigade)
    assert form.is_valid(), form.errors
    return form.save()


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def in_two_hours() -> str:
    return (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
