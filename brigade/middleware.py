"""The project's own Chinese 404, 403 and 405 pages, with DEBUG on too: `make run` is what a brigade
tries first, and Django's technical pages (English, for developers) would be its first sight of
a mistyped address. Server errors keep Django's handling (the traceback helps in development)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import Resolver404, resolve


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
