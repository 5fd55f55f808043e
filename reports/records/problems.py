"""The problems an import finds: each by its place, the first few hundred kept, the rest counted.

A file of 50,000 wrong rows can hold a million problems; listing them all helps nobody and once
made the records page slow for every later visit. So the first ``PROBLEMS_KEPT`` by place (the
sheets in the layout's order, then row by row) are kept, whatever order they were found in, and
the others are only counted. What is kept is stored as JSON, so every text is cleaned of control
characters (PostgreSQL refuses ``\\u0000`` in JSON) and cut to a bounded length.
"""

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sessions.text import strip_control_characters

PROBLEMS_KEPT = 200
# The longest texts stored: a sheet or column name, and a message (which quotes at most 80
# characters of a cell, or a short error).
NAME_CHARS, MESSAGE_CHARS = 100, 1000


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str
    letter: str = ""

    def place(self) -> str:
        parts = [self.sheet] if self.sheet else []
        if self.row is not None:
            parts.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            label = f"{self.letter} ({self.column})" if self.letter else self.column
            parts.append(_("column %(column)s") % {"column": label})
        return ", ".join(parts) or _("the file")

    def as_dict(self) -> dict:
        return {
            "sheet": stored_text(self.sheet, NAME_CHARS),
            "row": self.row,
            "column": stored_text(self.column, NAME_CHARS),
            "letter": stored_text(self.letter, NAME_CHARS),
            "message": stored_text(self.message, MESSAGE_CHARS),
        }


class ProblemList:
    """Problems as they are found: the first ``keep`` by place are kept, all are counted."""

    def __init__(self, *, order: Sequence[str], keep: int = PROBLEMS_KEPT) -> None:
        self._order = {name: index for index, name in enumerate(order)}
        self._keep = keep
        # A max-heap (keys negated) of the kept problems: its top is the last kept by place,
        # the one a problem found earlier in the file displaces.
        self._heap: list[tuple[tuple[int, int, int], Problem]] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        # Found order breaks ties, so problems of one row stay in the order they were found.
        key = (-self._order.get(problem.sheet, -1), -(problem.row or 0), -self.total)
        if len(self._heap) < self._keep:
            heapq.heappush(self._heap, (key, problem))
        elif key > self._heap[0][0]:
            heapq.heapreplace(self._heap, (key, problem))

    def __bool__(self) -> bool:
        return self.total > 0

    def kept(self) -> list[Problem]:
        """The kept problems, sheet by sheet and row by row."""
        return [problem for _key, problem in sorted(self._heap, reverse=True)]


def stored_text(text: str, limit: int) -> str:
    return strip_control_characters(text)[:limit]


def stored(value: object) -> object:
    """``value`` (JSON: dicts, lists, strings, numbers) with every text cleaned for storing."""
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, dict):
        return {stored(key): stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [stored(item) for item in value]
    return value
