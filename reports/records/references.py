"""Looking up what a records file refers to, in the file and in the database, in few queries.

``References`` holds the records of every sheet by natural key, each a ``Row`` of the file or a
record already here, and finds a reference or records a problem where the row names it.
Records already here are loaded a workshop (or a session) at a time, in chunks of ``CHUNK``
values, so a check costs a few queries whatever the number of rows. The checks of each sheet
are in planning.py.
"""

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from reports.records.rows import Checker, Row
from responses.models import Category, Participant
from sessions.models import PlenarySession, ProjectPhase, Workshop

# Values per ``IN (…)`` lookup: a file may name as many keys as it has rows, and a query may
# carry at most 32,766 parameters on SQLite and 65,535 on PostgreSQL.
CHUNK = 2000
# Notes shown before confirming, and workshops named in the summary; the rest are counted.
NOTICES_KEPT = 20
WORKSHOPS_KEPT = 100


def in_chunks(queryset, lookup: str, values: Iterable) -> Iterator:
    """``queryset.filter(<lookup>__in=values)``, a few thousand values per query."""
    values = list(dict.fromkeys(values))
    for start in range(0, len(values), CHUNK):
        yield from queryset.filter(**{f"{lookup}__in": values[start : start + CHUNK]})


class References:
    """The records of every sheet by natural key, resolved against the file and the database."""

    def __init__(self, rows: dict[str, list[Row]], check: Checker) -> None:
        self.rows = rows
        self.check = check
        self.notices: list[str] = []
        self.phases: dict[str, Row | ProjectPhase] = {}
        self.workshops: dict[str, Row | Workshop] = {}
        self.sessions: dict[tuple[str, int], Row | PlenarySession] = {}
        self.participants: dict[tuple[str, str], Row | Participant] = {}
        self.categories: dict[tuple[str, int, int], Row | Category] = {}
        self.usernames: set[str] = set()
        self.new_accounts: list[str] = []
        self.more_notices = 0
        # The scopes whose records already here have been loaded, so that a reference missing
        # from the file and the site costs one lookup, not one query per row that names it.
        self._loaded_sessions: set[str] = set()
        self._loaded_participants: set[str] = set()
        self._loaded_categories: set[tuple[str, int]] = set()

    def notice(self, text: str) -> None:
        """A note shown before the import is confirmed; past ``NOTICES_KEPT`` only counted."""
        if len(self.notices) < NOTICES_KEPT:
            self.notices.append(text)
        else:
            self.more_notices += 1

    def _unique(self, row: Row, key: tuple, seen: set, column: str) -> bool:
        if key in seen:
            self.check.add(row, column, _("This record appears twice in the file."))
            return False
        seen.add(key)
        return True

    def _phase(self, row: Row, slug: str | None, column: str) -> Row | ProjectPhase | None:
        if not slug:
            return None
        if slug not in self.phases:  # every phase named in the file was looked up at once
            self.check.add(
                row, column, _("No phase “%(ref)s” in the file or here.") % {"ref": slug}
            )
            return None
        return self.phases[slug]

    def _workshop(self, row: Row, ref: str | None, column: str = "workshop"):
        if not ref:
            return None
        if ref not in self.workshops:  # every workshop named in the file was looked up at once
            self.check.add(
                row, column, _("No workshop “%(ref)s” in the file or here.") % {"ref": ref}
            )
            return None
        return self.workshops[ref]

    def _in_db(self, refs: Iterable[str], loaded: set[str]) -> list[Workshop]:
        """The workshops already here among ``refs`` not yet in ``loaded`` (now added to it)."""
        refs = set(refs) - loaded
        if not refs:
            return []
        loaded.update(refs)
        return [w for ref in refs if isinstance(w := self.workshops.get(ref), Workshop)]

    def _existing_sessions(self, refs: Iterable[str]) -> None:
        """Load the sessions of the workshops already in the database, once per workshop."""
        in_db = self._in_db(refs, self._loaded_sessions)
        if not in_db:
            return
        queryset = PlenarySession.objects.select_related("workshop")
        for session in in_chunks(queryset, "workshop", in_db):
            self.sessions.setdefault((session.workshop.reference, session.position), session)

    def _session(
        self, row: Row, workshop: str | None, position: int | None, column: str = "session"
    ):
        if not workshop or not position:
            return None
        if self._workshop(row, workshop) is None:
            return None
        if (workshop, position) not in self.sessions:
            self._existing_sessions({workshop})
        found = self.sessions.get((workshop, position))
        if found is None:
            self.check.add(
                row,
                column,
                _("Workshop “%(ref)s” has no session %(position)d in the file or here.")
                % {"ref": workshop, "position": position},
            )
        return found

    def _existing_participants(self, refs: Iterable[str]) -> None:
        in_db = self._in_db(refs, self._loaded_participants)
        if not in_db:
            return
        queryset = Participant.objects.select_related("workshop")
        for participant in in_chunks(queryset, "workshop", in_db):
            self.participants.setdefault(
                (participant.workshop.reference, participant.reference), participant
            )

    def _participant(self, row: Row, workshop: str, ref: str | None, column: str = "participant"):
        if not ref:
            return None
        key = (workshop, ref)
        if key not in self.participants:
            self._existing_participants({workshop})
        found = self.participants.get(key)
        if found is None:
            self.check.add(
                row,
                column,
                _("Workshop “%(workshop)s” has no participant “%(ref)s” in the file or here.")
                % {"workshop": workshop, "ref": ref},
            )
        return found

    def _existing_categories(self, session_keys: Iterable[tuple[str, int]]) -> None:
        keys = set(session_keys) - self._loaded_categories
        if not keys:
            return
        self._loaded_categories.update(keys)
        in_db = [s for key in keys if isinstance(s := self.sessions.get(key), PlenarySession)]
        if not in_db:
            return
        queryset = Category.objects.select_related("session__workshop")
        for category in in_chunks(queryset, "session", in_db):
            key = (
                category.session.workshop.reference,
                category.session.position,
                category.reference_number,
            )
            self.categories.setdefault(key, category)

    def _category(
        self, row: Row, workshop: str, position: int, number: int | None, column: str = "category"
    ):
        if not number:
            return None
        key = (workshop, position, number)
        if key not in self.categories:
            self._existing_categories({(workshop, position)})
        found = self.categories.get(key)
        if found is None:
            self.check.add(
                row,
                column,
                missing_category(workshop, position, number),
            )
        return found

    def _in_session(self, rows: list[Row]) -> list[Row]:
        """The rows whose session resolves; a problem is recorded for the others.

        The sessions, participants and categories already here of every workshop the rows name
        are loaded first, in a few queries, so that checking each row queries nothing.
        """
        refs = {r.values["workshop"] for r in rows if r.values["workshop"]}
        self._existing_sessions(refs)
        self._existing_participants(refs)
        self._existing_categories(
            (r.values["workshop"], r.values["session"]) for r in rows if r.values["session"]
        )
        kept = []
        for row in rows:
            if not row.values["workshop"] or not row.values["session"]:
                continue
            if self._session(row, row.values["workshop"], row.values["session"]) is not None:
                kept.append(row)
        return kept

    def _db_categories(self, rows: list[Row]) -> list[Category]:
        found = (
            self.categories.get((r.values["workshop"], r.values["session"], r.values["category"]))
            for r in rows
        )
        return [c for c in found if isinstance(c, Category)]


def missing_category(workshop: str, position: int, number: int) -> str:
    return _("Session %(ref)s/%(position)d has no category %(number)d, in the file or here.") % {
        "ref": workshop,
        "position": position,
        "number": number,
    }
