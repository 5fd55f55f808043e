"""Writes made by facilitators on a session's statements: paper cards typed in, clustering
(categories created, changed, merged, split, renumbered, deleted or presented to another session;
statements moved between them), moderation (hiding and restoring statements) and the dot totals
counted on a paper wall chart.

Every function checks that the records belong to the session, so a tampered form cannot reach
another session's statements or categories, and records each change in the history in the same
transaction. Refusals raise ``FacilitationRefused`` with a message fit to show the facilitator.
"""

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext as _

from responses.models import Category, PaperDotTally, Statement
from responses.services import ParticipationRefused, Submission, clean_text, clean_use
from sessions.audit import (
    Action,
    Target,
    audit_created,
    audit_record,
    audit_record_many,
    audit_removed,
)
from sessions.models import PlenarySession
from sessions.updates import model_update, model_update_audited


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
    text, use = clean_text(text), clean_use(use)
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


@transaction.atomic
def card_correct(
    *, statement: Statement, actor: AbstractBaseUser | None, text: str, use: str
) -> Statement:
    """Put right the text or mark of a statement a facilitator typed in (from a paper card).

    A participant's own online card is theirs: the facilitator may only hide it.
    Side effects: a "changed" event in the history, when anything changed.
    """
    if statement.source not in (Statement.Source.CARD, Statement.Source.FACILITATOR):
        raise FacilitationRefused(
            _("Only a card typed in from paper can be corrected; hide an online card instead."),
            code="source",
        )
    model_update_audited(
        instance=statement,
        fields={"text": clean_text(text), "use": clean_use(use)},
        workshop=statement.session.workshop,
        session=statement.session,
        actor=actor,
        action=Action.CHANGED,
        target=Target.STATEMENT,
    )
    return statement


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


# In an event's changes: the change was a clustering suggestion the facilitator accepted.
_ACCEPTED = {"suggestion": [None, True]}


def _moves_record(
    *,
    session: PlenarySession,
    actor: AbstractBaseUser | None,
    statements: list[Statement],
    to: Category | None,
    suggested: bool = False,
) -> None:
    """A "moved" event for each statement whose category changes (their categories loaded),
    marked as accepted from a clustering suggestion when ``suggested``."""
    to_id = None if to is None else to.pk
    accepted = _ACCEPTED if suggested else {}
    audit_record_many(
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.MOVED,
        target=Target.STATEMENT,
        changes_by_id={
            statement.pk: {
                "category": [_category_label(statement.category), _category_label(to)],
                **accepted,
            }
            for statement in statements
            if statement.category_id != to_id
        },
    )


@transaction.atomic
def category_create(
    *,
    session: PlenarySession,
    actor: AbstractBaseUser | None,
    name: str,
    description: str = "",
    from_suggestion: bool = False,
) -> Category:
    """A new category, numbered after the session's last. ``from_suggestion``: a proposed
    group the facilitator accepted, which its "created" event says."""
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
        changes={
            **audit_created(**_category_fields(category)),
            **(_ACCEPTED if from_suggestion else {}),
        },
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
    """Rename, describe and renumber a category; a number already taken is swapped.

    Side effects: a "renumbered" event for the category whose number this one takes, then a
    "changed" event for this one, when anything changed.
    """
    session = category.session
    _lock_session(session)
    name = _clean_category_name(session, name, exclude=category.pk)
    if reference_number < 1:
        raise FacilitationRefused(_("Reference numbers start at 1."), code="number")
    number_before = category.reference_number
    holder = None
    if reference_number != number_before:
        holder = session.categories.filter(reference_number=reference_number).first()
    if holder is not None:
        # Numbers are unique within a session: the holder steps aside while this category
        # takes its number, then takes this category's old one.
        Category.objects.filter(pk=holder.pk).update(reference_number=_PARKED_NUMBER)
        audit_record(
            workshop=session.workshop,
            session=session,
            actor=actor,
            action=Action.RENUMBERED,
            target=Target.CATEGORY,
            target_id=holder.pk,
            changes={"reference_number": [reference_number, number_before]},
        )
    model_update_audited(
        instance=category,
        fields={
            "reference_number": reference_number,
            "name": name,
            "description": description.strip(),
        },
        workshop=session.workshop,
        session=session,
        actor=actor,
        action=Action.CHANGED,
        target=Target.CATEGORY,
    )
    if holder is not None:
        Category.objects.filter(pk=holder.pk).update(reference_number=number_before)
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
    from_suggestion: bool = False,
) -> int:
    """Put statements into a category, or back among the uncategorised with ``None``;
    ``from_suggestion`` marks them (and their events) as filed from an accepted suggestion."""
    category = _category_in(session, category_id)
    statements = Statement.objects.filter(session=session, pk__in=statement_ids)
    if statements.count() != len(set(statement_ids)):
        raise FacilitationRefused(
            _("Some of those statements are not in this session."), code="statement"
        )
    before = list(statements.select_related("category"))
    filed = from_suggestion and category is not None  # a move by hand clears the mark
    moved = statements.update(category=category, filed_by_suggestion=filed, updated_at=now())
    _moves_record(session=session, actor=actor, statements=before, to=category, suggested=filed)
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
    source.statements.update(category=target, filed_by_suggestion=False, updated_at=now())
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
    moved = Statement.objects.filter(pk__in=statement_ids)
    moved.update(category=new, filed_by_suggestion=False, updated_at=now())
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
    category.statements.update(filed_by_suggestion=False)
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


def _hiding_set(
    *, statement: Statement, actor: AbstractBaseUser | None, action: str, reason: str
) -> Statement:
    # The history keeps the reason only: it says all that hiding or restoring changed.
    model_update_audited(
        instance=statement,
        fields={"hidden": bool(reason), "hidden_reason": reason},
        recorded={"hidden_reason"},
        workshop=statement.session.workshop,
        session=statement.session,
        actor=actor,
        action=action,
        target=Target.STATEMENT,
    )
    return statement


@transaction.atomic
def statement_hide(
    *, statement: Statement, actor: AbstractBaseUser | None, reason: str
) -> Statement:
    """Hide a statement from the lists and the report, keeping it and saying why.

    Side effects: a "hidden" event in the history, when the reason changed.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise FacilitationRefused(_("Say why the statement is hidden."), code="reason")
    return _hiding_set(statement=statement, actor=actor, action=Action.HIDDEN, reason=reason[:300])


@transaction.atomic
def statement_restore(*, statement: Statement, actor: AbstractBaseUser | None) -> Statement:
    """Show a hidden statement again. Side effects: a "restored" event, when it was hidden."""
    return _hiding_set(statement=statement, actor=actor, action=Action.RESTORED, reason="")


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
            changes = model_update(
                instance=tally,
                fields={"count": count, "note": note, "recorded_at": timezone.now()},
            )
            changes.pop("recorded_at", None)  # the event keeps its own time
            events[Action.CHANGED][tally.pk] = {
                "category": [None, _category_label(category)],
                **changes,
            }
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
