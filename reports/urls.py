from django.urls import include, path

from reports import notification_views, views
from reports import publishing_views as publishing

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    # The records pages come before "<slug>/": "records" is not a phase.
    # Without a namespace of their own, so their names stay "reports:records", "reports:…".
    path("records/", include("reports.records.urls")),
    path("<slug:slug>/", views.report_page, name="report"),
    path("<slug:slug>/narrative/", views.narrative_edit, name="narrative"),
    path("<slug:slug>/export/<str:fmt>/", views.export, name="export"),
    path("<slug:slug>/messages/", notification_views.notifications, name="notifications"),
    path("<slug:slug>/publish/", publishing.publish, name="publish"),
    path("<slug:slug>/withdraw/", publishing.withdraw, name="withdraw"),
    path("<slug:slug>/trace/category/<int:pk>/", views.trace_category, name="trace_category"),
    path("<slug:slug>/trace/workshop/<int:pk>/", views.trace_workshop, name="trace_workshop"),
]
