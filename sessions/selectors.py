"""Reads of workshops and sessions, with their counts computed in the database."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from responses.models import Category, Dot, Statement
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


@dataclass(frozen=True)
class BoardTally:
    category: Category
    total: int


@dataclass(frozen=True)
class Board:
    session: PlenarySession
    statements: list[Statement]
    statement_count: int
    voters: int
    participants: int
    tallies: list[BoardTally]

    @property
    def most_dots(self) -> int:
        return max((tally.total for tally in self.tallies), default=0)

    @property
    def version(self) -> str:
        """Changes whenever anything the board shows changes; the poll sends it back."""
        newest = self.statements[0].pk if self.statements else 0
        totals = ".".join(str(tally.total) for tally in self.tallies)
        state = f"{self.session.phase}-{int(self.session.results_revealed)}"
        return f"{state}-{self.statement_count}-{newest}-{self.voters}-{self.participants}-{totals}"


BOARD_STATEMENT_LIMIT = 80


def board_for(*, session: PlenarySession) -> Board:
    """What the projector shows: the newest statements, how many voted, tallies if revealed."""
    visible = Statement.objects.filter(session=session, hidden=False)
    statements = list(visible.order_by("-created_at", "-pk")[:BOARD_STATEMENT_LIMIT])
    # Two small counts, not one aggregate: joining a session's statements with its dots
    # multiplies rows (900 × 1,200 in the bench burst) and made each board poll take ~200 ms.
    statement_count = visible.count()
    voters = Dot.objects.filter(session=session).values("participant").distinct().count()
    participants = session.workshop.participants.count()
    tallies = []
    if session.results_revealed:
        categories = Category.objects.filter(session=session).annotate(total=Sum("dots__count"))
        tallies = sorted(
            (BoardTally(category, category.total or 0) for category in categories),
            key=lambda tally: (-tally.total, tally.category.reference_number),
        )
    return Board(
        session=session,
        statements=statements,
        statement_count=statement_count,
        voters=voters,
        participants=participants,
        tallies=tallies,
    )


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
