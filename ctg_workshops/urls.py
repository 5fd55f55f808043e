from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ctg_workshops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("csp-report/", views.csp_report, name="csp_report"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workshops/", include("sessions.urls")),
    # Responses' pages for facilitators, under the same workshop and session paths.
    path("workshops/", include("responses.facilitator_urls")),
    path("reports/", include("reports.urls")),
    path("notifications/", include("reports.notification_urls")),
    path("published/", include("reports.published_urls")),
    path("", include("responses.urls")),
    path("admin/", admin.site.urls),
]
