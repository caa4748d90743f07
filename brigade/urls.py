"""The organisation's pages: sign-in, password, the ledgers and every job's page and file
(included by the project's root URLconf, fazhi/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from brigade import output_views, views

# The password pages sit below the dashboard (brigade/breadcrumbs.py; lazy: the URLs load here).
PASSWORD_TRAIL = [("驾驶舱", reverse_lazy("home")), ("修改密码", None)]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(extra_context={"breadcrumbs": PASSWORD_TRAIL}),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(extra_context={"breadcrumbs": PASSWORD_TRAIL}),
        name="password_change_done",
    ),
    path("ledgers/", include("brigade.ledger.urls")),
    # Every job's page, its progress and its file (brigade/outputs.py).
    path("jobs/<int:pk>/", output_views.output_detail, name="output_detail"),
    path("jobs/<int:pk>/status", output_views.output_status, name="output_status"),
    path("jobs/<int:pk>/download", output_views.output_download, name="output_download"),
    # A file's page asked for before there was one job model: its id then (migration 0012).
    path("files/<int:old>/", output_views.old_file, {"to": "output_detail"}),
    path("files/<int:old>/status", output_views.old_file, {"to": "output_status"}),
    path("files/<int:old>/download", output_views.old_file, {"to": "output_download"}),
]
