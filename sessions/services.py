"""Writes to workshops, their sessions and the facilitators' notes."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sessions.audit import Action, Target, audit_created, audit_record
from sessions.live import session_state_changed
from sessions.models import NoteRevision, PlenarySession, Workshop
from sessions.roles import user_is_facilitator
from sessions.updates import model_update

# Positions are unique within a workshop; a swap parks one session here for a moment.
_PARKED_POSITION = 32000


@transaction.atomic
def workshop_create(*, creator, facilitators=(), **fields) -> Workshop:
    """A new workshop. A facilitator who creates one is assigned to it, so they can run it;
    staff, who see every workshop anyway, assign whom they choose."""
    workshop = Workshop.objects.create(**fields)
    workshop.facilitators.add(*facilitators)
    if user_is_facilitator(creator):
        workshop.facilitators.add(creator)
    return workshop


@transaction.atomic
def session_create(*, workshop: Workshop, **fields) -> PlenarySession:
    """A new session at the end of the workshop's agenda."""
    Workshop.objects.select_for_update().filter(pk=workshop.pk).get()
    last = workshop.sessions.aggregate(last=Max("position"))["last"] or 0
    return PlenarySession.objects.create(workshop=workshop, position=last + 1, **fields)


@transaction.atomic
def session_move(*, session: PlenarySession, direction: str) -> PlenarySession:
    """Swap the session with its neighbour above ("up") or below ("down")."""
    Workshop.objects.select_for_update().filter(pk=session.workshop_id).get()
    siblings = PlenarySession.objects.filter(workshop_id=session.workshop_id)
    if direction == "up":
        neighbour = siblings.filter(position__lt=session.position).order_by("-position").first()
    elif direction == "down":
        neighbour = siblings.filter(position__gt=session.position).order_by("position").first()
    else:
        raise ValueError(f"unknown direction {direction!r}")
    if neighbour is None:
        return session
    mine, theirs = session.position, neighbour.position
    PlenarySession.objects.filter(pk=session.pk).update(position=_PARKED_POSITION)
    PlenarySession.objects.filter(pk=neighbour.pk).update(position=mine)
    PlenarySession.objects.filter(pk=session.pk).update(position=theirs)
    session.position = theirs
    return session


@transaction.atomic
def session_phase_set(
    *,
    session: PlenarySession,
    phase: str,
    dots_per_participant: int | None = None,
    dots_may_stack: bool | None = None,
) -> PlenarySession:
    """Move a session to another phase, noting when, so the writing timer starts then.

    ``dots_per_participant`` and ``dots_may_stack``, when given, change the voting settings in
    the same transaction: the fixes offered when opening voting would leave dots nowhere to go.
    """
    if phase not in PlenarySession.Phase.values:
        raise ValueError(f"unknown phase {phase!r}")
    settings = {
        name: value
        for name, value in (
            ("dots_per_participant", dots_per_participant),
            ("dots_may_stack", dots_may_stack),
        )
        if value is not None
    }
    if settings:
        model_update(instance=session, fields=settings)
    if session.phase != phase:
        model_update(instance=session, fields={"phase": phase, "phase_changed_at": timezone.now()})
        session_state_changed(session)
    if phase in LIVE_PHASES:
        # A planned workshop whose session opens is now running.
        Workshop.objects.filter(pk=session.workshop_id, status=Workshop.Status.PLANNED).update(
            status=Workshop.Status.RUNNING
        )
    return session


LIVE_PHASES = (
    PlenarySession.Phase.COLLECTING,
    PlenarySession.Phase.CLUSTERING,
    PlenarySession.Phase.VOTING,
)


@transaction.atomic
def session_results_reveal(*, session: PlenarySession, revealed: bool) -> PlenarySession:
    """Show the dot totals to the participants, or hide them again."""
    model_update(instance=session, fields={"results_revealed": revealed})
    session_state_changed(session)
    return session


@dataclass(frozen=True)
class NoteSave:
    revision: NoteRevision
    # Set when someone else saved since the writer's starting revision: their newest text,
    # which the writer's save did not overwrite (both are kept as revisions).
    conflict_with: NoteRevision | None = None


@transaction.atomic
def note_save(*, session: PlenarySession, author, text: str, based_on: int | None) -> NoteSave:
    """Keep a new revision of the session's notes; never overwrite anyone's text.

    ``based_on`` is the revision the writer's editor started from. If a newer revision exists
    that the writer has not seen (another facilitator saved meanwhile), the save still becomes
    a revision of its own, and the newer one is returned as the conflict to resolve.
    """
    PlenarySession.objects.select_for_update().filter(pk=session.pk).get()
    latest = session.note_revisions.order_by("-number").first()
    if based_on is not None and (latest is None or not 1 <= based_on <= latest.number):
        based_on = None  # a revision that does not exist: treat the save as unanchored
    if latest is not None and latest.text == text and latest.number == based_on:
        return NoteSave(revision=latest)  # nothing changed since the writer's revision
    conflict = None
    if latest is not None and based_on != latest.number:
        conflict = _unseen_revision(session=session, based_on=based_on, author=author)
    revision = NoteRevision.objects.create(
        session=session,
        number=(latest.number if latest else 0) + 1,
        based_on=based_on if latest is not None else None,
        text=text,
        author=author,
    )
    # The revision keeps the text; the history says who saved which revision, from which.
    audit_record(
        workshop=session.workshop,
        session=session,
        actor=author,
        action=Action.CREATED,
        target=Target.NOTE,
        target_id=revision.pk,
        changes=audit_created(
            revision=revision.number,
            based_on=revision.based_on,
            conflict_with=conflict.number if conflict else None,
        ),
    )
    return NoteSave(revision=revision, conflict_with=conflict)


def _unseen_revision(*, session: PlenarySession, based_on: int | None, author) -> NoteRevision:
    """The newest revision saved after ``based_on`` by someone other than ``author``."""
    newer = session.note_revisions.order_by("-number")
    if based_on is not None:
        newer = newer.filter(number__gt=based_on)
    others = newer.exclude(author=author)
    return others.first() or newer.first()
