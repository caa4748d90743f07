"""The project's own view for a form refused by CSRF protection (settings.CSRF_FAILURE_VIEW):
a Chinese page saying what happened (the page was left open too long, the user logged in again
elsewhere) and what to do, in the site's style. Django's own page is English for developers,
and its template hook passes no reason (templates/403_csrf.html)."""

from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER
from django.shortcuts import render


def csrf_failure(request, reason=""):
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE, "no_referer": reason == REASON_NO_REFERER}
    return render(request, "403_csrf.html", context, status=403)
