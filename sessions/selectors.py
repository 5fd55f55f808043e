"""Reads of workshops and sessions, with their counts computed in the database."""

from django.db.models import Count, Prefetch, Q, QuerySet

from sessions.models import AuditEvent, NoteRevision, PlenarySession, Workshop
from sessions.roles import User, workshops_visible_to


def workshop_list_for(*, user: User) -> QuerySet[Workshop]:
    """The workshops a user may see, newest phase first, with session and statement counts."""
    return (
        workshops_visible_to(user)
        .select_related("phase")
        .annotate(
            session_count=Count("sessions", distinct=True),
            statement_count=Count(
                "sessions__statements",
                filter=Q(sessions__statements__hidden=False),
                distinct=True,
            ),
        )
        .order_by("-phase__starts_on", "phase__title", "phase_id", "date", "start_time", "pk")
    )


def workshop_detail_for(*, user: User, pk: int) -> Workshop:
    """One workshop the user may see, with its sessions and their counts; raises DoesNotExist."""
    sessions = PlenarySession.objects.annotate(
        statement_count=Count("statements", filter=Q(statements__hidden=False), distinct=True),
        category_count=Count("categories", distinct=True),
    ).order_by("position")
    return (
        workshops_visible_to(user)
        .select_related("phase")
        .prefetch_related(Prefetch("sessions", queryset=sessions), "facilitators")
        # Agency projects waiting for review, for the button's badge: no extra query.
        .annotate(
            projects_pending=Count("agency_projects", filter=Q(agency_projects__review="pending"))
        )
        .get(pk=pk)
    )


def session_for(*, user: User, workshop_pk: int, pk: int) -> PlenarySession:
    """A session of a workshop the user may see; raises DoesNotExist otherwise."""
    return (
        PlenarySession.objects.select_related("workshop", "workshop__phase")
        .filter(workshop__in=workshops_visible_to(user))
        .get(workshop_id=workshop_pk, pk=pk)
    )


def note_latest(*, session: PlenarySession) -> NoteRevision | None:
    return session.note_revisions.select_related("author").order_by("-number").first()


def note_history(*, session: PlenarySession) -> list[NoteRevision]:
    return list(session.note_revisions.select_related("author").order_by("-number"))


def workshop_events(
    *, workshop: Workshop, session: PlenarySession | None = None, target: str = ""
) -> QuerySet[AuditEvent]:
    """A workshop's change history, newest first, optionally of one session or record type.

    Each event comes with its actor, participant and session in the same query.
    """
    events = AuditEvent.objects.filter(workshop=workshop).select_related(
        "actor", "actor_participant", "session"
    )
    if session is not None:
        events = events.filter(session=session)
    if target:
        events = events.filter(target=target)
    return events.order_by("-created_at", "-pk")
