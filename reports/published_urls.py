"""The published reports, for everyone: the public list and each report by its link."""

from django.urls import path

from reports import publishing_views as views

app_name = "published"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:token>/", views.report, name="report"),
    path("<slug:token>/pdf/", views.pdf, name="pdf"),
    path("<slug:token>/docx/", views.docx, name="docx"),
]
