"""Writes to workshops and sessions."""

from django.db import transaction
from django.utils import timezone

from sessions.models import PlenarySession


@transaction.atomic
def session_phase_set(*, session: PlenarySession, phase: str) -> PlenarySession:
    """Move a session to another phase, noting when, so the writing timer starts then."""
    if phase not in PlenarySession.Phase.values:
        raise ValueError(f"unknown phase {phase!r}")
    if session.phase != phase:
        session.phase = phase
        session.phase_changed_at = timezone.now()
        session.save(update_fields=["phase", "phase_changed_at"])
    return session
