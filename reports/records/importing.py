"""Importing a records file: every problem found and reported by place, then all or nothing.

The file is read, each cell converted by its column's kind, and every reference resolved against
the file and the database. Any problem stops the import before anything is written; otherwise all
records go in within one transaction. Records already present (same natural key) are left as they
are, so importing the same file twice adds nothing the second time.
"""

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from reports.models import ReportNarrative
from reports.records.layout import NARRATIVE_COLUMNS, SHEETS, SHEETS_BY_NAME, Column, Sheet
from reports.records.problems import Problem, ProblemList, stored
from reports.records.reading import RawSheet, UnreadableFile, read_records_file
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from responses.text import normalise_statement_text
from sessions.models import (
    JOIN_CODE_ALPHABET,
    AuditEvent,
    NoteRevision,
    PlenarySession,
    ProjectPhase,
    Workshop,
    new_join_code,
)
from sessions.text import uncell_text

# Statement keys for cards without one are derived from this namespace, so the same file gives
# the same keys every time it is imported.
STATEMENT_KEY_NAMESPACE = uuid.UUID("6f1d7f3e-5b0c-4c55-9a43-2f1c3c1b9e21")
KEY_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
BATCH = 1000
# Values per ``IN (…)`` lookup: a file may name as many keys as it has rows, and a query may
# carry at most 32,766 parameters on SQLite and 65,535 on PostgreSQL.
CHUNK = 2000
# Notes shown before confirming, and workshops named in the summary; the rest are counted.
NOTICES_KEPT = 20
WORKSHOPS_KEPT = 100

Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)  # the first, by place
    more_problems: int = 0  # found but not kept
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    written: bool = False
    workshops: list[str] = field(default_factory=list)  # the references the file names
    rows_read: int = 0  # below the headings, in all sheets, blank ones too

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    def summary(self) -> dict:
        """What is stored of the result besides its problems, bounded and cleaned as JSON."""
        return stored(
            {
                "counts": self.counts,
                "notices": self.notices,
                "workshops": self.workshops[:WORKSHOPS_KEPT],
                "more_workshops": max(0, len(self.workshops) - WORKSHOPS_KEPT),
                "more_problems": self.more_problems,
                "rows_read": self.rows_read,
            }
        )

    def problem_dicts(self) -> list[dict]:
        return [problem.as_dict() for problem in self.problems]


@dataclass
class Row:
    sheet: Sheet
    number: int
    values: dict[str, object]
    letters: dict[str, str]
    present: object = None  # the record already in the database, if any
    record: object = None  # the record created by the import


class _Checker:
    """Collects problems while the rows are converted and their references resolved."""

    def __init__(self) -> None:
        self.problems = ProblemList(order=[sheet.name for sheet in SHEETS])

    def add(self, row: Row | None, column: str, message: str, *, sheet: str = "") -> None:
        if row is None:
            self.problems.add(Problem(sheet, None, column, message))
        else:
            self.problems.add(
                Problem(row.sheet.name, row.number, column, message, row.letters.get(column, ""))
            )


def _in_chunks(queryset, lookup: str, values: Iterable) -> Iterator:
    """``queryset.filter(<lookup>__in=values)``, a few thousand values per query."""
    values = list(dict.fromkeys(values))
    for start in range(0, len(values), CHUNK):
        yield from queryset.filter(**{f"{lookup}__in": values[start : start + CHUNK]})


# --- Reading cells -------------------------------------------------------------------------------


class CellError(Exception):
    pass


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return uncell_text(str(value)).replace("\r\n", "\n").replace("\r", "\n")


def _parse(column: Column, value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        if column.required:
            raise CellError(_("A value is needed."))
        # The models' text fields are never NULL: an empty text cell is an empty text.
        return "" if column.default is None and column.kind == "text" else column.default
    kind = column.kind
    if kind == "text":
        text = _text(value)
        if column.max_length and len(text) > column.max_length:
            raise CellError(
                _("At most %(max)d characters; this has %(length)d.")
                % {"max": column.max_length, "length": len(text)}
            )
        return text
    if kind == "key":
        key = _text(value).strip()
        if not KEY_PATTERN.match(key) or len(key) > 64:
            raise CellError(
                _("“%(value)s” is not a reference: use letters, digits, hyphens and underscores.")
                % {"value": key[:80]}
            )
        return key
    if kind == "choice":
        given = _text(value).strip()
        for choice in column.choices:
            if given.casefold() == choice.casefold():
                return choice
        for choice, label in column.labels:
            if given.casefold() == str(label).casefold():
                return choice
        allowed = ", ".join(choice or _("(blank)") for choice in column.choices)
        raise CellError(
            _("“%(value)s” is not one of: %(allowed)s.") % {"value": given[:80], "allowed": allowed}
        )
    if kind == "int":
        number = _integer(value)
        if column.minimum is not None and number < column.minimum:
            raise CellError(_("At least %(min)d.") % {"min": column.minimum})
        if column.maximum is not None and number > column.maximum:
            raise CellError(_("At most %(max)d.") % {"max": column.maximum})
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = _text(value).strip().casefold()
        if word in {"yes", "y", "true", "1", "x"}:
            return True
        if word in {"no", "n", "false", "0"}:
            return False
        raise CellError(_("Write yes or no."))
    if kind == "date":
        return _date(value)
    if kind == "time":
        return _time(value)
    if kind == "datetime":
        return _datetime(value)
    if kind in ("users", "user"):
        names = [name.strip() for name in re.split(r"[,;]", _text(value)) if name.strip()]
        validator = UnicodeUsernameValidator()
        for name in names:
            try:
                validator(name)
            except ValidationError as error:
                raise CellError(
                    _("“%(name)s” is not a user name.") % {"name": name[:80]}
                ) from error
        if kind == "user":
            if len(names) != 1:
                raise CellError(_("One user name."))
            return names[0]
        return names
    raise AssertionError(kind)  # pragma: no cover - the layout uses only the kinds above


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise CellError(_("A whole number is needed."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).strip()
    if re.fullmatch(r"[-+]?\d{1,9}", text):
        return int(text)
    raise CellError(_("“%(value)s” is not a whole number.") % {"value": text[:80]})


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value).strip())
    except ValueError as error:
        raise CellError(_("Write the date as YYYY-MM-DD.")) from error


def _time(value: object) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(_text(value).strip())
    except ValueError as error:
        raise CellError(_("Write the time as HH:MM.")) from error


def _datetime(value: object) -> datetime:
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(_text(value).strip())
        except ValueError as error:
            raise CellError(
                _("Write the time as YYYY-MM-DDTHH:MM:SSZ (or with an offset such as +01:00).")
            ) from error
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


# --- Reading sheets ------------------------------------------------------------------------------


def _rows(raw_sheets: list[RawSheet], check: _Checker) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {sheet.name: [] for sheet in SHEETS}
    seen: set[str] = set()
    for raw in raw_sheets:
        sheet = SHEETS_BY_NAME.get(raw.name)
        if sheet is None:
            check.add(
                None,
                "",
                _("There is no sheet called “%(name)s”; the sheets are: %(names)s.")
                % {"name": raw.name, "names": ", ".join(SHEETS_BY_NAME)},
                sheet=raw.name,
            )
            continue
        if raw.name in seen:
            check.add(None, "", _("The sheet appears twice."), sheet=raw.name)
            continue
        seen.add(raw.name)
        if not _header_ok(sheet, raw, check):
            continue
        letters = {name: get_column_letter(i + 1) for i, name in enumerate(raw.header)}
        for number, values in raw.rows:
            row = Row(sheet, number, {}, letters)
            for name, value in zip(raw.header, values, strict=True):
                try:
                    row.values[name] = _parse(sheet.column(name), value)
                except CellError as error:
                    check.add(row, name, str(error))
                    row.values[name] = None
            for column in sheet.columns:
                row.values.setdefault(
                    column.name, _parse(column, None) if not column.required else None
                )
            rows[sheet.name].append(row)
    return rows


def _header_ok(sheet: Sheet, raw: RawSheet, check: _Checker) -> bool:
    ok = True
    counts = Counter(raw.header)
    for index, name in enumerate(raw.header):
        letter = get_column_letter(index + 1)
        if not name:
            check.problems.add(Problem(sheet.name, 1, "", _("A column has no heading."), letter))
            ok = False
        elif name not in sheet.column_names:
            check.problems.add(
                Problem(
                    sheet.name,
                    1,
                    name,
                    _("Unknown column; this sheet's columns are: %(names)s.")
                    % {"names": ", ".join(sheet.column_names)},
                    letter,
                )
            )
            ok = False
        elif counts[name] > 1:
            check.problems.add(Problem(sheet.name, 1, name, _("The column appears twice."), letter))
            ok = False
    for column in sheet.columns:
        if column.required and column.name not in raw.header:
            check.add(None, column.name, _("This required column is missing."), sheet=sheet.name)
            ok = False
    return ok


# --- Resolving references ------------------------------------------------------------------------


class _Plan:
    """The rows of every sheet, resolved against the file and the database."""

    def __init__(self, rows: dict[str, list[Row]], check: _Checker) -> None:
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

    def _notice(self, text: str) -> None:
        if len(self.notices) < NOTICES_KEPT:
            self.notices.append(text)
        else:
            self.more_notices += 1

    # Each sheet in the order its records depend on one another.
    def resolve(self) -> None:
        self._phases()
        self._workshops()
        self._sessions()
        self._participants()
        self._categories()
        self._statements()
        self._dots()
        self._paper_dots()
        self._notes()
        self._users()
        self._compare_present()
        if self.more_notices:
            self.notices.append(
                _("And %(count)d more notes like these.") % {"count": self.more_notices}
            )

    def _compare_present(self) -> None:
        """Records already here are never changed: say where the file holds other values."""
        differing: list[str] = []
        derived = 0
        for sheet, columns in COMPARED.items():
            for row in self.rows[sheet]:
                if row.present is None:
                    continue
                if sheet == "statements" and row.values.get("derived"):
                    derived += 1
                changed = [
                    name
                    for name in columns
                    if name in row.letters
                    and _comparable(row.values[name]) != _comparable(getattr(row.present, name))
                ]
                if sheet == "workshops" and row.values["clash"]:
                    continue  # already a problem: the workshop is in another phase
                if sheet == "workshops" and {"date", "kind"} & set(changed):
                    self.check.add(
                        row,
                        "workshop",
                        _(
                            "Workshop “%(ref)s” is already here as “%(title)s” (%(kind)s, "
                            "%(date)s); give this one another reference."
                        )
                        % {
                            "ref": row.values["workshop"],
                            "title": row.present.title,
                            "kind": row.present.get_kind_display(),
                            "date": row.present.date.isoformat(),
                        },
                    )
                elif changed:
                    differing.append(
                        _("%(sheet)s row %(row)d (%(columns)s)")
                        % {"sheet": sheet, "row": row.number, "columns": ", ".join(changed)}
                    )
        if differing:
            shown = "; ".join(differing[:20])
            more = len(differing) - 20
            self._notice(
                _("Already here with other values, which an import never changes: %(rows)s.")
                % {"rows": shown}
                + (" " + _("And %(count)d more.") % {"count": more} if more > 0 else "")
            )
        if derived:
            self._notice(
                _(
                    "%(count)d statements without a key matched cards already here by their "
                    "text and were not imported again. To add a card with the same text as one "
                    "already here, give it a key in the statement column."
                )
                % {"count": derived}
            )

    def _unique(self, row: Row, key: tuple, seen: set, column: str) -> bool:
        if key in seen:
            self.check.add(row, column, _("This record appears twice in the file."))
            return False
        seen.add(key)
        return True

    def _phases(self) -> None:
        rows = [r for r in self.rows["phases"] if r.values["phase"]]
        named = [r.values["phase"] for r in rows + self.rows["workshops"] if r.values["phase"]]
        existing = {p.slug: p for p in _in_chunks(ProjectPhase.objects.all(), "slug", named)}
        self.phases.update(existing)
        seen: set = set()
        for row in rows:
            slug = row.values["phase"]
            if not self._unique(row, slug, seen, "phase"):
                continue
            row.present = existing.get(slug)
            starts, ends = row.values["starts_on"], row.values["ends_on"]
            if starts and ends and ends < starts:
                self.check.add(row, "ends_on", _("The phase ends before it starts."))
            self.phases[slug] = row.present or row

    def _phase(self, row: Row, slug: str | None, column: str) -> Row | ProjectPhase | None:
        if not slug:
            return None
        if slug not in self.phases:  # every phase named in the file was looked up at once
            self.check.add(
                row, column, _("No phase “%(ref)s” in the file or here.") % {"ref": slug}
            )
            return None
        return self.phases[slug]

    def _workshops(self) -> None:
        rows = [r for r in self.rows["workshops"] if r.values["workshop"]]
        named = (
            r.values.get(column)
            for sheet_rows in self.rows.values()
            for r in sheet_rows
            for column in ("workshop", "presented_from_workshop")
        )
        existing = {
            w.reference: w
            for w in _in_chunks(
                Workshop.objects.select_related("phase"), "reference", filter(None, named)
            )
        }
        # Those not in the workshops sheet are found here when another sheet names them.
        self.workshops.update(existing)
        seen: set = set()
        for row in rows:
            ref = row.values["workshop"]
            if not self._unique(row, ref, seen, "workshop"):
                continue
            phase = self._phase(row, row.values["phase"], "phase")
            row.present = existing.get(ref)
            row.values["clash"] = bool(
                row.present and phase is not None and _slug(phase) != row.present.phase.slug
            )
            if row.values["clash"]:
                self.check.add(
                    row,
                    "workshop",
                    _("Workshop “%(ref)s” is already here, in phase “%(phase)s”.")
                    % {"ref": ref, "phase": row.present.phase.slug},
                )
            start, end = row.values["start_time"], row.values["end_time"]
            if start and end and end <= start:
                self.check.add(row, "end_time", _("The workshop ends before it starts."))
            self.usernames.update(row.values["facilitators"] or [])
            self.workshops[ref] = row.present or row

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
        for session in _in_chunks(queryset, "workshop", in_db):
            self.sessions.setdefault((session.workshop.reference, session.position), session)

    def _sessions(self) -> None:
        rows = [r for r in self.rows["sessions"] if r.values["workshop"] and r.values["session"]]
        for row in rows:
            self._workshop(row, row.values["workshop"])
        self._existing_sessions({r.values["workshop"] for r in rows})
        codes = [r.values["join_code"] for r in rows if r.values["join_code"]]
        taken = dict(
            _in_chunks(
                PlenarySession.objects.values_list("join_code", "workshop__reference"),
                "join_code",
                codes,
            )
        )
        seen: set = set()
        seen_codes: set = set()
        for row in rows:
            key = (row.values["workshop"], row.values["session"])
            if key[0] not in self.workshops or not self._unique(row, key, seen, "session"):
                continue
            found = self.sessions.get(key)
            row.present = found if isinstance(found, PlenarySession) else None
            code = (row.values["join_code"] or "").strip().upper()
            if code and (set(code) - set(JOIN_CODE_ALPHABET) or len(code) < 4):
                self.check.add(
                    row,
                    "join_code",
                    _("A join code is 4 to 12 letters and digits (no 0, O, 1, I)."),
                )
            elif row.present is None and code and (code in taken or code in seen_codes):
                self._notice(
                    _("Join code %(code)s is taken here; %(ref)s/%(position)d gets a new one.")
                    % {"code": code, "ref": key[0], "position": key[1]}
                )
                code = ""
            seen_codes.add(code)
            row.values["join_code"] = code
            self.sessions[key] = row.present or row

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

    def _participants(self) -> None:
        rows = [
            r for r in self.rows["participants"] if r.values["workshop"] and r.values["participant"]
        ]
        for row in rows:
            self._workshop(row, row.values["workshop"])
        self._existing_participants({r.values["workshop"] for r in rows})
        seen: set = set()
        for row in rows:
            key = (row.values["workshop"], row.values["participant"])
            if key[0] not in self.workshops or not self._unique(row, key, seen, "participant"):
                continue
            found = self.participants.get(key)
            row.present = found if isinstance(found, Participant) else None
            if row.values["consent_to_be_named"] and not row.values["consent_recorded_at"]:
                self.check.add(
                    row, "consent_recorded_at", _("Say when consent was given (it is recorded).")
                )
            if row.values["email"]:
                try:
                    validate_email(row.values["email"].strip())
                except ValidationError:
                    self.check.add(row, "email", _("This is not an e-mail address."))
            self.participants[key] = row.present or row

    def _existing_participants(self, refs: Iterable[str]) -> None:
        in_db = self._in_db(refs, self._loaded_participants)
        if not in_db:
            return
        queryset = Participant.objects.select_related("workshop")
        for participant in _in_chunks(queryset, "workshop", in_db):
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
        for category in _in_chunks(queryset, "session", in_db):
            key = (
                category.session.workshop.reference,
                category.session.position,
                category.reference_number,
            )
            self.categories.setdefault(key, category)

    def _categories(self) -> None:
        rows = [
            r
            for r in self.rows["categories"]
            if r.values["workshop"] and r.values["session"] and r.values["category"]
        ]
        for row in rows:
            self._session(row, row.values["workshop"], row.values["session"])
        self._existing_categories({(r.values["workshop"], r.values["session"]) for r in rows})
        seen: set = set()
        names: dict[tuple, set[str]] = defaultdict(set)
        for category in list(self.categories.values()):
            if isinstance(category, Category):
                names[(category.session.workshop.reference, category.session.position)].add(
                    category.name.casefold()
                )
        sources: set = set()
        for row in rows:
            v = row.values
            session_key = (v["workshop"], v["session"])
            key = (*session_key, v["category"])
            if session_key not in self.sessions or not self._unique(row, key, seen, "category"):
                continue
            found = self.categories.get(key)
            row.present = found if isinstance(found, Category) else None
            if row.present is None and v["name"]:
                if v["name"].casefold() in names[session_key]:
                    self.check.add(
                        row, "name", _("Another category of this session has this name.")
                    )
                names[session_key].add(v["name"].casefold())
            self.categories[key] = row.present or row
        for row in rows:
            v = row.values
            origin = (
                v["presented_from_workshop"],
                v["presented_from_session"],
                v["presented_from_category"],
            )
            if not any(origin) or row.present is not None:
                continue
            if not all(origin):
                self.check.add(
                    row,
                    "presented_from_workshop",
                    _("Give the workshop, session and category it was presented from, or none."),
                )
                continue
            if origin[:2] == (v["workshop"], v["session"]):
                self.check.add(
                    row,
                    "presented_from_session",
                    _("A category cannot be presented from its own session."),
                )
                continue
            if self._session(row, origin[0], origin[1], "presented_from_session") is None:
                continue
            if origin not in self.categories:
                self._existing_categories({origin[:2]})
            if origin not in self.categories:
                self.check.add(
                    row,
                    "presented_from_category",
                    _missing_category(*origin),
                )
                continue
            if (v["workshop"], v["session"], origin) in sources:
                self.check.add(
                    row,
                    "presented_from_category",
                    _("Another category of this session was presented from it."),
                )
            sources.add((v["workshop"], v["session"], origin))

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
                _missing_category(workshop, position, number),
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

    def _statements(self) -> None:
        rows = self._in_session(self.rows["statements"])
        occurrences: Counter = Counter()
        for row in rows:
            v = row.values
            if v["text"] is not None:
                v["text"] = normalise_statement_text(v["text"])
                if not v["text"]:
                    self.check.add(row, "text", _("The text is empty."))
            given = (v["statement"] or "").strip()
            v["derived"] = not given
            try:
                v["key"] = uuid.UUID(given)
            except ValueError:
                if given:
                    name = f"{v['workshop']}/{v['session']}/key/{given}"
                else:
                    occurrence = (v["workshop"], v["session"], v["text"])
                    occurrences[occurrence] += 1
                    name = (
                        f"{v['workshop']}/{v['session']}/text/{v['text']}/{occurrences[occurrence]}"
                    )
                v["key"] = uuid.uuid5(STATEMENT_KEY_NAMESPACE, name)
        existing = {
            s.idempotency_key: s
            for s in _in_chunks(
                Statement.objects.select_related("session__workshop"),
                "idempotency_key",
                (r.values["key"] for r in rows),
            )
        }
        seen: set = set()
        for row in rows:
            v = row.values
            if not self._unique(row, v["key"], seen, "statement"):
                continue
            row.present = existing.get(v["key"])
            if row.present is not None:
                if (row.present.session.workshop.reference, row.present.session.position) != (
                    v["workshop"],
                    v["session"],
                ):
                    self.check.add(
                        row,
                        "statement",
                        _("A statement with this key is already here, in another session."),
                    )
                continue
            self._category(row, v["workshop"], v["session"], v["category"])
            self._participant(row, v["workshop"], v["participant"])
            if v["hidden"] and not (v["hidden_reason"] or "").strip():
                self.check.add(row, "hidden_reason", _("Say why the statement is hidden."))

    def _db_categories(self, rows: list[Row]) -> list[Category]:
        found = (
            self.categories.get((r.values["workshop"], r.values["session"], r.values["category"]))
            for r in rows
        )
        return [c for c in found if isinstance(c, Category)]

    def _dots(self) -> None:
        rows = self._in_session(self.rows["dots"])
        for row in rows:
            v = row.values
            self._category(row, v["workshop"], v["session"], v["category"])
            self._participant(row, v["workshop"], v["participant"])
        in_db = _in_chunks(Dot.objects.all(), "category", self._db_categories(rows))
        existing = {(d.category_id, d.participant_id): d for d in in_db}
        used: Counter = Counter()
        for participant_id, session_id, count in _in_chunks(
            Dot.objects.values_list("participant_id", "session_id", "count"),
            "participant",
            (p for p in self.participants.values() if isinstance(p, Participant)),
        ):
            used[(participant_id, session_id)] += count
        seen: set = set()
        for row in rows:
            v = row.values
            key = (v["workshop"], v["session"], v["category"])
            category = self.categories.get(key)
            participant = self.participants.get((v["workshop"], v["participant"]))
            if category is None or participant is None or v["count"] is None:
                continue
            if not self._unique(row, (*key, v["participant"]), seen, "category"):
                continue
            if isinstance(category, Category) and isinstance(participant, Participant):
                row.present = existing.get((category.pk, participant.pk))
            if row.present is not None:
                continue
            session = self.sessions[(v["workshop"], v["session"])]
            stack = _session_setting(session, "dots_may_stack")
            limit = _session_setting(session, "dots_per_participant")
            if v["count"] > 1 and not stack:
                self.check.add(
                    row, "count", _("Dots do not stack in this session: one dot per category.")
                )
            holder = (
                (participant.pk, session.pk)
                if isinstance(participant, Participant) and isinstance(session, PlenarySession)
                else (id(participant), id(session))
            )
            used[holder] += v["count"]
            if used[holder] > limit:
                self.check.add(
                    row,
                    "count",
                    _("This participant would have more than the session's %(limit)d dots.")
                    % {"limit": limit},
                )

    def _paper_dots(self) -> None:
        rows = self._in_session(self.rows["paper_dots"])
        for row in rows:
            v = row.values
            self._category(row, v["workshop"], v["session"], v["category"])
        existing = {
            t.category_id: t
            for t in _in_chunks(PaperDotTally.objects.all(), "category", self._db_categories(rows))
        }
        seen: set = set()
        for row in rows:
            v = row.values
            key = (v["workshop"], v["session"], v["category"])
            category = self.categories.get(key)
            if category is None or not self._unique(row, key, seen, "category"):
                continue
            if isinstance(category, Category):
                row.present = existing.get(category.pk)

    def _notes(self) -> None:
        rows = self._in_session(self.rows["notes"])
        sessions = [self.sessions[(r.values["workshop"], r.values["session"])] for r in rows]
        existing = {
            (n.session_id, n.number): n
            for n in _in_chunks(
                NoteRevision.objects.all(),
                "session",
                (s for s in sessions if isinstance(s, PlenarySession)),
            )
        }
        seen: set = set()
        for row, session in zip(rows, sessions, strict=True):
            v = row.values
            if not v["revision"] or not self._unique(
                row, (v["workshop"], v["session"], v["revision"]), seen, "revision"
            ):
                continue
            if v["based_on"] and v["based_on"] >= v["revision"]:
                self.check.add(row, "based_on", _("A revision is written from an earlier one."))
            if isinstance(session, PlenarySession):
                row.present = existing.get((session.pk, v["revision"]))
            if v["author"]:
                self.usernames.add(v["author"])

    def _users(self) -> None:
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        known = set(
            _in_chunks(user_model.objects.values_list(field, flat=True), field, self.usernames)
        )
        self.new_accounts = sorted(self.usernames - known)
        if self.new_accounts:
            names = ", ".join(self.new_accounts[:WORKSHOPS_KEPT])
            if len(self.new_accounts) > WORKSHOPS_KEPT:
                names += " " + _("and %(count)d more") % {
                    "count": len(self.new_accounts) - WORKSHOPS_KEPT
                }
            self._notice(
                _("Accounts not found here are made inactive, without a password: %(names)s.")
                % {"names": names}
            )


# The columns compared with a record already here (references and identities are not: an
# export leaves out names given without consent, so they would always seem to differ).
COMPARED = {
    "phases": ("title", "subtitle", "organisation", "starts_on", "ends_on"),
    "workshops": (
        "title", "kind", "date", "start_time", "end_time", "venue", "description", "status",
        "attendance_people", "attendance_organisations",
    ),
    "sessions": (
        "title", "prompt", "purpose", "writing_minutes", "dots_per_participant",
        "dots_may_stack", "phase", "results_revealed",
    ),
    "participants": ("organisation", "level_of_government", "consent_to_be_named"),
    "categories": ("name", "description"),
    "statements": ("text", "use", "source", "hidden", "hidden_reason"),
    "dots": ("count",),
    "paper_dots": ("count", "note"),
    "notes": ("text", "based_on"),
}  # fmt: skip


def _comparable(value: object) -> object:
    return "" if value is None else value


def _missing_category(workshop: str, position: int, number: int) -> str:
    return _("Session %(ref)s/%(position)d has no category %(number)d, in the file or here.") % {
        "ref": workshop,
        "position": position,
        "number": number,
    }


def _slug(phase: Row | ProjectPhase) -> str:
    return phase.slug if isinstance(phase, ProjectPhase) else phase.values["phase"]


def _session_setting(session: Row | PlenarySession, name: str):
    if isinstance(session, PlenarySession):
        return getattr(session, name)
    return session.values[name]


# --- Writing -------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, plan: _Plan, *, actor, progress: Progress) -> None:
        self.plan = plan
        self.actor = actor
        self.progress = progress
        self.total = sum(len(rows) for rows in plan.rows.values())
        self.done = 0
        self.users: dict = {}
        self.ordinals: Counter = Counter()

    def _new(self, sheet: str) -> list[Row]:
        return [r for r in self.plan.rows[sheet] if r.present is None]

    def _tick(self, sheet: str, count: int) -> None:
        self.done += count
        self.progress(sheet, self.done, self.total)

    def _bulk(self, sheet: str, model, rows: list[Row], build) -> None:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            objects = model.objects.bulk_create([build(r) for r in chunk])
            for row, obj in zip(chunk, objects, strict=True):
                row.record = obj
            self._tick(sheet, len(chunk))

    def _day(self, row: Row, *, ordinal: bool = False) -> datetime:
        """For a record without its own time: its workshop's start (09:00 if none) on its day.

        With ``ordinal`` each further row of the same session is a second later, so records
        without times keep the order of the file.
        """
        workshop = self.record(self.plan.workshops[row.values["workshop"]])
        start = timezone.make_aware(
            datetime.combine(workshop.date, workshop.start_time or time(9, 0))
        )
        if not ordinal:
            return start
        key = (row.values["workshop"], row.values.get("session"))
        self.ordinals[key] += 1
        return start + timedelta(seconds=self.ordinals[key] - 1)

    def record(self, item):
        """The database record for a planned item: itself, or what its row created."""
        return item.record if isinstance(item, Row) else item

    def write(self) -> None:
        self._users()
        self._phases()
        self._workshops()
        self._sessions()
        self._participants()
        self._categories()
        self._statements()
        self._dots()
        self._paper_dots()
        self._notes()
        self._history()

    def _users(self) -> None:
        user_model = get_user_model()
        for name in self.plan.new_accounts:
            user = user_model(**{user_model.USERNAME_FIELD: name}, is_active=False)
            user.set_unusable_password()
            user.save()

    def _phases(self) -> None:
        rows = self._new("phases")
        self._bulk(
            "phases",
            ProjectPhase,
            rows,
            lambda r: ProjectPhase(
                slug=r.values["phase"],
                title=r.values["title"],
                subtitle=r.values["subtitle"],
                organisation=r.values["organisation"],
                starts_on=r.values["starts_on"],
                ends_on=r.values["ends_on"],
            ),
        )
        ReportNarrative.objects.bulk_create(
            [
                ReportNarrative(
                    phase=r.record,
                    suppress_below=r.values["suppress_below"],
                    **{c.name: r.values[c.name] for c in NARRATIVE_COLUMNS},
                )
                for r in rows
            ]
        )

    def _workshops(self) -> None:
        rows = self._new("workshops")
        fields = (
            "title",
            "kind",
            "date",
            "start_time",
            "end_time",
            "venue",
            "description",
            "status",
            "attendance_people",
            "attendance_organisations",
        )
        self._bulk(
            "workshops",
            Workshop,
            rows,
            lambda r: Workshop(
                reference=r.values["workshop"],
                phase=self.record(self.plan.phases[r.values["phase"]]),
                **{name: r.values[name] for name in fields},
            ),
        )
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        users = {
            getattr(u, field): u
            for u in _in_chunks(user_model.objects.all(), field, self.plan.usernames)
        }
        links = [
            Workshop.facilitators.through(workshop=r.record, user=users[name])
            for r in rows
            for name in r.values["facilitators"] or []
        ]
        Workshop.facilitators.through.objects.bulk_create(links)
        self.users = users

    def _session_of(self, row: Row) -> PlenarySession:
        return self.record(self.plan.sessions[(row.values["workshop"], row.values["session"])])

    def _sessions(self) -> None:
        fields = (
            "title",
            "prompt",
            "purpose",
            "writing_minutes",
            "dots_per_participant",
            "dots_may_stack",
            "phase",
            "results_revealed",
        )

        def build(r: Row) -> PlenarySession:
            session = PlenarySession(
                workshop=self.record(self.plan.workshops[r.values["workshop"]]),
                position=r.values["session"],
                join_code=r.values["join_code"] or new_join_code(),
                **{name: r.values[name] for name in fields},
            )
            session.phase_changed_at = r.values["phase_changed_at"] or self._day(r)
            return session

        self._bulk("sessions", PlenarySession, self._new("sessions"), build)

    def _participants(self) -> None:
        fields = (
            "name",
            "organisation",
            "level_of_government",
            "role",
            "consent_to_be_named",
            "consent_recorded_at",
            "erased_at",
        )

        def build(r: Row) -> Participant:
            participant = Participant(
                workshop=self.record(self.plan.workshops[r.values["workshop"]]),
                reference=r.values["participant"],
                email=(r.values["email"] or "").strip(),
                **{name: r.values[name] for name in fields},
            )
            participant.joined_at = r.values["joined_at"] or self._day(r)
            return participant

        self._bulk("participants", Participant, self._new("participants"), build)

    def _categories(self) -> None:
        pending = self._new("categories")
        while pending:
            # A category presented from one in the same file waits until that one exists.
            ready = [r for r in pending if self._origin_ready(r)]
            if not ready:  # pragma: no cover - a cycle the checks above cannot produce
                raise IntegrityError("categories presented from one another in a cycle")
            self._bulk(
                "categories",
                Category,
                ready,
                lambda r: Category(
                    session=self._session_of(r),
                    reference_number=r.values["category"],
                    name=r.values["name"],
                    description=r.values["description"],
                    presented_from=self._origin(r),
                ),
            )
            pending = [r for r in pending if r.record is None]

    def _origin_key(self, row: Row) -> tuple | None:
        v = row.values
        origin = (
            v["presented_from_workshop"],
            v["presented_from_session"],
            v["presented_from_category"],
        )
        return origin if all(origin) else None

    def _origin(self, row: Row) -> Category | None:
        key = self._origin_key(row)
        return self.record(self.plan.categories[key]) if key else None

    def _origin_ready(self, row: Row) -> bool:
        key = self._origin_key(row)
        return key is None or self.record(self.plan.categories[key]) is not None

    def _category_of(self, row: Row) -> Category | None:
        number = row.values["category"]
        if not number:
            return None
        return self.record(
            self.plan.categories[(row.values["workshop"], row.values["session"], number)]
        )

    def _participant_of(self, row: Row) -> Participant | None:
        ref = row.values["participant"]
        if not ref:
            return None
        return self.record(self.plan.participants[(row.values["workshop"], ref)])

    def _statements(self) -> None:
        def build(r: Row) -> Statement:
            v = r.values
            statement = Statement(
                session=self._session_of(r),
                idempotency_key=v["key"],
                text=v["text"],
                use=v["use"],
                source=v["source"],
                category=self._category_of(r),
                participant=self._participant_of(r),
                hidden=v["hidden"],
                hidden_reason=v["hidden_reason"],
            )
            # Cards without a time keep the file's order: a second apart from the start.
            statement.created_at = v["created_at"] or self._day(r, ordinal=True)
            return statement

        self._bulk("statements", Statement, self._new("statements"), build)

    def _dots(self) -> None:
        def build(r: Row) -> Dot:
            dot = Dot(
                session=self._session_of(r),
                category=self._category_of(r),
                participant=self._participant_of(r),
                count=r.values["count"],
            )
            dot.placed_at = r.values["placed_at"] or self._day(r)
            return dot

        self._bulk("dots", Dot, self._new("dots"), build)

    def _paper_dots(self) -> None:
        def build(r: Row) -> PaperDotTally:
            tally = PaperDotTally(
                session=self._session_of(r),
                category=self._category_of(r),
                count=r.values["count"],
                note=r.values["note"],
            )
            tally.recorded_at = r.values["recorded_at"] or self._day(r)
            return tally

        self._bulk("paper_dots", PaperDotTally, self._new("paper_dots"), build)

    def _notes(self) -> None:
        def build(r: Row) -> NoteRevision:
            v = r.values
            revision = NoteRevision(
                session=self._session_of(r),
                number=v["revision"],
                based_on=v["based_on"],
                text=v["text"],
                author=self.users.get(v["author"]) if v["author"] else None,
            )
            revision.created_at = v["saved_at"] or self._day(r)
            return revision

        self._bulk("notes", NoteRevision, self._new("notes"), build)

    def _history(self) -> None:
        """One history event per workshop that received records, saying how many of each."""
        per_workshop: dict[str, Counter] = defaultdict(Counter)
        for sheet, rows in self.plan.rows.items():
            for row in rows:
                if row.record is not None and row.values.get("workshop"):
                    per_workshop[row.values["workshop"]][sheet] += 1
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    workshop=workshop,
                    actor=self.actor,
                    action=AuditEvent.Action.IMPORTED,
                    target=AuditEvent.Target.WORKSHOP,
                    target_id=workshop.pk,
                    changes={sheet: [None, count] for sheet, count in sorted(counts.items())},
                )
                for ref, counts in per_workshop.items()
                if (workshop := self.record(self.plan.workshops[ref])) is not None
            ]
        )


# --- The whole -----------------------------------------------------------------------------------


def _counts(rows: dict[str, list[Row]]) -> dict[str, dict[str, int]]:
    return {
        name: {
            "rows": len(sheet_rows),
            "present": sum(1 for r in sheet_rows if r.present is not None),
            "new": sum(1 for r in sheet_rows if r.present is None),
        }
        for name, sheet_rows in rows.items()
    }


def records_import(
    *,
    name: str,
    content: bytes,
    actor=None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check a records file and, when it has no problem, import it in one transaction.

    With ``dry_run`` the records are written and then rolled back, so the database's own checks
    run too and nothing stays. ``progress(stage, done, total)`` is called as the work advances.
    """
    report = progress or (lambda stage, done, total: None)
    result = ImportResult()
    try:
        report("reading", 0, 0)
        raw = read_records_file(name=name, content=content)
    except UnreadableFile as error:
        result.problems.append(Problem("", None, "", error.message))
        result.rows_read = error.rows_read
        return result
    result.rows_read = sum(sheet.rows_read for sheet in raw)
    check = _Checker()
    rows = _rows(raw, check)
    report("checking", 0, 0)
    plan = _Plan(rows, check)
    plan.resolve()
    result.counts = _counts(rows)
    result.notices = plan.notices
    result.workshops = sorted(
        {r.values["workshop"] for sheet in rows.values() for r in sheet if r.values.get("workshop")}
    )
    result.problems = check.problems.kept()
    result.more_problems = check.problems.total - len(result.problems)
    if result.problems:
        return result
    try:
        with transaction.atomic():
            _Writer(plan, actor=actor, progress=report).write()
            if dry_run:
                transaction.set_rollback(True)
    except (IntegrityError, DatabaseError) as error:
        # Something changed between the checks and the writing (or a rule the checks missed):
        # the transaction is rolled back whole.
        result.problems.append(
            Problem(
                "",
                None,
                "",
                _("The database refused the records; nothing was imported (%(error)s).")
                % {"error": str(error).splitlines()[0][:300]},
            )
        )
        return result
    result.written = not dry_run
    report("done", 1, 1)
    return result
