"""The four ledgers that describe the brigade itself (docs/ledgers.md, brigade/)."""

from brigade.ledger import Ledger, register
from brigade.models import Meeting, Officer, Regulation, Training


@register
class TrainingLedger(Ledger):
    kind = "training"
    order = 90
    model = Training
    fields = ["date", "name", "kind", "mode", "attendees", "hours", "content"]
    date_field = "date"
    filters = ["kind", "mode"]
    search = ["name", "content"]


@register
class MeetingLedger(Ledger):
    kind = "meetings"
    order = 100
    model = Meeting
    fields = ["date", "name", "kind", "chair", "topics"]
    date_field = "date"
    filters = ["kind"]
    search = ["name", "chair", "topics"]


@register
class RegulationLedger(Ledger):
    kind = "regulations"
    order = 110
    model = Regulation
    fields = ["name", "date", "category", "status"]
    key = ["name"]
    date_field = "date"
    filters = ["category", "status"]
    search = ["name"]


@register
class OfficerLedger(Ledger):
    kind = "officers"
    order = 120
    model = Officer
    fields = [
        "badge_no",
        "name",
        "category",
        "birth_date",
        "unit",
        "qualification",
        "is_legal_officer",
        "status",
    ]
    key = ["badge_no"]
    # The roster is not a record of one year's work: no year filter, and no locked year freezes it.
    date_field = None
    filters = ["category", "qualification", "is_legal_officer", "status"]
    search = ["badge_no", "name", "unit"]
    personal_data = True
