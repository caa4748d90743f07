from django.urls import path

from reports import review_views, views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/new/", views.report_new, name="new"),
    path("reports/checks/", views.year_checks, name="year_checks"),
    path("reports/templates/", views.template_list, name="templates"),
    path("reports/<int:pk>/", views.report_detail, name="detail"),
    path("reports/<int:pk>/redraft/", views.report_redraft, name="redraft"),
    path("reports/<int:pk>/status/", views.report_transition, name="transition"),
    path("reports/<int:pk>/sign/", review_views.report_sign, name="sign"),
    path("reports/<int:pk>/figures/", review_views.report_stale, name="stale"),
    path("reports/<int:pk>/figures/acknowledge/", review_views.figure_acknowledge, name="acknowledge"),
    path("reports/<int:pk>/unfinalise/", review_views.unfinalise_request, name="unfinalise_request"),
    path(
        "reports/<int:pk>/unfinalise/<int:asked>/decline/",
        review_views.unfinalise_decline,
        name="unfinalise_decline",
    ),
    path("reports/<int:pk>/unlock/", views.report_unlock, name="unlock"),
    path("reports/<int:pk>/relock/", views.report_relock, name="relock"),
    path("reports/<int:pk>/download/", views.report_download, name="download"),
    path("reports/<int:pk>/versions/<int:number>/", views.report_version_download, name="version"),
    path("reports/<int:pk>/pdf/", views.report_pdf, name="pdf"),
    path("reports/<int:pk>/checks/", views.report_checks, name="checks"),
    path("reports/<int:pk>/warnings/dismiss/", review_views.warning_dismiss, name="warning_dismiss"),
    path(
        "reports/<int:pk>/warnings/<int:dismissal>/restore/",
        review_views.warning_restore,
        name="warning_restore",
    ),
    path("reports/<int:pk>/public/", review_views.public_edition, name="public"),
    path("reports/<int:pk>/public/confirm/", review_views.public_edition_confirm, name="public_confirm"),
    path("reports/<int:pk>/public/flags/", review_views.public_flag_override, name="public_flag_override"),
    path("reports/<int:pk>/public/pdf/", review_views.public_edition_pdf, name="public_pdf"),
    path("reports/<int:pk>/public/docx/", review_views.public_edition_docx, name="public_docx"),
]
