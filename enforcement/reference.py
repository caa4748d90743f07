"""The rule a finalised year puts on the 违法行为目录 (docs/ledgers.md, “违法行为目录与统计分组”): a
type that records of a locked year use keeps its name and group — regrouping it would change the
figures of a report already sent. The admin's form and its import both ask here."""

from brigade.models import YearLock
from enforcement.models import Violation


def locked_years_using(violation_type) -> list[int]:
    """The locked years (of any brigade) in which records use `violation_type`, in order."""
    if violation_type.pk is None:
        return []
    used = Violation.objects.filter(violation_type=violation_type)
    locked = YearLock.objects.filter(locked=True).values_list("brigade_id", "year")
    return sorted({y for b, y in locked if used.filter(brigade_id=b, occurred_at__year=y).exists()})
