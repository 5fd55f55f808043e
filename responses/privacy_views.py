"""Staff's pages for participants' personal data: the list of a workshop's participants, the
download of everything held about one, and erasing one's identity on request.

URLs live under the workshop (responses/facilitator_urls.py). Staff only, refused exactly like
the report pages; a participant of another workshop answers 404.
"""

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from responses.models import Participant
from responses.privacy import participant_data_export, participant_erase, participants_with_counts
from sessions.access import staff_required
from sessions.models import Workshop


def _participant(workshop_pk: int, pk: int) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("workshop"), pk=pk, workshop_id=workshop_pk
    )


@require_GET
@staff_required
def participant_list(request: HttpRequest, workshop_pk: int) -> HttpResponse:
    workshop = get_object_or_404(Workshop, pk=workshop_pk)
    return render(
        request,
        "responses/participant_list.html",
        {"workshop": workshop, "participants": list(participants_with_counts(workshop=workshop))},
    )


@require_GET
@staff_required
@never_cache
def participant_data_download(request: HttpRequest, workshop_pk: int, pk: int) -> HttpResponse:
    """Everything held about one participant, as a JSON file (a subject-access request)."""
    participant = _participant(workshop_pk, pk)
    data = participant_data_export(participant=participant, actor=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{participant.reference}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@staff_required
def participant_erase_confirm(request: HttpRequest, workshop_pk: int, pk: int) -> HttpResponse:
    """GET: what erasing removes and what stays. POST: erase, then back to the list."""
    participant = _participant(workshop_pk, pk)
    if request.method == "POST":
        participant = participant_erase(participant=participant, actor=request.user)
        messages.success(
            request,
            _(
                "The identity of participant %(reference)s is erased. Their statements and dots "
                "stay and still count."
            )
            % {"reference": participant.reference},
        )
        return redirect("facilitation:participant_list", workshop_pk=workshop_pk)
    return render(
        request,
        "responses/participant_erase.html",
        {"workshop": participant.workshop, "participant": participant},
    )
