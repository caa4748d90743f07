"""The project's own Chinese error pages with DEBUG on too: `make run` is what a brigade tries
first, and Django's technical pages (English, for developers) would be its first sight of a
mistyped address (404, 403, 405: ChineseErrorPagesMiddleware) or of a request Django refuses or
a server error (400, 500: TechnicalPagesInChinese). The traceback still goes to the console's log;
DEBUG_PAGES=1 shows Django's own pages to a developer."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve

# Django's technical 400/500 pages (django/views/templates/technical_500.html) carry this tag.
TECHNICAL = b'<meta name="robots" content="NONE,NOARCHIVE">'


class TechnicalPagesInChinese:
    """First in MIDDLEWARE, so that it sees what the others make too: a 400 raised after the view
    (SessionInterrupted, from the session middleware) as well as one raised in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and not getattr(settings, "DEBUG_PAGES", False)
            and response.status_code in (400, 500)
            and not getattr(response, "streaming", False)
            and TECHNICAL in response.content
        ):
            # Rendered without the request, as Django's own bad_request/server_error views do:
            # the page must not depend on what failed (the session, the database).
            return HttpResponse(
                loader.render_to_string(f"{response.status_code}.html"), status=response.status_code
            )
        return response


class ChineseErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:  # an address no URL matches never reaches a view (nor process_exception)
                resolve(request.path_info)
            except Resolver404:
                return render(request, "404.html", status=404)
        response = self.get_response(request)
        if response.status_code == 405 and not getattr(response, "streaming", False) and not response.content:
            # Django's 405 is an empty page: a bookmarked or reloaded action URL says what to do.
            allow = response.get("Allow")
            response = render(request, "405.html", status=405)
            if allow:
                response["Allow"] = allow
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        if isinstance(exception, PermissionDenied):
            message = str(exception) if exception.args else ""
            return render(request, "403.html", {"exception": message}, status=403)
        return None
