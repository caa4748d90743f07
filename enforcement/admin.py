from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from brigade.admin import LedgerRecordAdmin
from enforcement.models import Campaign, SupervisionCheck, Violation, ViolationType


@admin.register(ViolationType)
class ViolationTypeAdmin(SimpleHistoryAdmin):
    """The reference list the 违法行为 column is checked against; the admin extends it."""

    list_display = ["name", "group", "ordering"]
    list_editable = ["group", "ordering"]
    list_filter = ["group"]
    search_fields = ["name"]


@admin.register(Violation)
class ViolationAdmin(LedgerRecordAdmin):
    list_display = ["decision_no", "occurred_at", "violation_type", "method", "outcome", "brigade"]
    list_filter = ["brigade", "method", "outcome", "violation_type"]
    search_fields = ["decision_no", "plate"]
    raw_id_fields = ["campaign"]


@admin.register(Campaign)
class CampaignAdmin(LedgerRecordAdmin):
    list_display = ["name", "start_date", "end_date", "kind", "brigade"]
    list_filter = ["brigade", "kind"]
    search_fields = ["name"]


@admin.register(SupervisionCheck)
class SupervisionCheckAdmin(LedgerRecordAdmin):
    list_display = ["date", "kind", "checked", "passed", "problems_found", "problems_fixed", "brigade"]
    list_filter = ["brigade", "kind"]
