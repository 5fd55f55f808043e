from django.urls import path

from reports import notification_views, views
from reports import publishing_views as publishing
from reports import records_views as records

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    # The records pages come before "<slug>/": "records" is not a phase.
    path("records/", records.records, name="records"),
    path("records/export/", records.records_download, name="records_export"),
    path("records/template.<str:fmt>", records.records_template_download, name="records_template"),
    path("records/import/", records.records_upload, name="records_upload"),
    path("records/import/<int:pk>/", records.records_batch, name="records_batch"),
    path("records/import/<int:pk>/go/", records.records_batch_import, name="records_batch_import"),
    path(
        "records/import/<int:pk>/discard/",
        records.records_batch_discard,
        name="records_batch_discard",
    ),
    path("records/progress/<uuid:key>/", records.records_progress, name="records_progress"),
    path("<slug:slug>/", views.report_page, name="report"),
    path("<slug:slug>/narrative/", views.narrative_edit, name="narrative"),
    path("<slug:slug>/export/<str:fmt>/", views.export, name="export"),
    path("<slug:slug>/messages/", notification_views.notifications, name="notifications"),
    path("<slug:slug>/publish/", publishing.publish, name="publish"),
    path("<slug:slug>/withdraw/", publishing.withdraw, name="withdraw"),
    path("<slug:slug>/trace/category/<int:pk>/", views.trace_category, name="trace_category"),
    path("<slug:slug>/trace/workshop/<int:pk>/", views.trace_workshop, name="trace_workshop"),
]
