"""Reads of workshops and sessions, with their counts computed in the database."""

from django.db.models import Count, Prefetch, Q, QuerySet

from sessions.models import PlenarySession, Workshop
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
        .get(pk=pk)
    )
