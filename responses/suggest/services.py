"""Writes for the clustering suggestions: the session's switch, and a facilitator accepting or
dismissing a suggestion.

Accepting goes through the facilitator's own services (responses.facilitation): filing a card
is ``statements_categorise`` with ``from_suggestion=True``, so the statement is marked as filed
from a suggestion and its "moved" event in the history says "accepted from a clustering
suggestion". Refusals raise ``FacilitationRefused``, as the other clustering actions do.
"""

import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from responses import facilitation
from responses.facilitation import FacilitationRefused
from responses.models import Category, Statement, SuggestionDismissal
from sessions.audit import Action, Target, audit_record
from sessions.models import PlenarySession
from sessions.updates import model_update, model_update_audited

_SIGNATURE = re.compile(r"[0-9a-f]{32}|[0-9]{1,19}-[0-9]{1,19}")


@transaction.atomic
def suggestions_switch(
    *, session: PlenarySession, actor: AbstractBaseUser | None, on: bool
) -> PlenarySession:
    """Turn the session's clustering suggestions on or off.

    Side effect: a "changed" event for the session when the setting changed, so the history
    says who let the server propose groupings, and when.
    """
    model_update_audited(
        instance=session,
        fields={"suggestions_on": on},
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.CHANGED,
        target=Target.SESSION,
    )
    return session


@transaction.atomic
def suggestion_file(
    *, session: PlenarySession, actor: AbstractBaseUser | None, statement_id: int, category_id: int
) -> Statement:
    """File a statement under the category a suggestion proposed.

    Side effects: the statement is marked as filed from a suggestion; a "moved" event in the
    history says it was accepted from a clustering suggestion.
    """
    facilitation.statements_categorise(
        session=session,
        actor=actor,
        statement_ids=[statement_id],
        category_id=category_id,
        from_suggestion=True,
    )
    return Statement.objects.select_related("category").get(pk=statement_id)


@transaction.atomic
def suggestion_group_accept(
    *, session: PlenarySession, actor: AbstractBaseUser | None, name: str, statement_ids: list[int]
) -> Category:
    """Make a proposed group a category: create it with the (edited) name and file the ticked
    statements in it.

    Side effects: a "created" event for the category and a "moved" event for each statement,
    each saying it was accepted from a clustering suggestion.
    """
    if not statement_ids:
        raise FacilitationRefused(
            _("Tick the statements that go in the new category."), code="none"
        )
    filed = Statement.objects.filter(session=session, pk__in=statement_ids, category__isnull=False)
    if filed.exists():
        raise FacilitationRefused(
            _("Some of those statements are in a category already; reload the page."), code="filed"
        )
    category = facilitation.category_create(
        session=session, actor=actor, name=name, from_suggestion=True
    )
    facilitation.statements_categorise(
        session=session,
        actor=actor,
        statement_ids=statement_ids,
        category_id=category.pk,
        from_suggestion=True,
    )
    return category


def suggestion_dismiss(
    *, session: PlenarySession, actor: AbstractBaseUser | None, kind: str, signature: str
) -> SuggestionDismissal:
    """Keep a proposed group, or a duplicate hint ("keep both"), from being proposed again in
    this session. Dismissing twice is the same as once."""
    if kind not in SuggestionDismissal.Kind.values or not _SIGNATURE.fullmatch(signature):
        raise FacilitationRefused(_("That suggestion is no longer proposed."), code="signature")
    try:
        with transaction.atomic():
            dismissal, _created = SuggestionDismissal.objects.get_or_create(
                session=session, kind=kind, signature=signature, defaults={"dismissed_by": actor}
            )
    except IntegrityError:  # dismissed at the same moment in another tab
        dismissal = SuggestionDismissal.objects.get(session=session, kind=kind, signature=signature)
    return dismissal


@transaction.atomic
def suggestion_duplicate_hide(
    *, session: PlenarySession, actor: AbstractBaseUser | None, statement_id: int, original_id: int
) -> Statement:
    """Hide a card as a duplicate of an earlier one, as a "looks like a duplicate" hint
    proposed. The card is kept and can be restored, like any hidden statement.

    Side effects: a "hidden" event in the history with the reason ("Duplicate of “…”"), saying
    it was accepted from a clustering suggestion.
    """
    found = {
        s.pk: s
        for s in Statement.objects.select_related("session__workshop").filter(
            session=session, pk__in=[statement_id, original_id]
        )
    }
    if statement_id == original_id or len(found) != 2:
        raise FacilitationRefused(_("That statement is not in this session."), code="statement")
    statement, original = found[statement_id], found[original_id]
    reason = _("Duplicate of “%(text)s”") % {"text": Truncator(original.text).chars(200)}
    changes = model_update(instance=statement, fields={"hidden": True, "hidden_reason": reason})
    if "hidden_reason" in changes:
        audit_record(
            workshop=session.workshop,
            session=session,
            actor=actor,
            action=Action.HIDDEN,
            target=Target.STATEMENT,
            target_id=statement.pk,
            changes={"hidden_reason": changes["hidden_reason"], "suggestion": [None, True]},
        )
    return statement
