"""The link in a message that stops further messages (the staff record is in reports.urls)."""

from django.urls import path

from reports import notification_views

app_name = "notifications"

urlpatterns = [
    path("opt-out/<str:token>/", notification_views.opt_out, name="opt_out"),
]
