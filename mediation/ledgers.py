"""The mediation ledgers (docs/ledgers.md, mediation/)."""

from brigade.ledger import Ledger, register
from mediation.models import AccidentCase, Complaint, PoliceCall


@register
class AccidentLedger(Ledger):
    kind = "accidents"
    order = 40
    model = AccidentCase
    fields = [
        "case_no",
        "occurred_at",
        "severity",
        "procedure",
        "mediation_method",
        "mediation_result",
        "compensation",
        "closed_date",
        "location",
    ]
    key = ["case_no"]
    date_field = "occurred_at"
    filters = ["severity", "procedure", "mediation_method", "mediation_result"]
    search = ["case_no", "location"]


@register
class CallLedger(Ledger):
    kind = "calls"
    order = 50
    model = PoliceCall
    fields = ["call_no", "received_at", "category", "outcome", "follow_up"]
    key = ["call_no"]
    key_optional = True
    date_field = "received_at"
    filters = ["category", "follow_up"]
    search = ["call_no", "outcome"]


@register
class ComplaintLedger(Ledger):
    kind = "complaints"
    order = 60
    model = Complaint
    fields = ["number", "received_date", "channel", "category", "summary", "closed_date", "satisfaction"]
    key = ["number"]
    key_optional = True
    date_field = "received_date"
    list_display = ["number", "received_date", "channel", "category", "closed_date", "satisfaction"]
    filters = ["channel", "category", "satisfaction"]
    search = ["number", "summary"]
