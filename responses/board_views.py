"""The live board: the projector's view of a session's statements as they arrive, and of the
dot tallies once the facilitator reveals them.

Its URLs live under a workshop's session (responses/facilitator_urls.py); access is checked by
``session_view``. Its phase and reveal buttons post to the session's own pages in sessions,
which come back here.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from responses.selectors import board_for
from sessions.access import session_view
from sessions.models import PlenarySession


def _join_url(request: HttpRequest, session: PlenarySession) -> str:
    return request.build_absolute_uri(reverse("responses:session", args=[session.join_code]))


@require_GET
@session_view
def session_board(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """The projector view: statements as they arrive, and the tallies once revealed."""
    return render(
        request,
        "responses/board.html",
        {
            "session": session,
            "workshop": session.workshop,
            "board": board_for(session=session),
            "join_url": _join_url(request, session),
            "phases": PlenarySession.Phase.choices,
        },
    )


@require_GET
@session_view
def session_board_feed(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """The board's changing part, polled every second: 204 while nothing changed."""
    board = board_for(session=session)
    if request.GET.get("v") == board.version:
        return HttpResponse(status=204)
    return render(request, "responses/_board_feed.html", {"session": session, "board": board})
