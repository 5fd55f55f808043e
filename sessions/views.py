from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sessions.models import Workshop
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
