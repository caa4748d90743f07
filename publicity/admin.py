from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from publicity.models import MediaWork, PublicityEvent


@admin.register(PublicityEvent)
class PublicityEventAdmin(SimpleHistoryAdmin):
    list_display = ["date", "name", "kind", "audience", "attendees", "brigade"]
    list_filter = ["brigade", "kind", "audience"]
    search_fields = ["name"]


@admin.register(MediaWork)
class MediaWorkAdmin(SimpleHistoryAdmin):
    list_display = ["date", "title", "kind", "platform", "quantity", "brigade"]
    list_filter = ["brigade", "kind", "platform"]
    search_fields = ["title"]
