from django.urls import path

from responses import project_views, views

app_name = "responses"

urlpatterns = [
    path("join/", views.join, name="join"),
    path("s/<str:code>/", views.session_page, name="session"),
    path("s/<str:code>/status/", views.session_status, name="session_status"),
    path("s/<str:code>/qr.svg", views.join_qr, name="join_qr"),
    path("s/<str:code>/profile/", views.profile_edit, name="profile"),
    path("s/<str:code>/statements/", views.statement_create, name="statement_create"),
    path("s/<str:code>/statements/<int:pk>/edit/", views.statement_edit, name="statement_edit"),
    path(
        "s/<str:code>/statements/<int:pk>/withdraw/",
        views.statement_withdraw,
        name="statement_withdraw",
    ),
    path("s/<str:code>/dots/", views.dot_change, name="dot_change"),
    path("s/<str:code>/projects/", project_views.projects, name="projects"),
    path(
        "s/<str:code>/projects/<int:pk>/withdraw/",
        project_views.project_withdraw_view,
        name="project_withdraw",
    ),
    path(
        "s/<str:code>/projects/shared/",
        project_views.projects_shared_page,
        name="projects_shared",
    ),
    path(
        "s/<str:code>/projects/shared.<str:fmt>",
        project_views.projects_shared_download,
        name="projects_shared_download",
    ),
]
