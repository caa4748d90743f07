from django.shortcuts import render

from brigade.context_processors import visible_ledgers


def home(request):
    """The landing page: the ledgers this user may open."""
    return render(request, "home.html", {"ledgers": visible_ledgers(request.user)})
