"""One set of URLs for every ledger; `kind` names the ledger (docs/ledgers.md)."""

from django.urls import path

from brigade.ledger import import_views, views

app_name = "ledger"
urlpatterns = [
    path("<slug:kind>/", views.LedgerListView.as_view(), name="list"),
    path("<slug:kind>/new/", views.LedgerCreateView.as_view(), name="create"),
    path("<slug:kind>/export/", views.ExportView.as_view(), name="export"),
    path("<slug:kind>/import/", import_views.ImportView.as_view(), name="import"),
    path("<slug:kind>/import/template/", import_views.TemplateDownloadView.as_view(), name="import_template"),
    path("<slug:kind>/import/<int:job_id>/", import_views.ImportPreviewView.as_view(), name="import_preview"),
    path(
        "<slug:kind>/import/<int:job_id>/confirm/",
        import_views.ImportConfirmView.as_view(),
        name="import_confirm",
    ),
    path(
        "<slug:kind>/import/<int:job_id>/abandon/",
        import_views.ImportAbandonView.as_view(),
        name="import_abandon",
    ),
    path(
        "<slug:kind>/import/<int:job_id>/progress/",
        import_views.ImportProgressView.as_view(),
        name="import_progress",
    ),
    path("<slug:kind>/deleted/", views.DeletedListView.as_view(), name="deleted"),
    path("<slug:kind>/deleted/<int:history_id>/restore/", views.RestoreView.as_view(), name="restore"),
    path("<slug:kind>/<int:pk>/", views.LedgerDetailView.as_view(), name="detail"),
    path("<slug:kind>/<int:pk>/edit/", views.LedgerUpdateView.as_view(), name="update"),
    path("<slug:kind>/<int:pk>/delete/", views.LedgerDeleteView.as_view(), name="delete"),
    path("<slug:kind>/<int:pk>/history/", views.LedgerHistoryView.as_view(), name="history"),
]
