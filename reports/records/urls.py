"""The records pages' URLs, included under ``records/`` by reports/urls.py.

There is no ``app_name`` here: the names stay in the ``reports`` namespace
(``reports:records``, ``reports:records_batch``, …).
"""

from django.urls import path

from reports.records import views

urlpatterns = [
    path("", views.records, name="records"),
    path("export/", views.records_download, name="records_export"),
    path("template.<str:fmt>", views.records_template_download, name="records_template"),
    path("import/", views.records_upload, name="records_upload"),
    path("import/<int:pk>/", views.records_batch, name="records_batch"),
    path("import/<int:pk>/go/", views.records_batch_import, name="records_batch_import"),
    path("import/<int:pk>/discard/", views.records_batch_discard, name="records_batch_discard"),
    path("progress/<uuid:key>/", views.records_progress, name="records_progress"),
]
