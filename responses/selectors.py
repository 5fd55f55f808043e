"""Reads for the participant's pages."""

from dataclasses import dataclass

from django.db.models import Prefetch, Sum

from responses.models import Category, Dot, Participant, Statement
from sessions.models import PlenarySession

JOIN_CODE_MAX_LENGTH = PlenarySession._meta.get_field("join_code").max_length


def session_for_code(code: str) -> PlenarySession | None:
    # A code from a URL is never looked up unless it could be one (no NUL, no megabyte).
    if not (0 < len(code) <= JOIN_CODE_MAX_LENGTH and code.isascii() and code.isalnum()):
        return None
    return PlenarySession.objects.select_related("workshop").filter(join_code=code).first()


def participant_for_browser(*, session: PlenarySession, token: str | None) -> Participant | None:
    if not token:
        return None
    return Participant.objects.filter(workshop_id=session.workshop_id, token=token).first()


def own_statements(*, session: PlenarySession, participant: Participant) -> list[Statement]:
    return list(
        Statement.objects.filter(session=session, participant=participant).order_by(
            "created_at", "pk"
        )
    )


@dataclass(frozen=True)
class BallotLine:
    category: Category
    mine: int
    total: int | None  # None while results are hidden


@dataclass(frozen=True)
class Ballot:
    lines: list[BallotLine]
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


def ballot_for(*, session: PlenarySession, participant: Participant) -> Ballot:
    """The session's categories with this participant's dots, and totals once revealed."""
    categories = Category.objects.filter(session=session).order_by("reference_number")
    if session.results_revealed:
        categories = categories.annotate(total=Sum("dots__count"))
    categories = categories.prefetch_related(
        Prefetch("dots", queryset=Dot.objects.filter(participant=participant), to_attr="my_dots")
    )
    lines = [
        BallotLine(
            category=category,
            mine=sum(dot.count for dot in category.my_dots),
            total=(category.total or 0) if session.results_revealed else None,
        )
        for category in categories
    ]
    return Ballot(
        lines=lines,
        used=sum(line.mine for line in lines),
        limit=session.dots_per_participant,
    )
