from django.contrib import admin

from brigade.admin import HistoryAdmin
from brigade.models import YearLock
from enforcement.models import Violation, ViolationType


@admin.register(ViolationType)
class ViolationTypeAdmin(HistoryAdmin):
    """The reference list the 违法行为 column is checked against; the admin extends it."""

    list_display = ["name", "group", "ordering"]
    list_filter = ["group"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        """A type that records of a finalised year use keeps its name and group: regrouping it
        would change the figures of a report already sent (and counted from these records)."""
        if obj is not None and _in_a_locked_year(obj):
            return ["name", "group"]
        return []

    def has_delete_permission(self, request, obj=None):
        return obj is None or not Violation.objects.filter(violation_type=obj).exists()


def _in_a_locked_year(violation_type) -> bool:
    locked = YearLock.objects.filter(locked=True).values_list("brigade_id", "year")
    used = Violation.objects.filter(violation_type=violation_type)
    return any(used.filter(brigade_id=b, occurred_at__year=y).exists() for b, y in locked)

# The ledgers' own pages follow their declarations (brigade.admin.register_ledger_admins).
