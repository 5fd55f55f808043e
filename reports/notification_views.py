"""Messages to participants: the opt-out link in every message, and staff's record of what was
sent to whom and when."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from reports.models import Notification
from reports.notifications import (
    opt_out_participant_id,
    participant_opt_out,
    phase_notification_counts,
    phase_notifications,
)
from responses.models import Participant
from sessions.access import staff_required
from sessions.models import ProjectPhase


# Exempt from CSRF: mail clients send the one-click opt-out (RFC 8058) as a bare POST, with no
# cookies and no CSRF token. The signed token in the URL is the authority, and the only thing
# a forged request could do is what the link's owner asked for: stop the messages.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation and changes nothing (mail scanners follow links); POST opts out."""
    participant_id = opt_out_participant_id(token)
    if participant_id is None:
        raise Http404
    participant = get_object_or_404(Participant, pk=participant_id)
    done = request.GET.get("done") == "1"
    if request.method == "POST":
        participant = participant_opt_out(participant=participant)
        if request.POST.get("List-Unsubscribe") != "One-Click":
            # A person pressed the button: show the result at its own address, so reloading
            # does not send the form again. A mail client's one-click POST (RFC 8058) is
            # answered directly, without a redirect.
            return redirect(reverse("notifications:opt_out", args=[token]) + "?done=1")
        done = True
    return render(
        request,
        "reports/opt_out.html",
        {"token": token, "participant": participant, "done": done},
    )


@require_GET
@staff_required
def notifications(request: HttpRequest, slug: str) -> HttpResponse:
    phase = get_object_or_404(ProjectPhase, slug=slug)
    counts = phase_notification_counts(phase=phase)
    return render(
        request,
        "reports/notifications.html",
        {
            "phase": phase,
            "notifications": phase_notifications(phase=phase),
            "counts": [(label, counts[value]) for value, label in Notification.Status.choices],
            "total": sum(counts.values()),
        },
    )
