"""Site-wide pages: the home page and the health check."""

from itertools import groupby

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sessions.roles import user_is_facilitator, user_is_staff_member
from sessions.selectors import workshop_list_for


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the workshops this user may see, grouped by project phase."""
    phases = []
    if request.user.is_authenticated:
        workshops = list(workshop_list_for(user=request.user))
        phases = [
            (phase, list(items)) for phase, items in groupby(workshops, key=lambda w: w.phase)
        ]
    return render(
        request,
        "home.html",
        {
            "phases": phases,
            "is_staff_member": user_is_staff_member(request.user),
            "can_plan": user_is_staff_member(request.user) or user_is_facilitator(request.user),
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 when this app server can reach its database, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
