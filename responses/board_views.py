"""The live board: the projector's view of a session's statements as they arrive, and of the
dot tallies once the facilitator reveals them.

Its URLs live under a workshop's session (responses/facilitator_urls.py); access is checked by
``session_view``. Its phase and reveal buttons post to the session's own pages in sessions,
which come back here.

The feed's contract (bench/burst.py reads it too): the page and every 200 answer of the feed
carry ``<div id="board-feed" data-hx-get="…/board/feed/?since=<pk>&v=<version>" …>``, which
htmx polls every second and replaces with the answer's own; a 204 means nothing changed. A full
answer also replaces ``#board-live`` (out of band); a delta adds its cards to the top of
``#board-statements`` (``afterbegin``, out of band) and leaves the rest of the list as it is.
Each card is ``<li class="board-statement" data-statement="<pk>">``. What is in which answer,
and why no card is skipped: responses/board.py.

When the facilitator's sign-in ends, the feed answers the board's poll (an htmx request) with
401 and no body rather than the redirect to the sign-in page every other facilitator page
gives: htmx would follow the redirect and swap the sign-in form into the board in front of the
room. htmx swaps no 4xx answer; static/js/board.js shows a small notice instead and keeps the
board's last content (and swaps nothing but the feed's own answers).
"""

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from responses.board import BOARD_KEEP, Board, board_changes, board_for
from sessions.access import session_view
from sessions.models import PlenarySession


def _join_url(request: HttpRequest, session: PlenarySession) -> str:
    return request.build_absolute_uri(reverse("responses:session", args=[session.join_code]))


def _since(value: str | None) -> int | None:
    # A statement key, or nothing: anything else is treated as a board that holds no key.
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _feed_context(request: HttpRequest, session: PlenarySession, board: Board) -> dict:
    feed = reverse("facilitation:session_board_feed", args=[session.workshop_id, session.pk])
    query = urlencode({"since": board.since, "v": board.version})
    return {
        "session": session,
        "board": board,
        "feed_url": f"{feed}?{query}",
        "keep": BOARD_KEEP,
        "join_url": _join_url(request, session),
    }


@require_GET
@session_view
def session_board(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """The projector view: statements as they arrive, and the tallies once revealed.

    Without JavaScript, reloading the page shows the newest statements.
    """
    board = board_for(session=session)
    return render(
        request,
        "responses/board.html",
        {
            **_feed_context(request, session, board),
            "workshop": session.workshop,
            "phases": PlenarySession.Phase.choices,
        },
    )


def _signed_out_poll(view):
    # Before session_view, whose redirect to the sign-in page stays as it is for a browser
    # opening the feed's address itself.
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            return HttpResponse(status=401)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@_signed_out_poll
@session_view
def session_board_feed(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """The board's changing part, polled every second: 204 while nothing changed, only the new
    cards while only cards were added, the whole of it otherwise."""
    board = board_changes(
        session=session,
        since=_since(request.GET.get("since")),
        version=request.GET.get("v", ""),
    )
    if board is None:
        return HttpResponse(status=204)
    template = "responses/_board_delta.html" if board.is_delta else "responses/_board_feed.html"
    return render(
        request, template, {**_feed_context(request, session, board), "out_of_band": True}
    )
