"""The root URLconf: each app's URLs, put together (the composition root, tests/test_layers.py)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("brigade.urls")),
    path("admin/", admin.site.urls),
    path("", include("reports.home_urls")),  # the dashboard
    path("", include("reports.urls")),
]
