"""The home page, the dashboard: at the site's root, outside the reports namespace (`home`)."""

from django.urls import path

from reports import views

urlpatterns = [path("", views.home, name="home")]
