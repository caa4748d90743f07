"""What the report names from the records, beside the figures (which come from the indicators):
the main campaigns and their partner departments, the audiences of the publicity, the laws
studied, the rules made. Read-only queries, one per question, for `reports.drafting`."""

import re

from django.db.models import Count, Sum

from brigade.models import Regulation, Training
from enforcement.models import Campaign
from publicity.models import PublicityEvent

TITLE = re.compile(r"《[^》]+》")
THOUGHT = "习近平法治思想"


def main_campaigns(*, brigade_ids, year: int, limit: int = 3) -> list[str]:
    """The names of the year's largest campaigns, by the officers they took."""
    return list(
        Campaign.objects.filter(brigade_id__in=brigade_ids, start_date__year=year)
        .order_by("-officers", "-batches", "name")
        .values_list("name", flat=True)[:limit]
    )


def partner_departments(*, brigade_ids, year: int, limit: int = 4) -> list[str]:
    """The departments the year's joint campaigns were held with, most often first."""
    counts: dict[str, int] = {}
    rows = Campaign.objects.filter(brigade_id__in=brigade_ids, start_date__year=year).exclude(partners="")
    for partners in rows.values_list("partners", flat=True):
        for name in re.split(r"[、，,；;/\s]+", partners):
            if name:
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: -counts[n])[:limit]


def audiences(*, brigade_ids, year: int, limit: int = 4) -> list[str]:
    """The groups the year's publicity reached most, by the people it taught."""
    return list(
        PublicityEvent.objects.filter(brigade_id__in=brigade_ids, date__year=year)
        .values("audience")
        .annotate(people=Sum("attendees"), events=Count("pk"))
        .order_by("-people", "-events")
        .values_list("audience", flat=True)[:limit]
    )


def laws_studied(*, brigade_ids, year: int, kind: str | None = None, limit: int = 5) -> list[str]:
    """What the year's training studied: 习近平法治思想 when it was, then the laws named (《…》)."""
    trainings = Training.objects.filter(brigade_id__in=brigade_ids, date__year=year)
    if kind:
        trainings = trainings.filter(kind=kind)
    texts = [text for pair in trainings.values_list("name", "content") for text in pair if text]
    found = [THOUGHT] if any(THOUGHT in text for text in texts) else []
    found += [title for text in texts for title in TITLE.findall(text)]
    return list(dict.fromkeys(found))[:limit]


def rules_made(*, brigade_ids, year: int) -> list[tuple[str, str]]:
    """(name, 新建 or 修订) of the rules made or revised in the year, in date order."""
    return list(
        Regulation.objects.filter(brigade_id__in=brigade_ids, date__year=year, status__in=["新建", "修订"])
        .order_by("date", "name")
        .values_list("name", "status")
    )
