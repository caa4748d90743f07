"""What a unit's annual report covers (docs/report.md, 支队报告).

A brigade's report counts its own records. A detachment's (支队's) report counts its own records
and those of every brigade under it (Brigade.parent): its figures are the indicators evaluated over
that set of brigade ids, so that sums are sums and rates are recomputed from the summed numerators
and denominators (brigade/figures.py), never averaged. The drafting, the page, the document and
the finalise all take the set from here; there is no second path for a detachment."""

from dataclasses import dataclass

from brigade.models import Brigade


@dataclass(frozen=True)
class Coverage:
    unit: Brigade  # whose report it is
    brigades: tuple[Brigade, ...] = ()  # the brigades under a detachment, in code order; () for a brigade

    @property
    def ids(self) -> list[int]:
        """The brigade ids the report's figures are summed over."""
        return [self.unit.pk, *(b.pk for b in self.brigades)]

    @property
    def is_detachment(self) -> bool:
        return bool(self.brigades)

    def names(self) -> dict[int, str]:
        """Brigade id → the name the text and the table use (its short name, else its full name)."""
        return {b.pk: str(b) for b in (self.unit, *self.brigades)}


def coverage_of(unit: Brigade) -> Coverage:
    """The unit and, when it is a detachment, its brigades (one query)."""
    return Coverage(unit, tuple(Brigade.objects.filter(parent=unit).order_by("code")))
