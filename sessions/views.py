from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from sessions.models import PlenarySession, Workshop
from sessions.roles import workshops_visible_to
from sessions.selectors import workshop_detail_for


@require_GET
@login_required
def workshop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        workshop = workshop_detail_for(user=request.user, pk=pk)
    except Workshop.DoesNotExist:
        # The same answer whether the workshop is missing or not this user's: no probing.
        raise Http404 from None
    return render(request, "workshop_sessions/workshop_detail.html", {"workshop": workshop})


@require_GET
@login_required
def session_join_screen(request: HttpRequest, workshop_pk: int, pk: int) -> HttpResponse:
    """For the projector: the session's join code, link and QR code in large type."""
    session = (
        PlenarySession.objects.select_related("workshop")
        .filter(workshop__in=workshops_visible_to(request.user), workshop_id=workshop_pk, pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    join_url = request.build_absolute_uri(reverse("responses:session", args=[session.join_code]))
    return render(
        request,
        "workshop_sessions/session_join_screen.html",
        {"session": session, "workshop": session.workshop, "join_url": join_url},
    )
