from django.contrib import admin

from brigade.admin import LedgerRecordAdmin
from mediation.models import AccidentCase, Complaint, PoliceCall


@admin.register(AccidentCase)
class AccidentCaseAdmin(LedgerRecordAdmin):
    list_display = ["case_no", "occurred_at", "severity", "procedure", "mediation_result", "brigade"]
    list_filter = ["brigade", "severity", "procedure", "mediation_result"]
    search_fields = ["case_no"]


@admin.register(PoliceCall)
class PoliceCallAdmin(LedgerRecordAdmin):
    list_display = ["call_no", "received_at", "category", "follow_up", "brigade"]
    list_filter = ["brigade", "category", "follow_up"]
    search_fields = ["call_no"]


@admin.register(Complaint)
class ComplaintAdmin(LedgerRecordAdmin):
    list_display = ["number", "received_date", "channel", "category", "satisfaction", "brigade"]
    list_filter = ["brigade", "channel", "category", "satisfaction"]
    search_fields = ["number", "summary"]
