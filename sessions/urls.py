from django.urls import path

from sessions import views

app_name = "workshop_sessions"

urlpatterns = [
    path("<int:pk>/", views.workshop_detail, name="workshop_detail"),
    path(
        "<int:workshop_pk>/sessions/<int:pk>/join-screen/",
        views.session_join_screen,
        name="session_join_screen",
    ),
]
