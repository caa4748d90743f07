from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import AnnualReport, ReportTemplate


@admin.register(AnnualReport)
class AnnualReportAdmin(SimpleHistoryAdmin):
    """Read-only here: reports are drafted, edited and finalised on their own pages."""

    list_display = ["year", "brigade", "status", "finalised_at", "final_sha256"]
    list_filter = ["status", "brigade", "year"]
    exclude = ["final_docx"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a finalised report and its stored document are kept for good


@admin.register(ReportTemplate)
class ReportTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["name", "brigade", "uploaded_by", "uploaded_at"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False
