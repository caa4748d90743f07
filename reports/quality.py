"""What looks wrong in a year's records, shown before the report is drafted from them (as DHIS2's
validation rules and outlier analysis do): a ledger with records in some months and none in others,
a month far outside the brigade's usual range for that ledger, records whose key differs only in
spacing or width (全角/半角), and records that break a rule of their model (saved before the rule
existed). Each warning links to the records it is about.

Month counts come from the monthly rollups (one read per ledger); the keys are grouped by their
normalised form in the database (brigade/ledger/keys.py) and the rules counted by their database
conditions (brigade/rules.py `record_checks`): a bounded number of queries per ledger, whatever
the number of records.

Every warning has an identity (`id`: kind, ledger and month, key or rule) and a `fingerprint` of
what it found. The brigade's legal officer may dismiss one with a reason (WarningDismissal); it
stays dismissed while its fingerprint is the same, and shows again when the situation changes
(another month empty, another record with the key, another record breaking the rule)."""

import calendar
import datetime
import statistics
from urllib.parse import urlencode

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from brigade import rollup, rules
from brigade.figures import indicators_of
from brigade.ledger import keys, registry

OUTLIER_TIMES = 3  # a month above this many times the median of the others is named
MIN_RECORDS = 12  # a ledger with fewer records in the year is too thin to judge its months by
MAX_KEY_GROUPS = 20  # keys typed two ways named per ledger (the first ones; the rest are counted)
SHOWN_KEYS = 4  # spellings of one key quoted in a warning


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


def _warning(kind, ledger, subject, fingerprint, text, summary, links) -> dict:
    return {
        "id": f"{kind}:{ledger.kind}:{subject}",
        "kind": kind,
        "ledger": ledger,
        "fingerprint": str(fingerprint),
        "text": text,
        "summary": summary,
        "links": links,
    }


def data_warnings(*, brigade_ids, year: int, link_brigade: int | None = None) -> list[dict]:
    """The warnings of the year's records that nobody dismissed (what the report's 三 takes up)."""
    return checked(brigade_ids=brigade_ids, year=year, link_brigade=link_brigade)["active"]


def checked(*, brigade_ids, year: int, link_brigade: int | None = None) -> dict:
    """{"active": [warning], "dismissed": [(warning, its WarningDismissal)]}. A warning is
    {"id", "kind", "ledger", "fingerprint", "text", "summary", "links": [(label, url)]}: `text`
    for the officer, `summary` for the report's 三."""
    from reports.models import WarningDismissal

    found = _month_warnings(brigade_ids, year, link_brigade)
    found += _key_warnings(brigade_ids, year, link_brigade)
    found += _rule_warnings(brigade_ids, year, link_brigade)
    # The dismissals of the unit whose report it is (the first id: a 支队's report lists itself
    # first, reports/coverage.py), not those its brigades made on their own reports.
    dismissed_here = WarningDismissal.objects.filter(brigade_id=brigade_ids[0], year=year)
    dismissals = {d.warning_id: d for d in dismissed_here.select_related("dismissed_by")}
    active, dismissed = [], []
    for w in found:
        d = dismissals.get(w["id"])
        if d is not None and d.fingerprint == w["fingerprint"]:
            dismissed.append((w, d))
        else:
            active.append(w)
    return {"active": active, "dismissed": dismissed}


def _month_warnings(brigade_ids, year, link_brigade) -> list[dict]:
    months = _months_so_far(year)
    if len(months) < 3:
        return []
    warnings = []
    for ledger in registry.all():
        if not ledger.date_field:
            continue
        model = ledger.model
        buckets = rollup.read(
            indicators_by_model={model: indicators_of(model)}, brigade_ids=brigade_ids, months=months
        )[model]
        counts = dict.fromkeys(months, 0)
        for bucket in buckets:
            counts[bucket.month] += bucket.value(rollup.RECORDS)
        total = sum(counts.values())
        if total < MIN_RECORDS:
            continue
        empty = [m for m, n in counts.items() if n == 0]
        if empty:
            names = "、".join(f"{m.month}月" for m in empty)
            # the usual month of the others: an empty month of a ledger that records a few a
            # month (专项行动) may be no gap at all; 三 takes up only a gap in a busy one
            usual = statistics.median([n for n in counts.values() if n])
            warnings.append(
                {"usual": usual}
                | _warning(
                    "empty",
                    ledger,
                    "",
                    ",".join(str(m.month) for m in empty),
                    f"「{ledger.title}」{year}年{names}没有记录（全年其他月份共{total}条），请核对是否漏录",
                    f"{ledger.title}台账有{len(empty)}个月没有记录",
                    [(f"{m.month}月", _list_url(ledger, link_brigade, m)) for m in empty],
                )
            )
        for month, n in counts.items():
            others = [v for m, v in counts.items() if m != month]
            middle = statistics.median(others)
            if middle and n > OUTLIER_TIMES * middle:
                warnings.append(
                    _warning(
                        "outlier",
                        ledger,
                        f"{month:%Y-%m}",
                        n,
                        f"「{ledger.title}」{year}年{month.month}月{n}条，是其他月份中位数（{middle:g}条）的"
                        f"{n / middle:.1f}倍，请核对是否重复录入或导入",
                        f"{ledger.title}台账{month.month}月的记录数明显偏离其他月份",
                        [(f"{month.month}月", _list_url(ledger, link_brigade, month))],
                    )
                )
    return warnings


def _records(ledger, brigade_ids, year):
    """The ledger's records of the brigades, of the year when the ledger is yearly (the roster: all)."""
    qs = ledger.model._default_manager.filter(brigade_id__in=brigade_ids)
    if ledger.date_field:
        qs = qs.filter(**{f"{ledger.date_field}__year": year})
    return qs


def _query_url(ledger, link_brigade, params) -> str:
    if link_brigade:
        params = {**params, "brigade": link_brigade}
    return reverse("ledger:list", args=[ledger.kind]) + "?" + urlencode(params)


def _key_warnings(brigade_ids, year, link_brigade) -> list[dict]:
    """Keys typed two ways. Only a key holding a space or a full-width character can be another
    key typed differently, so the grouping reads those records and the ones whose key is what
    theirs normalises to: two queries per keyed ledger (the groups, then their spellings)."""
    warnings = []
    for ledger in registry.all():
        if not ledger.key or not keys.has_text_key(ledger):
            continue
        records = _records(ledger, brigade_ids, year)
        odd = records.filter(keys.odd_key(ledger)).annotate(_n=keys.normalised_key(ledger)).values("_n")
        candidates = (
            records.annotate(_raw=keys.raw_key(ledger), _n=keys.normalised_key(ledger))
            .filter(keys.odd_key(ledger) | Q(_raw__in=odd))
            .exclude(_n="")
        )
        groups = list(
            candidates.values("brigade_id", "_n")
            .annotate(n=Count("pk"), spellings=Count("_raw", distinct=True), last=Max("pk"))
            .filter(spellings__gt=1)
            .order_by("_n")[:MAX_KEY_GROUPS]
        )
        if not groups:
            continue
        spelt: dict[tuple, list[str]] = {}
        rows = (
            candidates.filter(_n__in=[g["_n"] for g in groups])
            .values_list("brigade_id", "_n", "_raw")
            .order_by("pk")
        )
        for brigade_id, normalised, raw in rows:
            spelt.setdefault((brigade_id, normalised), []).append(raw)
        for g in groups:
            written = spelt.get((g["brigade_id"], g["_n"]), [])
            shown = "”“".join(w.replace(keys.SEPARATOR, " ") for w in written[:SHOWN_KEYS])
            more = f"等{g['n']}条" if g["n"] > SHOWN_KEYS else ""
            parts = dict(zip(ledger.key, g["_n"].split(keys.SEPARATOR), strict=False))
            params = {"key": keys.SEPARATOR.join(parts[k] for k in keys.text_fields(ledger))}
            if ledger.date_field:
                params["year"] = year
                if ledger.date_field in parts:  # a key of name + date (campaigns): that day only
                    params["period_after"] = params["period_before"] = parts[ledger.date_field]
            if len(brigade_ids) > 1:
                params["brigade"] = g["brigade_id"]
            warnings.append(
                _warning(
                    "samekey",
                    ledger,
                    f"{g['brigade_id']}:{g['_n']}",
                    f"{g['n']}:{g['last']}",
                    f"「{ledger.title}」{ledger.key_header}“{shown}”{more}只差空格或全角、半角，可能是同一条记录录入了{g['n']}次，请核对后合并",
                    f"{ledger.title}台账有{ledger.key_header}只差空格或全角、半角的重复记录",
                    [
                        (
                            f"这{g['n']}条记录",
                            _query_url(ledger, None if len(brigade_ids) > 1 else link_brigade, params),
                        )
                    ],
                )
            )
    return warnings


def _rule_warnings(brigade_ids, year, link_brigade) -> list[dict]:
    """Records that break a rule of their model, counted by the rules' database conditions:
    one query per ledger that has rules (every rule a filtered count in it)."""
    warnings = []
    for ledger in registry.all():
        checks = rules.record_checks(ledger.model, ledger.fields)
        if not checks:
            continue
        counted = _records(ledger, brigade_ids, year).aggregate(
            **{
                **{f"n{i}": Count("pk", filter=c.where) for i, c in enumerate(checks)},
                **{f"m{i}": Max("pk", filter=c.where) for i, c in enumerate(checks)},
            }
        )
        for i, check in enumerate(checks):
            n = counted[f"n{i}"]
            if not n:
                continue
            params = {"rule": check.key}
            if ledger.date_field:
                params["year"] = year
            warnings.append(
                _warning(
                    "rule",
                    ledger,
                    check.key,
                    f"{n}:{counted[f'm{i}']}",
                    f"「{ledger.title}」有{n}条记录不符合“{check.message}”（多半是这条规则施行前录入的），请核对更正",
                    f"{ledger.title}台账有{n}条记录不符合现行录入规则",
                    [(f"这{n}条记录", _query_url(ledger, link_brigade, params))],
                )
            )
    return warnings
