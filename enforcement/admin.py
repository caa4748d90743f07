from django.contrib import admin
from import_export.admin import ImportExportMixin

from brigade.admin import HistoryAdmin, ImportExportFormats
from enforcement.models import Violation, ViolationType
from enforcement.reference import locked_years_using
from enforcement.resources import ViolationTypeResource


@admin.register(ViolationType)
class ViolationTypeAdmin(ImportExportFormats, ImportExportMixin, HistoryAdmin):
    """The reference list the 违法行为 column is checked against; the admin extends it, by hand
    or from a file (导入, with a preview; 导出)."""

    resource_classes = [ViolationTypeResource]

    list_display = ["name", "group", "ordering"]
    list_filter = ["group"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        """A type that records of a finalised year use keeps its name and group: regrouping it
        would change the figures of a report already sent (and counted from these records)."""
        if obj is not None and locked_years_using(obj):
            return ["name", "group"]
        return []

    def has_delete_permission(self, request, obj=None):
        return obj is None or not Violation.objects.filter(violation_type=obj).exists()


# The ledgers' own pages follow their declarations (brigade.admin.register_ledger_admins).
