"""Reads for the clustering suggestions: what to propose on a session's clustering page, and
how many of a phase's statements were filed from an accepted suggestion.

The proposals are worked out afresh on each page from the statements and categories the page
already loaded (responses.selectors.clustering_for), plus one query for the dismissed ones:
nothing is cached, so nothing can be stale.
"""

import hashlib
from dataclasses import dataclass

from responses.models import Category, Statement, SuggestionDismissal
from responses.selectors import ClusteringBoard
from responses.suggest import engine
from sessions.models import PlenarySession

# Grouping compares every pair of statements, and chooses among 2 to 16 groups: past this
# many uncategorised statements, the first ones (in the order they came) are grouped.
MAX_GROUPED = 300
MIN_GROUP_SIZE = 2


@dataclass(frozen=True)
class CategoryHint:
    category: Category
    score: float


@dataclass(frozen=True)
class ProposedGroup:
    signature: str  # names the group by its statements: dismissed, it stays dismissed
    name: str  # a draft name, made of the group's most telling words
    statements: list[Statement]


@dataclass(frozen=True)
class DuplicateHint:
    original: Statement  # the earlier card
    signature: str
    score: float


@dataclass(frozen=True)
class Suggestions:
    categories: dict[int, list[CategoryHint]]  # uncategorised statement id → up to three
    groups: list[ProposedGroup]  # only while the session has no category
    duplicates: dict[int, DuplicateHint]  # uncategorised statement id → the card it repeats
    grouped_all: bool  # False when only the first MAX_GROUPED statements were grouped


def group_signature(statement_ids: list[int]) -> str:
    joined = ",".join(str(pk) for pk in sorted(statement_ids))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def duplicate_signature(original_id: int, statement_id: int) -> str:
    return f"{original_id}-{statement_id}"


def suggestions_for(*, session: PlenarySession, board: ClusteringBoard) -> Suggestions:
    """What to propose for the board's uncategorised statements (one query: the dismissals)."""
    dismissed = set(
        SuggestionDismissal.objects.filter(session=session).values_list("kind", "signature")
    )
    return Suggestions(
        categories=_category_hints(board),
        groups=_groups(board, dismissed) if not board.categories else [],
        duplicates=_duplicates(board, dismissed),
        grouped_all=len(board.uncategorised) <= MAX_GROUPED,
    )


def _category_hints(board: ClusteringBoard) -> dict[int, list[CategoryHint]]:
    if not board.categories or not board.uncategorised:
        return {}
    by_pk = {category.pk: category for category in board.categories}
    answers = engine.suggest(
        [statement.text for statement in board.uncategorised],
        [(s.text, c.pk) for c in board.categories for s in c.visible_statements],
        labels=[(c.pk, f"{c.name} {c.description}") for c in board.categories],
    )
    return {
        statement.pk: [CategoryHint(by_pk[hint.label], hint.score) for hint in answer]
        for statement, answer in zip(board.uncategorised, answers, strict=True)
    }


def _groups(board: ClusteringBoard, dismissed: set[tuple[str, str]]) -> list[ProposedGroup]:
    statements = board.uncategorised[:MAX_GROUPED]
    proposed = []
    for members in engine.propose_groups([s.text for s in statements]):
        if len(members) < MIN_GROUP_SIZE:
            continue
        grouped = [statements[i] for i in members]
        signature = group_signature([s.pk for s in grouped])
        if (SuggestionDismissal.Kind.GROUP, signature) in dismissed:
            continue
        name = engine.group_name([s.text for s in grouped])
        proposed.append(ProposedGroup(signature, name[:200], grouped))
    return proposed


def _duplicates(
    board: ClusteringBoard, dismissed: set[tuple[str, str]]
) -> dict[int, DuplicateHint]:
    """For each uncategorised statement, the earliest card before it that it nearly repeats."""
    uncategorised = {s.pk for s in board.uncategorised}
    if not uncategorised:
        return {}
    shown = sorted(
        [*board.uncategorised, *(s for c in board.categories for s in c.visible_statements)],
        key=lambda s: (s.created_at, s.pk),
    )
    hints: dict[int, DuplicateHint] = {}
    candidates = [index for index, s in enumerate(shown) if s.pk in uncategorised]
    pairs = engine.find_duplicates([s.text for s in shown], later=candidates)
    for earlier, later, score in pairs:
        original, statement = shown[earlier], shown[later]
        signature = duplicate_signature(original.pk, statement.pk)
        if statement.pk not in uncategorised or statement.pk in hints:
            continue
        if (SuggestionDismissal.Kind.DUPLICATE, signature) not in dismissed:
            hints[statement.pk] = DuplicateHint(original, signature, score)
    return hints
