"""The project's own Chinese 404 and 403 pages, with DEBUG on too: `make run` is what a brigade
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
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        if isinstance(exception, PermissionDenied):
            message = str(exception) if exception.args else ""
            return render(request, "403.html", {"exception": message}, status=403)
        return None
