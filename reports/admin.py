from django.contrib import admin

from brigade.admin import HistoryAdmin, ReadOnlyAdmin
from reports.models import AnnualReport, ReportTemplate


@admin.register(AnnualReport)
class AnnualReportAdmin(ReadOnlyAdmin):
    """Read-only here: reports are drafted, edited and finalised on their own pages, and a
    finalised report and its stored document are kept for good."""

    list_display = ["year", "brigade", "status", "finalised_at", "final_sha256"]
    list_filter = ["status", "brigade", "year"]
    exclude = ["final_docx"]


@admin.register(ReportTemplate)
class ReportTemplateAdmin(HistoryAdmin):
    list_display = ["name", "brigade", "uploaded_by", "uploaded_at"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False
