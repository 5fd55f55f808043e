"""Writes made by participants: joining, statements and dots.

Every function checks that the session's phase allows the action and that the records belong
together, so a tampered form cannot reach another session's categories or exceed a dot limit.
Refusals raise ``ParticipationRefused`` with a message fit to show the participant.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import (
    STATEMENT_MAX_LENGTH,
    Category,
    Dot,
    PaperDotTally,
    Participant,
    Statement,
)
from responses.text import normalise_statement_text
from sessions.audit import (
    Action,
    Target,
    audit_changes,
    audit_created,
    audit_record,
    audit_record_many,
    audit_removed,
)
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
    limit = settings.STATEMENTS_PER_PARTICIPANT
    if Statement.objects.filter(session=session, participant=participant).count() >= limit:
        raise ParticipationRefused(
            _(
                "You have %(limit)d cards in this session, the most one person can send. "
                "Change one of them, or tell the facilitator what else you would add."
            )
            % {"limit": limit},
            code="too_many",
        )
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
    before = {"text": statement.text, "use": statement.use}
    statement.text, statement.use = _clean_text(text), _clean_use(use)
    statement.save(update_fields=["text", "use", "updated_at"])
    changes = audit_changes(before, {"text": statement.text, "use": statement.use})
    if changes:
        audit_record(
            workshop=session.workshop,
            session=session,
            participant=participant,
            action=Action.CHANGED,
            target=Target.STATEMENT,
            target_id=statement.pk,
            changes=changes,
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
    actor: AbstractBaseUser | None,
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
            audit_record(
                workshop=session.workshop,
                session=session,
                actor=actor,
                action=Action.CREATED,
                target=Target.STATEMENT,
                target_id=statement.pk,
                changes=audit_created(text=text, use=use, source=source),
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


def _category_fields(category: Category) -> dict[str, int | str]:
    return {
        "reference_number": category.reference_number,
        "name": category.name,
        "description": category.description,
    }


def _category_label(category: Category | None) -> str | None:
    # As the facilitator saw it then: later renumbering or renaming leaves the history as it was.
    return None if category is None else str(category)


def _moves_record(
    *,
    session: PlenarySession,
    actor: AbstractBaseUser | None,
    statements: list[Statement],
    to: Category | None,
) -> None:
    """A "moved" event for each statement whose category changes (their categories loaded)."""
    to_id = None if to is None else to.pk
    audit_record_many(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.MOVED,
        target=Target.STATEMENT,
        changes_by_id={
            statement.pk: {"category": [_category_label(statement.category), _category_label(to)]}
            for statement in statements
            if statement.category_id != to_id
        },
    )


@transaction.atomic
def category_create(
    *, session: PlenarySession, actor: AbstractBaseUser | None, name: str, description: str = ""
) -> Category:
    _lock_session(session)
    category = Category.objects.create(
        session=session,
        reference_number=_next_reference_number(session),
        name=_clean_category_name(session, name),
        description=description.strip(),
    )
    audit_record(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.CREATED,
        target=Target.CATEGORY,
        target_id=category.pk,
        changes=audit_created(**_category_fields(category)),
    )
    return category


@transaction.atomic
def category_update(
    *,
    category: Category,
    actor: AbstractBaseUser | None,
    reference_number: int,
    name: str,
    description: str,
) -> Category:
    """Rename, describe and renumber a category; a number already taken is swapped."""
    session = category.session
    _lock_session(session)
    before = _category_fields(category)
    name = _clean_category_name(session, name, exclude=category.pk)
    if reference_number < 1:
        raise FacilitationRefused(_("Reference numbers start at 1."), code="number")
    if reference_number != category.reference_number:
        holder = session.categories.filter(reference_number=reference_number).first()
        if holder is not None:
            Category.objects.filter(pk=holder.pk).update(reference_number=_PARKED_NUMBER)
            Category.objects.filter(pk=category.pk).update(reference_number=reference_number)
            Category.objects.filter(pk=holder.pk).update(reference_number=category.reference_number)
            audit_record(
                workshop=session.workshop,
                session=session,
                actor=actor,
                action=Action.RENUMBERED,
                target=Target.CATEGORY,
                target_id=holder.pk,
                changes={"reference_number": [reference_number, category.reference_number]},
            )
    Category.objects.filter(pk=category.pk).update(
        reference_number=reference_number, name=name, description=description.strip()
    )
    category.refresh_from_db()
    changes = audit_changes(before, _category_fields(category))
    if changes:
        audit_record(
            workshop=session.workshop,
            session=session,
            actor=actor,
            action=Action.CHANGED,
            target=Target.CATEGORY,
            target_id=category.pk,
            changes=changes,
        )
    return category


_PARKED_NUMBER = 32000


@transaction.atomic
def categories_renumber(*, session: PlenarySession, actor: AbstractBaseUser | None) -> None:
    """Number the categories 1, 2, 3… in their current order, closing gaps left by merges."""
    _lock_session(session)
    categories = list(session.categories.order_by("reference_number"))
    for offset, category in enumerate(categories):
        Category.objects.filter(pk=category.pk).update(reference_number=_PARKED_NUMBER + offset)
    for number, category in enumerate(categories, start=1):
        Category.objects.filter(pk=category.pk).update(reference_number=number)
    audit_record_many(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.RENUMBERED,
        target=Target.CATEGORY,
        changes_by_id={
            category.pk: {"reference_number": [category.reference_number, number]}
            for number, category in enumerate(categories, start=1)
            if category.reference_number != number
        },
    )


def _category_in(session: PlenarySession, category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = session.categories.filter(pk=category_id).first()
    if category is None:
        raise FacilitationRefused(_("That category is not in this session."), code="category")
    return category


@transaction.atomic
def statements_categorise(
    *,
    session: PlenarySession,
    actor: AbstractBaseUser | None,
    statement_ids: list[int],
    category_id: int | None,
) -> int:
    """Put statements into a category, or back among the uncategorised with ``None``."""
    category = _category_in(session, category_id)
    statements = Statement.objects.filter(session=session, pk__in=statement_ids)
    if statements.count() != len(set(statement_ids)):
        raise FacilitationRefused(
            _("Some of those statements are not in this session."), code="statement"
        )
    before = list(statements.select_related("category"))
    moved = statements.update(category=category, updated_at=timezone.now())
    _moves_record(session=session, actor=actor, statements=before, to=category)
    return moved


@transaction.atomic
def statements_sort(
    *, session: PlenarySession, actor: AbstractBaseUser | None, moves: dict[int, int | None]
) -> int:
    """Put each statement into its own category (None: Uncategorised): all of them, or none."""
    by_category: dict[int | None, list[int]] = {}
    for statement_id, category_id in moves.items():
        by_category.setdefault(category_id, []).append(statement_id)
    return sum(
        statements_categorise(
            session=session, actor=actor, statement_ids=ids, category_id=category_id
        )
        for category_id, ids in by_category.items()
    )


@transaction.atomic
def category_merge(
    *, session: PlenarySession, actor: AbstractBaseUser | None, source_id: int, target_id: int
) -> Category:
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
    moving = list(source.statements.all())
    source.statements.update(category=target, updated_at=timezone.now())
    audit_record(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.MERGED,
        target=Target.CATEGORY,
        target_id=source.pk,
        changes={
            "category": [_category_label(source), _category_label(target)],
            "statements": [None, len(moving)],
        },
    )
    _moves_record(session=session, actor=actor, statements=moving, to=target)
    source.delete()
    return target


@transaction.atomic
def category_split(
    *,
    session: PlenarySession,
    actor: AbstractBaseUser | None,
    category_id: int,
    statement_ids: list[int],
    name: str,
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
    moving = list(category.statements.filter(pk__in=statement_ids))
    Statement.objects.filter(pk__in=statement_ids).update(category=new, updated_at=timezone.now())
    audit_record(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.SPLIT,
        target=Target.CATEGORY,
        target_id=new.pk,
        changes={
            "category": [_category_label(category), _category_label(new)],
            "statements": [None, len(moving)],
        },
    )
    _moves_record(session=session, actor=actor, statements=moving, to=new)
    return new


@transaction.atomic
def category_delete(
    *, session: PlenarySession, actor: AbstractBaseUser | None, category_id: int
) -> None:
    """Remove a category; its statements go back among the uncategorised."""
    category = _category_in(session, category_id)
    if category.dots.exists() or category.presented_as.exists():
        raise FacilitationRefused(
            _("“%(name)s” already has dots or was presented to another workshop, so it stays.")
            % {"name": category.name},
            code="in_use",
        )
    moving = list(category.statements.all())
    audit_record(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.DELETED,
        target=Target.CATEGORY,
        target_id=category.pk,
        changes=audit_removed(**_category_fields(category), statements=len(moving) or None),
    )
    _moves_record(session=session, actor=actor, statements=moving, to=None)
    category.delete()


@transaction.atomic
def categories_present(
    *, session: PlenarySession, actor: AbstractBaseUser | None, source: PlenarySession
) -> list[Category]:
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
    presented = Category.objects.bulk_create(
        Category(
            session=session,
            reference_number=original.reference_number,
            name=original.name,
            description=original.description,
            presented_from=original,
        )
        for original in originals
    )
    audit_record_many(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.CREATED,
        target=Target.CATEGORY,
        changes_by_id={
            category.pk: {
                **audit_created(**_category_fields(category)),
                "presented_from": [None, f"{source}: {original}"],
            }
            for category, original in zip(presented, originals, strict=True)
        },
    )
    return presented


def _hiding_record(
    *, statement: Statement, actor: AbstractBaseUser | None, action: str, reason_before: str
) -> None:
    changes = audit_changes(
        {"hidden_reason": reason_before}, {"hidden_reason": statement.hidden_reason}
    )
    if changes:
        audit_record(
            workshop=statement.session.workshop,
            session=statement.session,
            actor=actor,
            action=action,
            target=Target.STATEMENT,
            target_id=statement.pk,
            changes=changes,
        )


@transaction.atomic
def statement_hide(
    *, statement: Statement, actor: AbstractBaseUser | None, reason: str
) -> Statement:
    reason = " ".join(reason.split())
    if not reason:
        raise FacilitationRefused(_("Say why the statement is hidden."), code="reason")
    reason_before = statement.hidden_reason
    statement.hidden, statement.hidden_reason = True, reason[:300]
    statement.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    _hiding_record(
        statement=statement, actor=actor, action=Action.HIDDEN, reason_before=reason_before
    )
    return statement


@transaction.atomic
def statement_restore(*, statement: Statement, actor: AbstractBaseUser | None) -> Statement:
    reason_before = statement.hidden_reason
    statement.hidden, statement.hidden_reason = False, ""
    statement.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    _hiding_record(
        statement=statement, actor=actor, action=Action.RESTORED, reason_before=reason_before
    )
    return statement


# --- Paper dot totals: dots counted on a paper wall chart ---------------------------------------


PAPER_DOTS_MAX = 100000


@transaction.atomic
def paper_dots_record(
    *,
    session: PlenarySession,
    totals: dict[int, int | None],
    note: str,
    actor: AbstractBaseUser | None,
) -> int:
    """Record the dots counted on paper for some of a session's categories: category id →
    total, ``None`` to remove a category's total. Kept apart from the dots participants placed.

    Every category must be the session's own and every total from 0 to 100,000; otherwise
    nothing is saved. The note goes with each total created or changed (with every total when
    only the note is edited). Returns how many totals were
    created, changed or removed; each is recorded in the history.
    """
    _lock_session(session)
    note = " ".join(note.split())[:300]
    categories = {c.pk: c for c in session.categories.filter(pk__in=list(totals))}
    if len(categories) != len(totals):
        raise FacilitationRefused(_("That category is not in this session."), code="category")
    if any(count is not None and not 0 <= count <= PAPER_DOTS_MAX for count in totals.values()):
        raise FacilitationRefused(
            _("A paper total is a whole number from 0 to %(max)d.") % {"max": PAPER_DOTS_MAX},
            code="count",
        )
    existing = {t.category_id: t for t in PaperDotTally.objects.filter(category__in=categories)}
    counts_change = any(
        (existing[pk].count if pk in existing else None) != count for pk, count in totals.items()
    )
    events: dict[str, dict[int, dict]] = {
        Action.CREATED: {},
        Action.CHANGED: {},
        Action.DELETED: {},
    }
    for category_id, count in totals.items():
        category, tally = categories[category_id], existing.get(category_id)
        if count is None and tally is not None:
            events[Action.DELETED][tally.pk] = audit_removed(
                category=_category_label(category), count=tally.count, note=tally.note
            )
            tally.delete()
        elif count is not None and tally is None:
            tally = PaperDotTally.objects.create(
                session=session, category=category, count=count, note=note
            )
            events[Action.CREATED][tally.pk] = audit_created(
                category=_category_label(category), count=count, note=note
            )
        elif count is not None and (
            tally.count != count or (not counts_change and tally.note != note)
        ):
            # The note goes with the totals that change; when no total changes, an edited
            # note is a correction of the note itself and applies to every total.
            events[Action.CHANGED][tally.pk] = {
                "category": [None, _category_label(category)],
                **audit_changes(
                    {"count": tally.count, "note": tally.note}, {"count": count, "note": note}
                ),
            }
            tally.count, tally.note, tally.recorded_at = count, note, timezone.now()
            tally.save(update_fields=["count", "note", "recorded_at"])
    for action, changes_by_id in events.items():
        if changes_by_id:
            audit_record_many(
                workshop=session.workshop,
                session=session,
                actor=actor,
                action=action,
                target=Target.PAPER_DOTS,
                changes_by_id=changes_by_id,
            )
    return sum(len(changes_by_id) for changes_by_id in events.values())
