"""Breadcrumbs: where a page sits below the top level (a ledger's list, the report list). The
view gives the trail as (label, address) pairs in its context as `breadcrumbs`; base.html shows it
with partials/breadcrumbs.html. The dashboard starts every trail; the page itself comes last,
without an address."""

from django.urls import reverse

HOME = "驾驶舱"


def trail(*steps: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """The dashboard, then `steps`; the last step is shown as the current page (never a link)."""
    crumbs = [(HOME, reverse("home")), *steps]
    *before, (label, _url) = crumbs
    return [*before, (label, None)]


def report_trail(report, *steps: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """年度报告 › the report (by brigade and year: a detachment sees several brigades') › steps."""
    name = f"{report.brigade} {report.year}年度报告"
    return trail(
        ("年度报告", reverse("reports:list")), (name, reverse("reports:detail", args=[report.pk])), *steps
    )
