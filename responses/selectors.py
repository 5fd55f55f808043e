"""Reads for the participant's pages, the facilitator's live board, the clustering page and
the agency projects' lists."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    Case,
    FilteredRelation,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from responses.models import AgencyProject, Category, Dot, Participant, Statement
from sessions.models import PlenarySession, Workshop
from sessions.roles import User, workshops_visible_to

JOIN_CODE_MAX_LENGTH = PlenarySession._meta.get_field("join_code").max_length


def _could_be_code(code: str) -> bool:
    # A code from a URL is never looked up unless it could be one (no NUL, no megabyte).
    return 0 < len(code) <= JOIN_CODE_MAX_LENGTH and code.isascii() and code.isalnum()


def session_for_code(code: str) -> PlenarySession | None:
    if not _could_be_code(code):
        return None
    return PlenarySession.objects.select_related("workshop").filter(join_code=code).first()


def session_and_participant(
    *, code: str, token: str | None
) -> tuple[PlenarySession | None, Participant | None]:
    """The session with this code and the participant this browser is in its workshop, in one
    query (every request of the participant's page starts here)."""
    if not _could_be_code(code):
        return None, None
    if not token:
        return session_for_code(code), None
    session = (
        PlenarySession.objects.select_related("workshop")
        .annotate(
            browser=FilteredRelation(
                "workshop__participants", condition=Q(workshop__participants__token=token)
            )
        )
        .select_related("browser")
        .filter(join_code=code)
        .order_by()
        .first()
    )
    if session is None:
        return None, None
    # No row joined: Django leaves the attribute unset.
    participant = getattr(session, "browser", None)
    if participant is not None:
        participant.workshop = session.workshop
    return session, participant


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


@dataclass(frozen=True)
class DotState:
    """A participant's dots after a change: on the category changed, and in all."""

    category: Category
    mine: int
    used: int
    limit: int
    repeated: bool = False  # the change's key was seen before: nothing was changed again

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


def dot_counts(
    *, session: PlenarySession, participant: Participant, category: Category
) -> tuple[int, int]:
    """``(used, mine)``: the participant's dots in the session, and on ``category``, in one
    query."""
    counts = Dot.objects.filter(session=session, participant=participant).aggregate(
        used=Coalesce(Sum("count"), 0),
        mine=Coalesce(Sum("count", filter=Q(category=category)), 0),
    )
    return counts["used"], counts["mine"]


def dot_state(
    *, session: PlenarySession, participant: Participant, category_id: int
) -> DotState | None:
    """The participant's dots on one category of the session and in all (after a refused
    change), or None when the session has no such category."""
    category = Category.objects.filter(session=session, pk=category_id).first()
    if category is None:
        return None
    used, mine = dot_counts(session=session, participant=participant, category=category)
    return DotState(category, mine, used, session.dots_per_participant)


# --- The published report ---------------------------------------------------------------------
#
# Once a phase's summary report is published, a closed session's page links to it. Publishing
# is the reports app's, which this one may not import: imports go one way
# (docs/architecture.md). So reports registers how to find the link, from its
# AppConfig.ready(); without it the page simply has no link.

# (phase_id=..., public_only=...) -> the path of the phase's live published report, or None.
PublishedReportFinder = Callable[..., str | None]

_published_report_finders: list[PublishedReportFinder] = []


def published_report_finder_register(finder: PublishedReportFinder) -> None:
    """Let a closed session's page find its phase's published report through ``finder``."""
    if finder not in _published_report_finders:
        _published_report_finders.append(finder)


def published_report_url(*, session: PlenarySession, public_only: bool) -> str:
    """The path of the session's phase's published report, or "" while there is none.

    ``public_only`` for anyone who comes by; the people who took part also get an unlisted one
    (they were in the room).
    """
    for finder in _published_report_finders:
        url = finder(phase_id=session.workshop.phase_id, public_only=public_only)
        if url:
            return url
    return ""


# --- The facilitator's pages ------------------------------------------------------------------


@dataclass(frozen=True)
class ClusteringBoard:
    categories: list[Category]  # each with .visible_statements
    uncategorised: list[Statement]
    hidden: list[Statement]
    presentable: list[PlenarySession]  # sessions whose list this session could take


def clustering_for(*, user: User, session: PlenarySession) -> ClusteringBoard:
    statements = list(Statement.objects.filter(session=session).order_by("created_at", "pk"))
    categories = list(
        Category.objects.filter(session=session)
        .annotate(dot_total=Sum("dots__count"))
        .order_by("reference_number")
    )
    by_category: dict[int, list[Statement]] = {category.pk: [] for category in categories}
    uncategorised, hidden = [], []
    for statement in statements:
        if statement.hidden:
            hidden.append(statement)
        elif statement.category_id in by_category:
            by_category[statement.category_id].append(statement)
        else:
            uncategorised.append(statement)
    for category in categories:
        category.visible_statements = by_category[category.pk]
    presentable = []
    if not categories:
        presentable = list(
            PlenarySession.objects.filter(workshop__in=workshops_visible_to(user))
            .exclude(pk=session.pk)
            .filter(categories__isnull=False)
            .distinct()
            .select_related("workshop")
            .order_by("-workshop__date", "position")
        )
    return ClusteringBoard(
        categories=categories, uncategorised=uncategorised, hidden=hidden, presentable=presentable
    )


# --- Agency projects ----------------------------------------------------------------------------

# The agency projects of a workshop are shared with its participants once it has this status.
SHARED_WHEN = Workshop.Status.COMPLETED


def projects_own(*, participant: Participant) -> list[AgencyProject]:
    """The entries a participant described, newest first."""
    return list(
        AgencyProject.objects.filter(participant=participant).order_by("-created_at", "-pk")
    )


def projects_for_review(*, workshop: Workshop) -> list[AgencyProject]:
    """A workshop's entries: waiting for review first, then approved, then not shared."""
    order = Case(
        When(review=AgencyProject.Review.PENDING, then=Value(0)),
        When(review=AgencyProject.Review.APPROVED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        AgencyProject.objects.filter(workshop=workshop)
        .select_related("reviewed_by")
        .order_by(order, "organisation", "pk")
    )


def projects_approved(*, workshop: Workshop) -> QuerySet[AgencyProject]:
    """A workshop's approved entries, by organisation: the list its participants are given."""
    return AgencyProject.objects.filter(
        workshop=workshop, review=AgencyProject.Review.APPROVED
    ).order_by("organisation", "platform", "pk")


def projects_are_shared(workshop: Workshop) -> bool:
    """Whether the workshop's participants see the approved list yet: once it is completed."""
    return workshop.status == SHARED_WHEN


def projects_shared(*, workshop: Workshop) -> list[AgencyProject]:
    """What the workshop's participants may see now: the approved list once it is completed."""
    if not projects_are_shared(workshop):
        return []
    return list(projects_approved(workshop=workshop))
