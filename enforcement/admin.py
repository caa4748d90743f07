from django.contrib import admin

from brigade.admin import HistoryAdmin
from enforcement.models import ViolationType


@admin.register(ViolationType)
class ViolationTypeAdmin(HistoryAdmin):
    """The reference list the 违法行为 column is checked against; the admin extends it."""

    list_display = ["name", "group", "ordering"]
    list_editable = ["group", "ordering"]
    list_filter = ["group"]
    search_fields = ["name"]

# The ledgers' own pages follow their declarations (brigade.admin.register_ledger_admins).
