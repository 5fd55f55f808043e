"""Writes made by participants: joining, statements and dots.

Every function checks that the session's phase allows the action and that the records belong
together, so a tampered form cannot reach another session's categories or exceed a dot limit.
Refusals raise ``ParticipationRefused`` with a message fit to show the participant.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import STATEMENT_MAX_LENGTH, Category, Dot, Participant, Statement
from responses.text import normalise_statement_text
from sessions.models import PlenarySession, Workshop

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
    participant.save()
    return participant


def _clean_text(text: str) -> str:
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


def _clean_use(use: str) -> str:
    if use not in Statement.Use.values:
        raise ParticipationRefused(_("Choose external, internal or no mark."), code="use")
    return use


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
    """
    existing = _statement_for_key(idempotency_key, participant)
    if existing is not None:
        return Submission(existing, created=False)
    if session.phase != Phase.COLLECTING:
        raise phase_refusal(session, "write")
    if participant.workshop_id != session.workshop_id:
        raise ParticipationRefused(_("You joined another workshop."), code="workshop")
    text, use = _clean_text(text), _clean_use(use)
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                session=session,
                participant=participant,
                text=text,
                use=use,
                source=Statement.Source.ONLINE,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # The same key arrived twice at once: the other request stored it first.
        existing = _statement_for_key(idempotency_key, participant)
        if existing is None:
            raise
        return Submission(existing, created=False)
    return Submission(statement, created=True)


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
    statement = _own_statement(session=session, participant=participant, pk=pk)
    statement.text, statement.use = _clean_text(text), _clean_use(use)
    statement.save(update_fields=["text", "use", "updated_at"])
    return statement


@transaction.atomic
def statement_withdraw(*, session: PlenarySession, participant: Participant, pk: int) -> None:
    _own_statement(session=session, participant=participant, pk=pk).delete()


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
    # Serialises one participant's dot changes, so two requests at once cannot both take the
    # last dot. (SQLite's IMMEDIATE transactions already serialise every write.)
    Participant.objects.select_for_update().filter(pk=participant.pk).values_list("pk").get()


def dots_used(*, session: PlenarySession, participant: Participant) -> int:
    used = Dot.objects.filter(session=session, participant=participant).aggregate(
        total=Sum("count")
    )["total"]
    return used or 0


@transaction.atomic
def dot_place(*, session: PlenarySession, participant: Participant, category_id: int) -> Dot:
    category = _voting_category(session, category_id)
    if participant.workshop_id != session.workshop_id:
        raise ParticipationRefused(_("You joined another workshop."), code="workshop")
    _lock(participant)
    limit = session.dots_per_participant
    if dots_used(session=session, participant=participant) >= limit:
        raise ParticipationRefused(
            _(
                "You have placed all %(limit)d of your dots. "
                "To move one, first take it off another category."
            )
            % {"limit": limit},
            code="no_dots_left",
        )
    dot = Dot.objects.filter(participant=participant, category=category).first()
    if dot is None:
        return Dot.objects.create(session=session, category=category, participant=participant)
    if not session.dots_may_stack:
        raise ParticipationRefused(
            _("You already have a dot on “%(name)s”; in this session each dot goes elsewhere.")
            % {"name": category.name},
            code="no_stacking",
        )
    Dot.objects.filter(pk=dot.pk).update(count=F("count") + 1, placed_at=timezone.now())
    dot.refresh_from_db()
    return dot


@transaction.atomic
def dot_remove(*, session: PlenarySession, participant: Participant, category_id: int) -> None:
    category = _voting_category(session, category_id)
    _lock(participant)
    dot = Dot.objects.filter(participant=participant, category=category).first()
    if dot is None:
        raise ParticipationRefused(
            _("There is no dot of yours on “%(name)s”.") % {"name": category.name},
            code="no_dot",
        )
    if dot.count > 1:
        Dot.objects.filter(pk=dot.pk).update(count=F("count") - 1, placed_at=timezone.now())
    else:
        dot.delete()


# --- Facilitators' writes: paper cards, clustering, moderation ----------------------------------


class FacilitationRefused(ParticipationRefused):
    """A facilitator's action that would break the records; ``message`` says why."""


def card_enter(
    *,
    session: PlenarySession,
    text: str,
    use: str = "",
    source: str = Statement.Source.CARD,
    idempotency_key: uuid.UUID,
) -> Submission:
    """A statement typed in by a facilitator from a paper card (stored once per key)."""
    existing = Statement.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.session_id != session.pk or existing.participant_id is not None:
            raise FacilitationRefused(_("This form was already used; reload it."), code="key")
        return Submission(existing, created=False)
    if source not in (Statement.Source.CARD, Statement.Source.FACILITATOR):
        raise FacilitationRefused(_("Choose where the statement came from."), code="source")
    text, use = _clean_text(text), _clean_use(use)
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                session=session, text=text, use=use, source=source, idempotency_key=idempotency_key
            )
    except IntegrityError:
        return Submission(Statement.objects.get(idempotency_key=idempotency_key), created=False)
    return Submission(statement, created=True)


def _next_reference_number(session: PlenarySession) -> int:
    return (session.categories.aggregate(last=Max("reference_number"))["last"] or 0) + 1


def _clean_category_name(session: PlenarySession, name: str, *, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise FacilitationRefused(_("Give the category a name."), code="name")
    clash = session.categories.filter(name__iexact=name).exclude(pk=exclude)
    if clash.exists():
        raise FacilitationRefused(
            _("There is already a category called “%(name)s”.") % {"name": name}, code="name"
        )
    return name


def _lock_session(session: PlenarySession) -> None:
    PlenarySession.objects.select_for_update().filter(pk=session.pk).values_list("pk").get()


@transaction.atomic
def category_create(*, session: PlenarySession, name: str, description: str = "") -> Category:
    _lock_session(session)
    return Category.objects.create(
        session=session,
        reference_number=_next_reference_number(session),
        name=_clean_category_name(session, name),
        description=description.strip(),
    )


@transaction.atomic
def category_update(
    *, category: Category, reference_number: int, name: str, description: str
) -> Category:
    """Rename, describe and renumber a category; a number already taken is swapped."""
    session = category.session
    _lock_session(session)
    name = _clean_category_name(session, name, exclude=category.pk)
    if reference_number < 1:
        raise FacilitationRefused(_("Reference numbers start at 1."), code="number")
    if reference_number != category.reference_number:
        holder = session.categories.filter(reference_number=reference_number).first()
        if holder is not None:
            Category.objects.filter(pk=holder.pk).update(reference_number=_PARKED_NUMBER)
            Category.objects.filter(pk=category.pk).update(reference_number=reference_number)
            Category.objects.filter(pk=holder.pk).update(reference_number=category.reference_number)
    Category.objects.filter(pk=category.pk).update(
        reference_number=reference_number, name=name, description=description.strip()
    )
    category.refresh_from_db()
    return category


_PARKED_NUMBER = 32000


@transaction.atomic
def categories_renumber(*, session: PlenarySession) -> None:
    """Number the categories 1, 2, 3… in their current order, closing gaps left by merges."""
    _lock_session(session)
    categories = list(session.categories.order_by("reference_number"))
    for offset, category in enumerate(categories):
        Category.objects.filter(pk=category.pk).update(reference_number=_PARKED_NUMBER + offset)
    for number, category in enumerate(categories, start=1):
        Category.objects.filter(pk=category.pk).update(reference_number=number)


def _category_in(session: PlenarySession, category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = session.categories.filter(pk=category_id).first()
    if category is None:
        raise FacilitationRefused(_("That category is not in this session."), code="category")
    return category


@transaction.atomic
def statements_categorise(
    *, session: PlenarySession, statement_ids: list[int], category_id: int | None
) -> int:
    """Put statements into a category, or back among the uncategorised with ``None``."""
    category = _category_in(session, category_id)
    statements = Statement.objects.filter(session=session, pk__in=statement_ids)
    if statements.count() != len(set(statement_ids)):
        raise FacilitationRefused(
            _("Some of those statements are not in this session."), code="statement"
        )
    return statements.update(category=category, updated_at=timezone.now())


@transaction.atomic
def category_merge(*, session: PlenarySession, source_id: int, target_id: int) -> Category:
    """Move every statement of one category into another and remove the emptied one."""
    _lock_session(session)
    source, target = _category_in(session, source_id), _category_in(session, target_id)
    if source.pk == target.pk:
        raise FacilitationRefused(_("Choose another category to merge into."), code="same")
    if source.dots.exists() or source.presented_as.exists():
        raise FacilitationRefused(
            _("“%(name)s” already has dots or was presented to another workshop, so it stays.")
            % {"name": source.name},
            code="in_use",
        )
    source.statements.update(category=target, updated_at=timezone.now())
    source.delete()
    return target


@transaction.atomic
def category_split(
    *, session: PlenarySession, category_id: int, statement_ids: list[int], name: str
) -> Category:
    """Move some statements of a category into a new category."""
    _lock_session(session)
    category = _category_in(session, category_id)
    if not statement_ids:
        raise FacilitationRefused(_("Tick the statements that should move."), code="none")
    if category.statements.filter(pk__in=statement_ids).count() != len(set(statement_ids)):
        raise FacilitationRefused(
            _("Only this category's statements can be split off."), code="statement"
        )
    new = Category.objects.create(
        session=session,
        reference_number=_next_reference_number(session),
        name=_clean_category_name(session, name),
    )
    Statement.objects.filter(pk__in=statement_ids).update(category=new, updated_at=timezone.now())
    return new


@transaction.atomic
def category_delete(*, session: PlenarySession, category_id: int) -> None:
    """Remove a category; its statements go back among the uncategorised."""
    category = _category_in(session, category_id)
    if category.dots.exists() or category.presented_as.exists():
        raise FacilitationRefused(
            _("“%(name)s” already has dots or was presented to another workshop, so it stays.")
            % {"name": category.name},
            code="in_use",
        )
    category.delete()


@transaction.atomic
def categories_present(*, session: PlenarySession, source: PlenarySession) -> list[Category]:
    """Give a ranking session the list of another session's categories, linked to them."""
    _lock_session(session)
    if source.pk == session.pk:
        raise FacilitationRefused(_("Choose another session's list."), code="same")
    if session.categories.exists():
        raise FacilitationRefused(
            _("This session already has categories; a presented list replaces none."),
            code="not_empty",
        )
    originals = list(source.categories.order_by("reference_number"))
    if not originals:
        raise FacilitationRefused(_("That session has no categories yet."), code="empty")
    return Category.objects.bulk_create(
        Category(
            session=session,
            reference_number=original.reference_number,
            name=original.name,
            description=original.description,
            presented_from=original,
        )
        for original in originals
    )


@transaction.atomic
def statement_hide(*, statement: Statement, reason: str) -> Statement:
    reason = " ".join(reason.split())
    if not reason:
        raise FacilitationRefused(_("Say why the statement is hidden."), code="reason")
    statement.hidden, statement.hidden_reason = True, reason[:300]
    statement.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    return statement


@transaction.atomic
def statement_restore(*, statement: Statement) -> Statement:
    statement.hidden, statement.hidden_reason = False, ""
    statement.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    return statement
