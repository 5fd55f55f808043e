from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.report_page, name="report"),
    path("<slug:slug>/narrative/", views.narrative_edit, name="narrative"),
    path("<slug:slug>/export/<str:fmt>/", views.export, name="export"),
    path("<slug:slug>/trace/category/<int:pk>/", views.trace_category, name="trace_category"),
    path("<slug:slug>/trace/workshop/<int:pk>/", views.trace_workshop, name="trace_workshop"),
]
