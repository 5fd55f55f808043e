"""The clustering page's suggestions: the session's switch, and accepting or dismissing what is
proposed. Each is a form posted from the clustering page that goes back to it, like the
page's other actions (responses/facilitator_views.py, whose helpers these share), so all of
it works by keyboard and without JavaScript.
"""

from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from responses.facilitation import FacilitationRefused
from responses.facilitator_views import (
    clustering_action,
    clustering_done,
    clustering_url,
    clustering_url_after,
)
from responses.models import SuggestionDismissal
from responses.suggest import services
from sessions.models import PlenarySession


def _pair(value: str | None) -> tuple[int, int]:
    """Two ids from a button's value "12:34" (statement and category, or the two cards)."""
    first, _sep, second = (value or "").partition(":")
    if not (first.isdigit() and second.isdigit()):
        raise FacilitationRefused(_("That suggestion is no longer proposed."), code="value")
    return int(first), int(second)


@clustering_action
def suggestions_switch(request: HttpRequest, session: PlenarySession):
    on = request.POST.get("on") == "1"
    services.suggestions_switch(session=session, actor=request.user, on=on)
    message = _("Suggestions are on.") if on else _("Suggestions are off.")
    return message, clustering_url(session)


@clustering_action
def suggestion_file(request: HttpRequest, session: PlenarySession):
    statement_id, category_id = _pair(request.POST.get("file"))
    statement = session.statements.filter(pk=statement_id).first()
    if statement is None:
        raise FacilitationRefused(_("That statement is not in this session."), code="statement")
    back = clustering_url_after(session, statement, [statement.pk])
    statement = services.suggestion_file(
        session=session, actor=request.user, statement_id=statement_id, category_id=category_id
    )
    clustering_done(request, session, statements=[statement.pk])
    return (
        _("Filed “%(text)s” under %(category)s, as suggested.")
        % {"text": Truncator(statement.text).chars(60), "category": statement.category},
        back,
    )


@clustering_action
def suggestion_group_accept(request: HttpRequest, session: PlenarySession):
    ids = [int(value) for value in request.POST.getlist("statement") if value.isdigit()]
    category = services.suggestion_group_accept(
        session=session, actor=request.user, name=request.POST.get("name", ""), statement_ids=ids
    )
    clustering_done(request, session, statements=ids, category=category.pk)
    count = len(set(ids))
    return (
        ngettext(
            "Created category %(category)s with %(count)d statement, as suggested.",
            "Created category %(category)s with %(count)d statements, as suggested.",
            count,
        )
        % {"category": category, "count": count},
        clustering_url(session, f"category-{category.pk}"),
    )


@clustering_action
def suggestion_dismiss(request: HttpRequest, session: PlenarySession):
    kind, _sep, signature = request.POST.get("dismiss", "").partition(":")
    services.suggestion_dismiss(session=session, actor=request.user, kind=kind, signature=signature)
    if kind == SuggestionDismissal.Kind.GROUP:
        return _("Proposed group dismissed."), clustering_url(session, "proposed-groups")
    return _("Both cards kept."), clustering_url(session, "uncategorised")


@clustering_action
def suggestion_duplicate_hide(request: HttpRequest, session: PlenarySession):
    original_id, statement_id = _pair(request.POST.get("duplicate"))
    statement = session.statements.filter(pk=statement_id).first()
    back = clustering_url(session, "uncategorised")
    if statement is not None:
        back = clustering_url_after(session, statement, [statement.pk])
    services.suggestion_duplicate_hide(
        session=session, actor=request.user, statement_id=statement_id, original_id=original_id
    )
    return _("Duplicate hidden. It is kept and can be restored."), back
