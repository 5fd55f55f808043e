"""Writes made by participants: joining, statements and dots.

Every function checks that the session's phase allows the action and that the records belong
together, so a tampered form cannot reach another session's categories or exceed a dot limit.
Refusals raise ``ParticipationRefused`` with a message fit to show the participant.

The facilitators' writes (paper cards, clustering, moderation, paper dot totals) are in
responses/facilitation.py; agency projects in responses/projects.py.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import (
    STATEMENT_MAX_LENGTH,
    Category,
    Dot,
    DotChange,
    Participant,
    Statement,
)
from responses.selectors import DotState, dot_counts
from responses.text import normalise_statement_text, split_use_mark
from sessions.audit import Action, Target, audit_created, audit_record, audit_removed
from sessions.models import PlenarySession, Workshop
from sessions.updates import model_insert_once, model_update_audited

Phase = PlenarySession.Phase


class ParticipationRefused(Exception):
    """An action the participant may not take now; ``message`` says why, in plain words."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def phase_refusal(session: PlenarySession, action: str) -> ParticipationRefused:
    """Why ``action`` ("write" or "vote") is not possible in the session's current phase."""
    if session.phase == Phase.DRAFT:
        message = _("This session has not opened yet.")
    elif session.phase == Phase.CLOSED:
        message = _("This session has closed.")
    elif action == "write":
        message = _("Writing has ended: no more cards can be added or changed.")
    else:
        message = _("Voting is not open at the moment.")
    return ParticipationRefused(message, code=f"phase:{action}")


@dataclass(frozen=True)
class Profile:
    name: str = ""
    organisation: str = ""
    level_of_government: str = ""
    role: str = ""
    email: str = ""
    consent_to_be_named: bool = False
    consent_to_contact: bool = False


@transaction.atomic
def participant_join(
    *, workshop: Workshop, browser_token: str, profile: Profile | None = None
) -> Participant:
    """The participant this browser is in this workshop, created on first join."""
    participant, _created = Participant.objects.get_or_create(
        workshop=workshop, token=browser_token
    )
    if profile is not None:
        participant_profile_set(participant=participant, profile=profile)
    return participant


@transaction.atomic
def participant_profile_set(*, participant: Participant, profile: Profile) -> Participant:
    consent_changed = profile.consent_to_be_named != participant.consent_to_be_named
    for field in ("name", "organisation", "level_of_government", "role", "email"):
        setattr(participant, field, getattr(profile, field).strip())
    participant.consent_to_be_named = profile.consent_to_be_named
    if consent_changed or (profile.consent_to_be_named and not participant.consent_recorded_at):
        participant.consent_recorded_at = timezone.now()
    # Consent to be told of the report means nothing without an address. Its time is that of
    # the first "yes" still standing. Opting out (the link in a message) ends the consent; a
    # "yes" given here afterwards is a new consent and lifts the opt-out.
    participant.consent_to_contact = profile.consent_to_contact and bool(participant.email)
    if not participant.consent_to_contact:
        participant.contact_consent_at = None
    elif participant.contact_consent_at is None:
        participant.contact_consent_at = timezone.now()
        participant.contact_opted_out_at = None
    participant.save()
    return participant


def clean_text(text: str) -> str:
    """A card's text, normalised; refused when empty or too long (cards typed in from paper too)."""
    text = normalise_statement_text(text)
    if not text:
        raise ParticipationRefused(_("Write something on the card first."), code="empty")
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ParticipationRefused(
            _(
                "A card holds at most %(limit)d characters; this one has %(length)d. "
                "Shorten it or split it into two cards."
            )
            % {"limit": STATEMENT_MAX_LENGTH, "length": len(text)},
            code="too_long",
        )
    return text


def clean_use(use: str) -> str:
    """A card's mark (external, internal or none); refused when it is none of those."""
    if use not in Statement.Use.values:
        raise ParticipationRefused(_("Choose external, internal or no mark."), code="use")
    return use


def clean_text_and_use(text: str, use: str) -> tuple[str, str]:
    """A card's text and mark, checked. A trailing "(E)" or "(I)" on the text sets the mark, as
    on a paper card, and leaves the text; only when no mark was chosen (a choice wins)."""
    if not use:
        text, use = split_use_mark(text)
    return clean_text(text), clean_use(use)


@dataclass(frozen=True)
class Submission:
    statement: Statement
    created: bool


def statement_submit(
    *,
    session: PlenarySession,
    participant: Participant,
    text: str,
    use: str = "",
    idempotency_key: uuid.UUID,
) -> Submission:
    """Store a participant's card once, however often the same submission arrives.

    A repeat of a stored key returns the stored statement (``created`` False) even after
    writing has closed, so a retry after a lost acknowledgement still gets its "received".
    A trailing "(E)" or "(I)" marks the card when ``use`` is empty (``clean_text_and_use``).
    A new card costs four statements: the participant's lock, their card count, the insert
    (which does nothing for a key already stored) and the history event.
    """
    if session.phase != Phase.COLLECTING:
        if existing := _statement_for_key(idempotency_key, participant):
            return Submission(existing, created=False)
        raise phase_refusal(session, "write")
    if participant.workshop_id != session.workshop_id:
        raise ParticipationRefused(_("You joined another workshop."), code="workshop")
    text, use = clean_text_and_use(text, use)
    with transaction.atomic():
        # Under the participant's lock, so cards sent at the same moment cannot all pass the
        # count.
        _lock(participant)
        cards = Statement.objects.filter(session=session, participant=participant).count()
        if cards >= settings.STATEMENTS_PER_PARTICIPANT:
            if existing := _statement_for_key(idempotency_key, participant):
                return Submission(existing, created=False)
            raise _too_many_cards()
        statement = Statement(
            session=session,
            participant=participant,
            text=text,
            use=use,
            source=Statement.Source.ONLINE,
            idempotency_key=idempotency_key,
        )
        if not model_insert_once(statement):
            # The key is stored already: a retry, or the same card sent twice at once.
            existing = _statement_for_key(idempotency_key, participant)
            if existing is None:
                raise ParticipationRefused(
                    _("This card could not be stored. Copy your text and write it again."),
                    code="conflict",
                )
            return Submission(existing, created=False)
        # Only a stored card is recorded; a repeat of its key changes nothing.
        audit_record(
            workshop=session.workshop,
            session=session,
            participant=participant,
            action=Action.CREATED,
            target=Target.STATEMENT,
            target_id=statement.pk,
            changes=audit_created(text=text, use=use),
        )
    return Submission(statement, created=True)


def _too_many_cards() -> ParticipationRefused:
    limit = settings.STATEMENTS_PER_PARTICIPANT
    return ParticipationRefused(
        _(
            "You have %(limit)d cards in this session, the most one person can send. "
            "Change one of them, or tell the facilitator what else you would add."
        )
        % {"limit": limit},
        code="too_many",
    )


def _statement_for_key(key: uuid.UUID, participant: Participant) -> Statement | None:
    statement = Statement.objects.filter(idempotency_key=key).first()
    if statement is not None and statement.participant_id != participant.pk:
        # A key is the submitting browser's own; another's key is never answered with its card.
        raise ParticipationRefused(
            _("This card could not be matched to you. Copy your text and write it again."),
            code="key_conflict",
        )
    return statement


def _own_statement(*, session: PlenarySession, participant: Participant, pk: int) -> Statement:
    statement = Statement.objects.filter(session=session, participant=participant, pk=pk).first()
    if statement is None:
        raise ParticipationRefused(_("That card is not one of yours."), code="not_yours")
    if session.phase != Phase.COLLECTING:
        raise phase_refusal(session, "write")
    return statement


@transaction.atomic
def statement_edit(
    *, session: PlenarySession, participant: Participant, pk: int, text: str, use: str
) -> Statement:
    """Change the text or mark of one of the participant's own cards while writing is open.

    A trailing "(E)" or "(I)" marks the card when ``use`` is empty, as on a new card.

    Side effects: a "changed" event in the history, when anything changed.
    """
    statement = _own_statement(session=session, participant=participant, pk=pk)
    text, use = clean_text_and_use(text, use)
    model_update_audited(
        instance=statement,
        fields={"text": text, "use": use},
        workshop=session.workshop,
        session=session,
        participant=participant,
        action=Action.CHANGED,
        target=Target.STATEMENT,
    )
    return statement


@transaction.atomic
def statement_withdraw(*, session: PlenarySession, participant: Participant, pk: int) -> None:
    statement = _own_statement(session=session, participant=participant, pk=pk)
    # The history keeps what was withdrawn; the statement itself is gone.
    audit_record(
        workshop=session.workshop,
        session=session,
        participant=participant,
        action=Action.WITHDRAWN,
        target=Target.STATEMENT,
        target_id=statement.pk,
        changes=audit_removed(text=statement.text, use=statement.use),
    )
    statement.delete()


def _voting_category(session: PlenarySession, category_id: int) -> Category:
    if session.phase != Phase.VOTING:
        raise phase_refusal(session, "vote")
    category = Category.objects.filter(session=session, pk=category_id).first()
    if category is None:
        raise ParticipationRefused(
            _("That category is not on this session's list."), code="category"
        )
    return category


def _lock(participant: Participant) -> None:
    """Lock the participant's row: it serialises one participant's writes, so two requests at
    once cannot both take the last dot or the last card. (SQLite's IMMEDIATE transactions
    already serialise every write.)

    What the lock guards is counted in the statements after it: on PostgreSQL a statement sees
    the data as of its start, so a count taken in the locking statement itself could be one
    made before the other request's commit it waited for.
    """
    Participant.objects.select_for_update().filter(pk=participant.pk).values_list("pk").get()


def _dot_change(
    *,
    session: PlenarySession,
    participant: Participant,
    category_id: int,
    key: uuid.UUID | None,
    place: bool,
) -> DotState:
    """Place (``place``) or take off one dot, once per ``key``: five statements in all (the
    category, the lock, both counts, the key, the change)."""
    category = _voting_category(session, category_id)
    if participant.workshop_id != session.workshop_id:
        raise ParticipationRefused(_("You joined another workshop."), code="workshop")
    limit = session.dots_per_participant
    with transaction.atomic():
        _lock(participant)
        # After the lock, so they include a change that held it a moment ago.
        used, mine = dot_counts(session=session, participant=participant, category=category)
        if key is not None and not model_insert_once(DotChange(key=key, participant=participant)):
            return DotState(category, mine, used, limit, repeated=True)
        if place:
            _dot_add(
                session=session, participant=participant, category=category, used=used, mine=mine
            )
            return DotState(category, mine + 1, used + 1, limit)
        _dot_take_off(participant=participant, category=category, mine=mine)
        return DotState(category, mine - 1, used - 1, limit)


def _dot_add(*, session, participant, category: Category, used: int, mine: int) -> None:
    limit = session.dots_per_participant
    if used >= limit:
        raise ParticipationRefused(
            _(
                "You have placed all %(limit)d of your dots. "
                "To move one, first take it off another category."
            )
            % {"limit": limit},
            code="no_dots_left",
        )
    if mine == 0:
        Dot.objects.create(session=session, category=category, participant=participant)
    elif not session.dots_may_stack:
        raise ParticipationRefused(
            _("You already have a dot on “%(name)s”; in this session each dot goes elsewhere.")
            % {"name": category.name},
            code="no_stacking",
        )
    else:
        Dot.objects.filter(participant=participant, category=category).update(
            count=F("count") + 1, placed_at=timezone.now()
        )


def _dot_take_off(*, participant, category: Category, mine: int) -> None:
    if mine == 0:
        raise ParticipationRefused(
            _("There is no dot of yours on “%(name)s”.") % {"name": category.name},
            code="no_dot",
        )
    dots = Dot.objects.filter(participant=participant, category=category)
    if mine > 1:
        dots.update(count=F("count") - 1, placed_at=timezone.now())
    else:
        dots.delete()


def dot_place(
    *,
    session: PlenarySession,
    participant: Participant,
    category_id: int,
    key: uuid.UUID | None = None,
) -> DotState:
    """Place one of the participant's dots on a category of the session (once per ``key``)."""
    return _dot_change(
        session=session, participant=participant, category_id=category_id, key=key, place=True
    )


def dot_remove(
    *,
    session: PlenarySession,
    participant: Participant,
    category_id: int,
    key: uuid.UUID | None = None,
) -> DotState:
    """Take one of the participant's dots off a category (once per ``key``)."""
    return _dot_change(
        session=session, participant=participant, category_id=category_id, key=key, place=False
    )
