from django.urls import path

from sessions import views

app_name = "workshop_sessions"

urlpatterns = [
    path("<int:pk>/", views.workshop_detail, name="workshop_detail"),
]
