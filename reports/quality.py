"""What looks wrong in a year's records, shown before the report is drafted from them (as DHIS2's
outlier analysis does): a ledger with records in some months and none in others, and a month far
outside the brigade's usual range for that ledger. Each warning links to the records it is about.

Counts come from the monthly rollups (one read per ledger), so checking a year costs about what
a dashboard view does."""

import calendar
import datetime
import statistics
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from brigade import rollup
from brigade.figures import indicators_of
from brigade.ledger import registry

OUTLIER_TIMES = 3  # a month above this many times the median of the others is named
MIN_RECORDS = 12  # a ledger with fewer records in the year is too thin to judge its months by


def _months_so_far(year: int) -> list[datetime.date]:
    today = timezone.localdate()
    last = 12 if year < today.year else today.month - 1  # the month under way is not judged
    return [datetime.date(year, m, 1) for m in range(1, last + 1)]


def _list_url(ledger, brigade_id, month: datetime.date) -> str:
    last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    params = {"period_after": month, "period_before": last_day}
    if brigade_id:
        params["brigade"] = brigade_id
    return reverse("ledger:list", args=[ledger.kind]) + "?" + urlencode(params)


def data_warnings(*, brigade_ids, year: int, link_brigade: int | None = None) -> list[dict]:
    """[{"ledger", "text", "summary", "links": [(month label, url)]}] for the year's records: `text`
    for the officer, `summary` for the report's 三."""
    months = _months_so_far(year)
    if len(months) < 3:
        return []
    warnings = []
    for ledger in registry.all():
        if not ledger.date_field:
            continue
        model = ledger.model
        buckets = rollup.read(indicators_by_model={model: indicators_of(model)}, brigade_ids=brigade_ids,
                              months=months)[model]  # fmt: skip
        counts = dict.fromkeys(months, 0)
        for bucket in buckets:
            counts[bucket.month] += bucket.value(rollup.RECORDS)
        total = sum(counts.values())
        if total < MIN_RECORDS:
            continue
        empty = [m for m, n in counts.items() if n == 0]
        if empty:
            names = "、".join(f"{m.month}月" for m in empty)
            warnings.append({
                "ledger": ledger, "text": f"「{ledger.title}」{year}年{names}没有记录（全年其他月份共{total}条），请核对是否漏录",
                "summary": f"{ledger.title}台账有{len(empty)}个月没有记录",
                "links": [(f"{m.month}月", _list_url(ledger, link_brigade, m)) for m in empty],
            })  # fmt: skip
        for month, n in counts.items():
            others = [v for m, v in counts.items() if m != month]
            middle = statistics.median(others)
            if middle and n > OUTLIER_TIMES * middle:
                warnings.append({
                    "ledger": ledger,
                    "text": f"「{ledger.title}」{year}年{month.month}月{n}条，是其他月份中位数（{middle:g}条）的"
                            f"{n / middle:.1f}倍，请核对是否重复录入或导入",
                    "summary": f"{ledger.title}台账{month.month}月的记录数明显偏离其他月份",
                    "links": [(f"{month.month}月", _list_url(ledger, link_brigade, month))],
                })  # fmt: skip
    return warnings
