"""Who may open a page: the access decorators every app's views use.

They live here, at the bottom layer, so that each app's views can use them without importing
another app's views (docs/architecture.md). A refusal is the same everywhere: someone not signed
in goes to the login page, someone signed in without the role gets 403, and a workshop or
session that is not theirs answers 404, exactly like one that does not exist.

The participant's ``participant_view`` stays in responses/views.py: it looks participants up by
their browser's cookie and applies the participation rate limits, both of which are responses'.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sessions.models import PlenarySession
from sessions.roles import user_is_facilitator, user_is_staff_member
from sessions.selectors import session_for

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed in as a staff member; others (facilitators too) are refused with 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_is_staff_member(request.user):
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def facilitator_required(view: View) -> View:
    """Signed in as staff or a facilitator; others are refused with 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (user_is_staff_member(request.user) or user_is_facilitator(request.user)):
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def session_view(view: View) -> View:
    """Resolve ``workshop_pk``/``pk`` to a session this user may run, or answer 404.

    The view is called with the session in place of the two numbers.
    """

    @wraps(view)
    @facilitator_required
    def wrapper(request: HttpRequest, workshop_pk: int, pk: int, *args, **kwargs) -> HttpResponse:
        try:
            session = session_for(user=request.user, workshop_pk=workshop_pk, pk=pk)
        except PlenarySession.DoesNotExist:
            raise Http404 from None
        return view(request, session, *args, **kwargs)

    return wrapper
