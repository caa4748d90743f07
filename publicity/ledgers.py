"""The publicity ledgers (docs/ledgers.md, publicity/)."""

from brigade.ledger import Ledger, register
from publicity.models import MediaWork, PublicityEvent


@register
class EventLedger(Ledger):
    kind = "events"
    order = 70
    model = PublicityEvent
    fields = ["date", "name", "kind", "audience", "place", "attendees", "materials"]
    date_field = "date"
    filters = ["kind", "audience"]
    search = ["name", "place"]


@register
class MediaLedger(Ledger):
    kind = "media"
    order = 80
    model = MediaWork
    fields = ["date", "title", "kind", "platform", "quantity", "views"]
    date_field = "date"
    filters = ["kind", "platform"]
    search = ["title"]
