from django.contrib import admin
from django.db.models import OuterRef, Subquery

from brigade.admin import HistoryAdmin, ReadOnlyAdmin
from reports.models import (
    AnnualReport,
    FigureAcknowledgement,
    FinalVersion,
    ReportSection,
    ReportTemplate,
    UnfinaliseRequest,
)


@admin.register(AnnualReport)
class AnnualReportAdmin(ReadOnlyAdmin):
    """Read-only here: reports are drafted, edited and finalised on their own pages, and a
    finalised report and its stored document are kept for good."""

    list_display = ["year", "document_kind", "brigade", "status", "finalised_at", "final_sha256"]
    list_filter = ["status", "brigade", "year"]
    list_select_related = ["brigade"]
    exclude = ["final_docx", "kind"]
    readonly_fields = ["document_kind"]

    @admin.display(description="文书种类", ordering="kind")
    def document_kind(self, report):
        """The document's name (年度法治政府建设情况报告), not the kind stored (annual)."""
        return report.document.name


@admin.register(ReportTemplate)
class ReportTemplateAdmin(HistoryAdmin):
    list_display = ["name", "brigade", "uploaded_by", "uploaded_at"]
    exclude = ["content"]

    # A template a report uses cannot be deleted (on_delete=PROTECT): that would change the layout
    # of a report a leader is reviewing, or of one already finalised.

    def has_add_permission(self, request):
        return False


@admin.register(FinalVersion)
class FinalVersionAdmin(admin.ModelAdmin):
    """Every finalised document, kept for good: shown, never changed or deleted."""

    list_display = ["report", "number", "finalised_at", "finalised_by", "sha256", "withdrawn_at"]
    exclude = ["docx"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _RecordOnly(admin.ModelAdmin):
    """Recorded on the report's page (a reason kept for a figure, a request to undo a signature):
    shown here for audit, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FigureAcknowledgement)
class FigureAcknowledgementAdmin(_RecordOnly):
    list_display = ["report", "section", "reason", "acknowledged_by", "acknowledged_at"]
    list_filter = ["report__brigade"]
    list_select_related = ["report", "acknowledged_by"]
    fields = ["report", "section", "sentence", "fresh_sentence", "stated", "ledger", "reason"]
    fields += ["acknowledged_by", "acknowledged_at"]

    def get_queryset(self, request):
        """Each reason with its section's heading (the key, 1.enforce, is the program's)."""
        heading = ReportSection.objects.filter(report=OuterRef("report"), key=OuterRef("section_key"))
        return super().get_queryset(request).annotate(section_title=Subquery(heading.values("title")[:1]))

    @admin.display(description="章节", ordering="section_key")
    def section(self, acknowledgement):
        return acknowledgement.section_title or acknowledgement.section_key


@admin.register(UnfinaliseRequest)
class UnfinaliseRequestAdmin(_RecordOnly):
    list_display = [
        "report",
        "reason",
        "requested_by",
        "requested_at",
        "decision",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["decision", "report__brigade"]
