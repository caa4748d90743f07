from brigade import access
from brigade.ledger import registry

APP_TITLES = {
    "enforcement": "执法办案",
    "mediation": "事故与矛盾化解",
    "publicity": "普法宣传",
    "brigade": "队伍建设",
}


def visible_ledgers(user):
    return [lg for lg in registry.all() if access.can(user, access.READ, lg.model)]


def navigation(request):
    """The side navigation: the user's ledgers grouped by app."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    groups: dict[str, list] = {}
    for ledger in visible_ledgers(user):
        groups.setdefault(APP_TITLES.get(ledger.app_label, ledger.app_label), []).append(ledger)
    return {"nav_groups": list(groups.items())}
