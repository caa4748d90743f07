"""The years a user can choose (a list's year filter, the dashboard's year, a report's year): from
this year back to the earliest year a record of the brigades is dated in, not a fixed span."""

from django.db.models import Min, Value
from django.db.models.functions import ExtractYear
from django.utils import timezone

from brigade.ledger import registry

MAX_BRANCHES = 400  # SQLite allows 500 SELECTs in one compound statement


def _earliest(model, date_field, brigades: dict):
    """The local year of the model's earliest record of the brigades, as a query (not yet run)."""
    return (
        model._default_manager.filter(**brigades)
        .annotate(_all=Value(1))  # one group: the aggregate over every row
        .values("_all")
        .annotate(first=ExtractYear(Min(date_field)))
        .values_list("first", flat=True)
        .order_by()
    )


def record_years(brigade_ids, *, ledgers=None, today=None) -> list[int]:
    """This year, then each year before it down to the year of the earliest record of `brigade_ids`
    in `ledgers` (default: every dated ledger), newest first; one query. With no records, this
    year alone."""
    this_year = (today or timezone.localdate()).year
    brigade_ids = list(brigade_ids)
    dated = [lg for lg in (ledgers if ledgers is not None else registry.all()) if lg.date_field]
    first = this_year
    if brigade_ids and dated:
        # A brigade at a time: each MIN is one probe of the (brigade, date) index, where a MIN
        # over several brigades at once reads all their index entries.
        each = len(brigade_ids) * len(dated) <= MAX_BRANCHES
        scopes = [{"brigade_id": b} for b in brigade_ids] if each else [{"brigade_id__in": brigade_ids}]
        queries = [_earliest(lg.model, lg.date_field, scope) for lg in dated for scope in scopes]
        union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        found = [y for y in union if y is not None]
        first = min([this_year, *found])
    return list(range(this_year, first - 1, -1))
