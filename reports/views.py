from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from brigade import access
from reports.dashboard import dashboard

FIRST_YEAR = 2015


def _year(request, today) -> int:
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        return today.year
    return year if FIRST_YEAR <= year <= today.year else today.year


def home(request):
    """The dashboard: the page everyone lands on after login."""
    user = request.user
    if not access.has_view_perm(user, "view_dashboard"):
        raise PermissionDenied("您的角色无权查看驾驶舱")
    today = timezone.localdate()
    year = _year(request, today)
    brigades = list(access.visible_brigades(user).order_by("code"))
    chosen = None
    if len(brigades) > 1:
        wanted = request.GET.get("brigade", "")
        chosen = next((b for b in brigades if str(b.pk) == wanted), None)
        selected = [chosen] if chosen else brigades
    else:
        selected = brigades
        chosen = brigades[0] if brigades else None
    data = dashboard(
        brigade_ids=[b.pk for b in selected],
        year=year,
        today=today,
        link_brigade=chosen.pk if chosen and len(brigades) > 1 else None,
        compare_ids=[b.pk for b in brigades] if len(brigades) > 1 and not chosen else None,
    )
    names = {b.pk: str(b) for b in brigades}
    if data["comparison"]:
        data["comparison"]["rows"] = [(names[b], cells) for b, cells in data["comparison"]["rows"]]
    return render(request, "reports/dashboard.html", {
        **data,
        "year": year,
        "years": list(range(today.year, FIRST_YEAR - 1, -1)),
        "brigades": brigades,
        "chosen": chosen,
        "scope_name": str(chosen) if chosen else ("、".join(names.values()) or "（无）"),
        "chart_data": {"trends": data["trends"]},
    })  # fmt: skip
