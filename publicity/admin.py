from django.contrib import admin

from brigade.admin import LedgerRecordAdmin
from publicity.models import MediaWork, PublicityEvent


@admin.register(PublicityEvent)
class PublicityEventAdmin(LedgerRecordAdmin):
    list_display = ["date", "name", "kind", "audience", "attendees", "brigade"]
    list_filter = ["brigade", "kind", "audience"]
    search_fields = ["name"]


@admin.register(MediaWork)
class MediaWorkAdmin(LedgerRecordAdmin):
    list_display = ["date", "title", "kind", "platform", "quantity", "brigade"]
    list_filter = ["brigade", "kind", "platform"]
    search_fields = ["title"]
