"""What the report names from the records, beside the figures (which come from the indicators):
the main campaigns and their partner departments, the audiences of the publicity, the laws
studied, the rules made, the meetings the head chaired, the problems still open. Read-only
queries, one per question, for `reports.drafting` and `reports.shortcomings`; each counts over the
report's period (a whole year, or the year so far), the same days its figures count."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, DateTimeField, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone

from brigade.figures import Period
from brigade.ledger import registry as ledgers
from brigade.models import Meeting, Regulation, Training
from enforcement.models import Campaign, SupervisionCheck
from mediation.models import Complaint
from publicity.models import PublicityEvent
from reports.laws import THOUGHT, laws_named


def in_period(model, period: Period) -> Q:
    """The records of `model` whose ledger date falls in [period.start, period.end), in Beijing
    days for a date-time (the way the rollups place a record in a day)."""
    name = ledgers.for_model(model).date_field
    field = model._meta.get_field(name)
    start, end = period.start, period.end
    if isinstance(field, DateTimeField):
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(start, datetime.time(), tz)
        end = datetime.datetime.combine(end, datetime.time(), tz)
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def _records(model, brigade_ids, period):
    return model.objects.filter(in_period(model, period), brigade_id__in=list(brigade_ids))


DATED = re.compile(r"^\d{4}年(\d{1,2}月(份)?)?(第[一二三四]季度)?")


def main_campaigns(*, brigade_ids, period: Period, limit: int = 3) -> list[str]:
    """The names of the period's largest campaigns, by the officers they took; a name two
    brigades share is named once."""
    names = (
        _records(Campaign, brigade_ids, period)
        .order_by("-officers", "-batches", "name")
        .values_list("name", flat=True)[: limit * 8]
    )
    # the same campaign run month after month (2025年10月…, 2025年11月…) is named once, undated
    return list(dict.fromkeys(DATED.sub("", name).strip() or name for name in names))[:limit]


def partner_departments(*, brigade_ids, period: Period, limit: int = 4) -> list[str]:
    """The departments the period's joint campaigns were held with, most often first."""
    counts: dict[str, int] = {}
    rows = _records(Campaign, brigade_ids, period).exclude(partners="")
    for partners in rows.values_list("partners", flat=True):
        for name in re.split(r"[、，,；;/\s]+", partners):
            if name:
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: -counts[n])[:limit]


def audiences(*, brigade_ids, period: Period) -> list[tuple[str, int]]:
    """(group, people taught) of the period's publicity, most people first."""
    return list(
        _records(PublicityEvent, brigade_ids, period)
        .values("audience")
        .annotate(people=Sum("attendees"), events=Count("pk"))
        .order_by("-people", "-events", "audience")
        .values_list("audience", "people")
    )


def laws_studied(
    *, brigade_ids, period: Period, kind: str | None = None, leaders: bool | None = None
) -> list[str]:
    """What the period's training studied: 习近平法治思想 when it was, then the laws named, by
    their full titles (reports/laws.py), most often studied first. `leaders`: only the
    leadership's sessions (True) or only the others (False)."""
    trainings = _records(Training, brigade_ids, period)
    if leaders is not None:
        condition = Q(kind=Training.Kind.LEADERS)
        trainings = trainings.filter(condition if leaders else ~condition)
    counts: dict[str, int] = {}
    thought = False
    for name, content in trainings.values_list("name", "content"):
        text = f"{name}\n{content}"
        thought = thought or THOUGHT in text
        for law in laws_named(text):
            counts[law] = counts.get(law, 0) + 1
    ordered = sorted(counts, key=lambda law: -counts[law])
    return [THOUGHT] * thought + ordered


def rules_made(*, brigade_ids, period: Period) -> list[tuple[str, str]]:
    """(name, 新建 or 修订) of the rules made or revised in the period, in date order; a name
    two brigades share is listed once."""
    rows = (
        _records(Regulation, brigade_ids, period)
        .filter(status__in=["新建", "修订"])
        .order_by("date", "name")
        .values_list("name", "status")
    )
    return list(dict.fromkeys(rows))


def meetings_chaired(*, brigade_ids, period: Period, heads: set[str]) -> dict[str, int]:
    """Meeting kind → how many the head chaired (the chair is written as the head's title or
    name: `heads`)."""
    rows = (
        _records(Meeting, brigade_ids, period)
        .filter(chair__in=heads)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


def meeting_topics(*, brigade_ids, period: Period, kinds, limit: int = 3) -> list[str]:
    """The distinct matters meetings of `kinds` studied (研究事项), most often first."""
    rows = (
        _records(Meeting, brigade_ids, period)
        .filter(kind__in=kinds)
        .exclude(topics="")
        .values_list("topics")
        .annotate(n=Count("pk"))
        .order_by("-n", "topics")
    )
    return [topic.strip().rstrip("。；;，,") for topic, _ in rows[:limit]]


def problems_open(*, brigade_ids, period: Period) -> list[tuple[str, int]]:
    """(kind of supervision, problems found but not rectified) where any are open, most first."""
    rows = (
        _records(SupervisionCheck, brigade_ids, period)
        .values("kind")
        .annotate(open=Sum(F("problems_found") - F("problems_fixed")))
        .filter(open__gt=0)
        .order_by("-open", "kind")
        .values_list("kind", "open")
    )
    return list(rows)


def complaints_open(*, brigade_ids, period: Period) -> list[tuple[str, int]]:
    """(category, complaints received in the period and not closed) where any are, most first."""
    rows = (
        _records(Complaint, brigade_ids, period)
        .filter(closed_date__isnull=True)
        .values("category")
        .annotate(n=Count("pk"))
        .order_by("-n", "category")
        .values_list("category", "n")
    )
    return list(rows)


def police_average_age(*, brigade_ids, on: datetime.date) -> Decimal | None:
    """The serving police officers' average age in 周岁 (whole years completed on `on`, the way
    a roster states ages), to one decimal; None without a birth date on the roster."""
    from brigade.indicators import SERVING
    from brigade.models import Officer

    police = Officer.objects.filter(
        brigade_id__in=list(brigade_ids), status__in=SERVING, category="民警", birth_date__isnull=False
    ).annotate(
        born_year=ExtractYear("birth_date"),
        born_month=ExtractMonth("birth_date"),
        born_day=ExtractDay("birth_date"),
    )
    not_yet = Q(born_month__gt=on.month) | Q(born_month=on.month, born_day__gt=on.day)
    age = Value(on.year) - F("born_year") - Case(When(not_yet, then=Value(1)), default=Value(0))
    average = police.aggregate(age=Avg(age, output_field=DecimalField()))["age"]
    return None if average is None else Decimal(str(average)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def squads_without_legal_officer(*, brigade_ids, names: dict[int, str] | None = None) -> list[str]:
    """The squads (中队, by the roster's 所在单位) with people serving and no legal officer among
    them; over several brigades each named with its brigade (甲县大队二中队): squads of one name
    in two brigades are two squads."""
    from brigade.indicators import SERVING
    from brigade.models import Officer

    rows = (
        Officer.objects.filter(brigade_id__in=list(brigade_ids), status__in=SERVING, unit__endswith="中队")
        .values("brigade_id", "unit")
        .annotate(legal=Count("pk", filter=Q(is_legal_officer="是")))
        .filter(legal=0)
        .order_by("brigade_id", "unit")
        .values_list("brigade_id", "unit")
    )
    several = len({b for b, _ in rows}) > 1 or (names is not None and len(names) > 1)
    return [f"{names[b]}{unit}" if several and names else unit for b, unit in rows]
