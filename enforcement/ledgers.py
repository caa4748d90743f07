"""The enforcement ledgers (docs/ledgers.md, enforcement/)."""

from brigade.ledger import Ledger, register
from enforcement.models import Campaign, SupervisionCheck, Violation


@register
class ViolationLedger(Ledger):
    kind = "violations"
    order = 10
    model = Violation
    fields = [
        "decision_no",
        "occurred_at",
        "violation_type",
        "method",
        "outcome",
        "fine",
        "points",
        "location",
        "plate",
        "officer",
        "campaign",
    ]
    key = ["decision_no"]
    date_field = "occurred_at"
    list_display = ["decision_no", "occurred_at", "violation_type", "method", "outcome", "fine", "points"]
    filters = ["violation_type", "violation_type__group", "method", "outcome"]
    search = ["decision_no", "violation_type__name", "plate", "location", "officer", "campaign__name"]
    examples = {"violation_type": "酒后驾驶"}


@register
class CampaignLedger(Ledger):
    kind = "campaigns"
    order = 20
    model = Campaign
    fields = ["name", "start_date", "end_date", "kind", "partners", "officers", "batches"]
    key = ["name", "start_date"]
    date_field = "start_date"
    filters = ["kind"]
    search = ["name", "partners"]


@register
class SupervisionLedger(Ledger):
    kind = "supervision"
    order = 30
    model = SupervisionCheck
    fields = ["date", "kind", "checked", "passed", "problems_found", "problems_fixed", "notices", "note"]
    date_field = "date"
    list_display = ["date", "kind", "checked", "passed", "problems_found", "problems_fixed", "notices"]
    filters = ["kind"]
    search = ["note"]
