"""The live board's reads: what the projector shows, and what its one-second poll answers.

The poll carries what the board holds: ``since``, the highest statement it was sent, and ``v``,
its version (phase, reveal, tallies, the counts, and a fingerprint of the visible statements up
to ``since``). One query compares them with the database (``_state``), and the answer is

- nothing (the view answers 204) when nothing changed and no newer card waits;
- a delta when the statements the board holds are as they were: only the cards after ``since``,
  at most ``BOARD_DELTA_LIMIT``, oldest first, so that the next poll fetches the rest and no
  card is ever skipped, however fast they arrive or however late a poll comes;
- a full render otherwise (an edit, hide, restore, withdrawal or move among the cards it holds;
  a phase change, the reveal, a tally): the newest ``BOARD_STATEMENT_LIMIT`` cards it holds,
  plus the next cards after ``since`` as a delta would bring them, so a full render never
  skips a card either.

The board has one layout per phase (``Board.mode``): the cards as they arrive (draft and
collecting, the only phases with deltas), the categories being formed (clustering: every
visible statement in its category or the uncategorised pile, a full render on any change), the
categories being voted on (voting), and the ranked results (once revealed). While clustering or
voting the poll reads the categories too (a second query), so that a new, renamed, renumbered
or described category reaches the board: the version carries a digest of them.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, FilteredRelation, Max, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from responses.models import Category, Dot, Participant, Statement
from sessions.models import PlenarySession

BOARD_STATEMENT_LIMIT = 80  # a full render: the newest cards the board holds
BOARD_DELTA_LIMIT = 200  # new cards in one answer; the next poll brings the rest
# Cards the board's script keeps in its list (static/js/board.js): at least a full render and a
# delta, far more than a projector shows. Unbounded, a session of 5,000 cards would leave the
# browser laying out 5,000 list items on every poll for cards nobody can see.
BOARD_KEEP = 300

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VOTING_PHASES = {PlenarySession.Phase.VOTING, PlenarySession.Phase.CLOSED}
_CARD_PHASES = {PlenarySession.Phase.DRAFT, PlenarySession.Phase.COLLECTING}


def _microseconds(moment: datetime | None) -> int:
    # Exact integer arithmetic: a float timestamp can lose the last microsecond.
    return (moment - _EPOCH) // timedelta(microseconds=1) if moment else 0


@dataclass(frozen=True)
class Held:
    """The session's visible statements up to the board's ``since``, in three numbers.

    Hiding, restoring or withdrawing one changes their count and the sum of their keys, and so
    does a card that commits after one with a higher key (PostgreSQL hands out keys before
    commit): the board gets a full render, which shows it if it is among the newest it holds.
    An edit, or a move to another category, sets ``updated_at`` and so the latest of them.
    """

    count: int = 0
    pk_sum: int = 0
    edited: int = 0  # the latest updated_at, in microseconds since the epoch

    def plus(self, statements: list[Statement]) -> "Held":
        return Held(
            count=self.count + len(statements),
            pk_sum=self.pk_sum + sum(statement.pk for statement in statements),
            edited=max([self.edited, *(_microseconds(s.updated_at) for s in statements)]),
        )


@dataclass(frozen=True)
class BoardTally:
    category: Category
    total: int
    rank: int = 1  # 1 + the number of categories with more dots: equal totals share a rank
    tied: bool = False  # another category has the same total (shown as "=3")


@dataclass(frozen=True)
class BoardCategory:
    category: Category
    statements: list[Statement]  # while clustering: the latest moved first


@dataclass(frozen=True)
class Board:
    session: PlenarySession
    statements: list[Statement]  # newest first: all the list shows, or (a delta) what it adds
    statement_count: int
    voters: int
    participants: int
    tallies: list[BoardTally]
    since: int  # the highest statement the board holds after this answer
    held: Held  # the visible statements up to ``since``
    is_delta: bool = False
    categories: list[BoardCategory] = ()  # while clustering, voting, or closed unrevealed
    uncategorised: list[Statement] = ()  # while clustering: the latest moved first

    @property
    def lists_statements(self) -> bool:
        return _lists_statements(self.session)

    @property
    def mode(self) -> str:
        """The layout: "cards", "clusters", "voting" or "results"."""
        return _mode(self.session)

    @property
    def join(self) -> str:
        """The join panel: "large" while people may still write, "corner" until the session
        closes, "" after."""
        if self.session.phase in _CARD_PHASES:
            return "large"
        return "" if self.session.phase == PlenarySession.Phase.CLOSED else "corner"

    @property
    def most_dots(self) -> int:
        return max((tally.total for tally in self.tallies), default=0)

    @property
    def version(self) -> str:
        """Changes whenever anything the board shows changes; the poll sends it back."""
        counts = _counts(self.session, self.statement_count, self.voters, self.participants)
        shown = [c.category for c in self.categories]
        return f"{_base(self.session, self.held, self.tallies, shown)}.{counts}"


@dataclass(frozen=True)
class _State:
    statement_count: int
    newest: int  # the highest visible statement
    held: Held
    voters: int
    participants: int


def _mode(session: PlenarySession) -> str:
    if session.results_revealed:
        return "results"
    if session.phase in _CARD_PHASES:
        return "cards"
    if session.phase == PlenarySession.Phase.CLUSTERING:
        return "clusters"
    return "voting"  # voting, or closed before the facilitator reveals the results


def _lists_statements(session: PlenarySession) -> bool:
    """The list of cards that deltas add to (draft and collecting)."""
    return _mode(session) == "cards"


def _base(
    session: PlenarySession,
    held: Held,
    tallies: list[BoardTally],
    categories: list[Category] = (),
) -> str:
    """The part of the version a delta leaves as it is (the counts are the other part)."""
    shown = "|".join(
        f"{t.category.pk}:{t.category.reference_number}:{t.category.name}:{t.total}"
        for t in tallies
    )
    shown += "|".join(f"{c.pk}:{c.reference_number}:{c.name}:{c.description}" for c in categories)
    digest = hashlib.blake2s(shown.encode(), digest_size=6).hexdigest()
    state = f"{session.phase}-{int(session.results_revealed)}"
    return f"{state}-{held.count}-{held.pk_sum}-{held.edited}-{digest}"


def _counts(session: PlenarySession, statements: int, voters: int, participants: int) -> str:
    """The other part: the counts the board shows (who has voted only while voting or after,
    so that people joining while cards are written send the board nothing)."""
    if session.phase in _VOTING_PHASES:
        return f"{statements}-{voters}-{participants}"
    return str(statements)


def _state(*, session: PlenarySession, since: int | None) -> _State:
    """Everything a poll compares, in one query: the session's visible statements (joined on
    the session, hidden ones left out by the join), the voters and the participants.

    Voters and participants are subqueries, not joins: joining the statements with the dots
    multiplied rows (900 × 1,200 in the bench burst) and made each poll take ~200 ms. They name
    the session and workshop by value, not by reference to the outer row, so the database runs
    each once (on PostgreSQL an InitPlan) and they stay out of the GROUP BY; referring to the
    outer row, they were run again for each of the session's statements.
    """
    held = None if since is None else Q(visible__pk__lte=since)
    voters = (
        Dot.objects.filter(session_id=session.pk)
        .order_by()
        .values("session")
        .annotate(n=Count("participant", distinct=True))
        .values("n")
    )
    participants = (
        Participant.objects.filter(workshop_id=session.workshop_id)
        .order_by()
        .values("workshop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        PlenarySession.objects.filter(pk=session.pk)
        .annotate(visible=FilteredRelation("statements", condition=Q(statements__hidden=False)))
        .values("pk")
        .annotate(
            statement_count=Count("visible"),
            newest=Max("visible__pk"),
            held_count=Count("visible", filter=held),
            held_sum=Sum("visible__pk", filter=held),
            held_edited=Max("visible__updated_at", filter=held),
            voters=Coalesce(Subquery(voters), 0),
            participants=Coalesce(Subquery(participants), 0),
        )
        .get()
    )
    return _State(
        statement_count=row["statement_count"],
        newest=row["newest"] or 0,
        held=Held(
            count=row["held_count"],
            pk_sum=int(row["held_sum"] or 0),  # a Decimal on PostgreSQL
            edited=_microseconds(row["held_edited"]),
        ),
        voters=row["voters"],
        participants=row["participants"],
    )


def _tallies(session: PlenarySession) -> list[BoardTally]:
    if not session.results_revealed:
        return []
    categories = Category.objects.filter(session=session).annotate(total=Sum("dots__count"))
    totals = [category.total or 0 for category in categories]
    return sorted(
        (
            BoardTally(
                category,
                total,
                rank=1 + sum(other > total for other in totals),
                tied=totals.count(total) > 1,
            )
            for category, total in zip(categories, totals, strict=True)
        ),
        key=lambda tally: (-tally.total, tally.category.reference_number),
    )


def _categories(session: PlenarySession) -> list[Category]:
    """The categories the board shows while clustering and voting (in reference order)."""
    if _mode(session) not in {"clusters", "voting"}:
        return []
    return list(Category.objects.filter(session=session).order_by("reference_number"))


def _visible(session: PlenarySession) -> QuerySet[Statement]:
    return Statement.objects.filter(session=session, hidden=False)


def _after(session: PlenarySession, since: int) -> list[Statement]:
    """The next cards after ``since``, oldest first."""
    return list(_visible(session).filter(pk__gt=since).order_by("pk")[:BOARD_DELTA_LIMIT])


def _board(
    session: PlenarySession,
    state: _State,
    tallies: list[BoardTally],
    *,
    statements: list[Statement],
    since: int,
    held: Held,
    is_delta: bool = False,
    categories: list[BoardCategory] = (),
    uncategorised: list[Statement] = (),
) -> Board:
    return Board(
        session=session,
        statements=statements,
        statement_count=state.statement_count,
        voters=state.voters,
        participants=state.participants,
        tallies=tallies,
        since=since,
        held=held,
        is_delta=is_delta,
        categories=list(categories),
        uncategorised=list(uncategorised),
    )


def _clusters(session: PlenarySession, state: _State, categories: list[Category]) -> Board:
    """Every visible statement, in its category or the pile, the latest moved first.

    All of them, not the newest few: a category's statements are what the room is forming.
    The board then holds every visible statement, so ``since`` and ``held`` describe them all.
    """
    statements = list(_visible(session).order_by("-updated_at", "-pk"))
    grouped: dict[int | None, list[Statement]] = {None: [], **{c.pk: [] for c in categories}}
    for statement in statements:
        # A statement moved into a category created after the categories were read waits in
        # the pile until the next poll (whose version then differs).
        grouped.get(statement.category_id, grouped[None]).append(statement)
    return _board(
        session,
        state,
        [],
        statements=[],
        since=max((statement.pk for statement in statements), default=0),
        held=Held().plus(statements),
        categories=[BoardCategory(c, grouped[c.pk]) for c in categories],
        uncategorised=grouped[None],
    )


def _full(
    session: PlenarySession,
    state: _State,
    tallies: list[BoardTally],
    since: int | None,
    categories: list[Category],
) -> Board:
    top = state.newest if since is None else since
    if _mode(session) == "clusters":
        return _clusters(session, state, categories)
    if not _lists_statements(session):
        shown = [BoardCategory(category, []) for category in categories]
        return _board(
            session, state, tallies, statements=[], since=top, held=state.held, categories=shown
        )
    held_statements = []
    if state.held.count:
        held_statements = list(
            _visible(session).filter(pk__lte=top).order_by("-pk")[:BOARD_STATEMENT_LIMIT]
        )
    # And the next cards after those, as a delta would bring them: a full render skips none.
    new = _after(session, since) if since is not None and state.newest > since else []
    return _board(
        session,
        state,
        tallies,
        statements=new[::-1] + held_statements,
        since=new[-1].pk if new else top,
        held=state.held.plus(new),
    )


def board_for(*, session: PlenarySession) -> Board:
    """The board page: the newest statements, the counts, the tallies if revealed."""
    state = _state(session=session, since=None)
    return _full(session, state, _tallies(session), None, _categories(session))


def board_changes(*, session: PlenarySession, since: int | None, version: str) -> Board | None:
    """What a board holding ``since`` and ``version`` lacks: None when nothing, a delta when
    only newer cards (or the counts), the full board otherwise."""
    state = _state(session=session, since=since)
    tallies = _tallies(session)
    categories = _categories(session)
    base = _base(session, state.held, tallies, categories)
    lists = _lists_statements(session)
    waiting = lists and since is not None and state.newest > since
    counts = _counts(session, state.statement_count, state.voters, state.participants)
    if version == f"{base}.{counts}" and not waiting:
        return None
    # A delta adds to the list, so the list must be there: not the note of an empty board.
    if lists and since is not None and state.held.count and version.split(".")[0] == base:
        new = _after(session, since) if waiting else []
        return _board(
            session,
            state,
            tallies,
            statements=new[::-1],
            since=new[-1].pk if new else since,
            held=state.held.plus(new),
            is_delta=True,
        )
    return _full(session, state, tallies, since, categories)
