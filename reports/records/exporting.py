"""The records of a phase, or of everything, as the rows of the records layout.

Rows name records by their natural keys (phase short name, workshop reference, session position,
category number, participant reference, statement key), never by database ids, and come in an
order fixed by those keys: exporting, importing into an empty database and exporting again gives
identical files. Names, roles and e-mail addresses are written only for participants who
consented to be named.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from reports.models import ReportNarrative
from reports.records.files import csv_zip_bytes, workbook_bytes
from reports.records.layout import LAYOUT_VERSION, NARRATIVE_COLUMNS, SHEETS
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from sessions.models import NoteRevision, PlenarySession, ProjectPhase, Workshop

Row = tuple[object, ...]


def cell(value: object) -> object:
    """A value as written in a records file: text, a whole number, or None for empty."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text or None


def _row(*values: object) -> Row:
    return tuple(cell(value) for value in values)


@dataclass(frozen=True)
class _Scope:
    """The records an export covers, in order, and how the sheets name one another's records."""

    phases: QuerySet[ProjectPhase]
    workshops: list[Workshop]
    sessions: list[PlenarySession]
    participants: list[Participant]
    categories: list[Category]
    session_scope: dict[str, object]  # a filter for the records of the sessions in scope
    reference: dict[int, str]  # a workshop's reference by its id
    session_place: dict[int, tuple[int, int]]  # a session's place in the order, by its id
    session_keys: dict[int, tuple[str, int]]  # a session's (workshop reference, position)
    participant_ref: dict[int, str]  # a participant's reference by their id
    number: dict[int, int]  # a category's reference number by its id


def _scope(phase: ProjectPhase | None) -> _Scope:
    phases = ProjectPhase.objects.order_by("slug")
    workshops = Workshop.objects.select_related("phase").prefetch_related("facilitators")
    if phase is not None:
        phases = phases.filter(pk=phase.pk)
        workshops = workshops.filter(phase=phase)
    in_scope = {"workshop__in": workshops.values("pk")}
    session_scope = {"session__workshop__in": workshops.values("pk")}
    workshop_list = sorted(
        workshops, key=lambda w: (w.phase.slug, w.date, w.start_time or time.min, w.reference)
    )
    order = {w.pk: index for index, w in enumerate(workshop_list)}
    sessions = sorted(
        PlenarySession.objects.filter(**in_scope), key=lambda s: (order[s.workshop_id], s.position)
    )
    session_place = {s.pk: (order[s.workshop_id], s.position) for s in sessions}
    participants = sorted(
        Participant.objects.filter(**in_scope),
        key=lambda p: (order[p.workshop_id], p.joined_at, p.reference),
    )
    categories = sorted(
        Category.objects.filter(**session_scope).select_related(
            "presented_from__session__workshop"
        ),
        key=lambda c: (session_place[c.session_id], c.reference_number),
    )
    reference = {w.pk: w.reference for w in workshop_list}
    return _Scope(
        phases=phases,
        workshops=workshop_list,
        sessions=sessions,
        participants=participants,
        categories=categories,
        session_scope=session_scope,
        reference=reference,
        session_place=session_place,
        session_keys={s.pk: (reference[s.workshop_id], s.position) for s in sessions},
        participant_ref={p.pk: p.reference for p in participants},
        number={c.pk: c.reference_number for c in categories},
    )


def _phase_rows(scope: _Scope) -> list[Row]:
    narratives = {n.phase_id: n for n in ReportNarrative.objects.filter(phase__in=scope.phases)}

    def narrative_values(phase: ProjectPhase) -> list[object]:
        narrative = narratives.get(phase.pk)
        values = [getattr(narrative, c.name, "") if narrative else "" for c in NARRATIVE_COLUMNS]
        return [*values, narrative.suppress_below if narrative else 0]

    return [
        _row(
            p.slug,
            p.title,
            p.subtitle,
            p.organisation,
            p.starts_on,
            p.ends_on,
            *narrative_values(p),
        )
        for p in scope.phases
    ]


def _workshop_rows(scope: _Scope) -> list[Row]:
    return [
        _row(
            w.reference,
            w.phase.slug,
            w.title,
            w.kind,
            w.date,
            w.start_time,
            w.end_time,
            w.venue,
            w.description,
            w.status,
            w.practice,
            w.attendance_people,
            w.attendance_organisations,
            ", ".join(sorted(user.get_username() for user in w.facilitators.all())),
        )
        for w in scope.workshops
    ]


def _session_rows(scope: _Scope) -> list[Row]:
    return [
        _row(
            scope.reference[s.workshop_id],
            s.position,
            s.title,
            s.prompt,
            s.purpose,
            s.writing_minutes,
            s.dots_per_participant,
            s.dots_may_stack,
            s.phase,
            s.results_revealed,
            s.join_code,
            s.phase_changed_at,
        )
        for s in scope.sessions
    ]


def _participant_rows(scope: _Scope) -> list[Row]:
    def named(p: Participant, value: str) -> str:
        return value if p.consent_to_be_named and p.erased_at is None else ""

    return [
        _row(
            scope.reference[p.workshop_id],
            p.reference,
            named(p, p.name),
            p.organisation,
            p.level_of_government,
            named(p, p.role),
            named(p, p.email),
            p.consent_to_be_named,
            p.consent_recorded_at,
            p.joined_at,
            p.erased_at,
        )
        for p in scope.participants
    ]


def _category_rows(scope: _Scope) -> list[Row]:
    def origin(c: Category) -> tuple:
        if not c.presented_from_id:
            return (None, None, None)
        source = c.presented_from
        return (source.session.workshop.reference, source.session.position, source.reference_number)

    return [
        _row(
            *scope.session_keys[c.session_id],
            c.reference_number,
            c.name,
            c.description,
            *origin(c),
        )
        for c in scope.categories
    ]


def _statement_rows(scope: _Scope) -> list[Row]:
    statements = sorted(
        Statement.objects.filter(**scope.session_scope),
        key=lambda s: (scope.session_place[s.session_id], s.created_at, str(s.idempotency_key)),
    )
    return [
        _row(
            *scope.session_keys[s.session_id],
            str(s.idempotency_key),
            s.text,
            s.use,
            s.source,
            scope.number.get(s.category_id),
            scope.participant_ref.get(s.participant_id),
            s.hidden,
            s.hidden_reason,
            s.created_at,
        )
        for s in statements
    ]


def _dot_rows(scope: _Scope) -> list[Row]:
    dots = sorted(
        Dot.objects.filter(**scope.session_scope),
        key=lambda d: (
            scope.session_place[d.session_id],
            scope.number[d.category_id],
            scope.participant_ref[d.participant_id],
        ),
    )
    return [
        _row(
            *scope.session_keys[d.session_id],
            scope.number[d.category_id],
            scope.participant_ref[d.participant_id],
            d.count,
            d.placed_at,
        )
        for d in dots
    ]


def _paper_dot_rows(scope: _Scope) -> list[Row]:
    tallies = sorted(
        PaperDotTally.objects.filter(**scope.session_scope),
        key=lambda t: (scope.session_place[t.session_id], scope.number[t.category_id]),
    )
    return [
        _row(
            *scope.session_keys[t.session_id],
            scope.number[t.category_id],
            t.count,
            t.note,
            t.recorded_at,
        )
        for t in tallies
    ]


def _note_rows(scope: _Scope) -> list[Row]:
    notes = sorted(
        NoteRevision.objects.filter(**scope.session_scope).select_related("author"),
        key=lambda n: (scope.session_place[n.session_id], n.number),
    )
    return [
        _row(
            *scope.session_keys[n.session_id],
            n.number,
            n.based_on,
            n.text,
            n.author.get_username() if n.author else None,
            n.created_at,
        )
        for n in notes
    ]


# Each sheet's rows, in the layout's order of sheets.
SHEET_ROWS: dict[str, Callable[[_Scope], list[Row]]] = {
    "phases": _phase_rows,
    "workshops": _workshop_rows,
    "sessions": _session_rows,
    "participants": _participant_rows,
    "categories": _category_rows,
    "statements": _statement_rows,
    "dots": _dot_rows,
    "paper_dots": _paper_dot_rows,
    "notes": _note_rows,
}
assert list(SHEET_ROWS) == [sheet.name for sheet in SHEETS]  # noqa: S101 - layout and rows agree


def records_tables(*, phase: ProjectPhase | None = None) -> dict[str, list[Row]]:
    """Every sheet's rows for one phase, or for all phases when ``phase`` is None.

    Eleven queries, whatever the number of records.
    """
    scope = _scope(phase)
    return {name: rows(scope) for name, rows in SHEET_ROWS.items()}


@dataclass(frozen=True)
class RecordsFile:
    filename: str
    content_type: str
    content: bytes


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
}


def readme_rows() -> list[list[str]]:
    """The template's explanation: the layout, sheet by sheet and column by column."""
    rows = [
        [str(_("ctg-workshops records file, layout version %(v)d") % {"v": LAYOUT_VERSION})],
        [
            str(
                _(
                    "Fill in the sheets you need and leave the others with their headings only. "
                    "The first row of each sheet holds its column names; every further row is "
                    "one record. Reports → Records in and out on the site explains the layout."
                )
            )
        ],
        [
            str(
                _(
                    "Records refer to one another: a workshop by the reference you give it, a "
                    "session by its position in the workshop (1, 2, …), a category by its number "
                    "in the session, a participant by the reference you give them."
                )
            )
        ],
        [
            str(
                _(
                    "A text starting with = + - @ or ' is written with one more ' in front, "
                    "which the import removes. A statement without a key is recognised by its "
                    "text when the file is imported again."
                )
            )
        ],
        [],
        [str(_("Sheet")), str(_("Column")), str(_("What it holds")), str(_("How to write it"))],
    ]
    for sheet in SHEETS:
        rows.append([sheet.name, "", str(sheet.help), ""])
        for column in sheet.columns:
            rows.append(["", column.name, str(column.help), column.rule])
    return rows


def readme_text() -> str:
    """The same explanation as plain text, for the ZIP of CSV files."""
    lines = []
    for row in readme_rows():
        if len(row) == 4 and row[1]:
            lines.append(f"  {row[1]}: {row[2]} ({row[3]})")
        elif len(row) == 4 and row[0]:
            lines.append(f"\n{row[0]}.csv: {row[2]}")
        else:
            lines.append(" ".join(row))
    return "\n".join(lines).strip() + "\n"


def _file(stem: str, fmt: str, tables: dict[str, list[Row]], *, readme: bool) -> RecordsFile:
    if fmt == "xlsx":
        content = workbook_bytes(tables, readme=readme_rows() if readme else [])
    elif fmt == "csv":
        content = csv_zip_bytes(tables, readme=readme_text() if readme else "")
    else:
        raise ValueError(fmt)
    extension = "xlsx" if fmt == "xlsx" else "zip"
    return RecordsFile(f"{stem}.{extension}", CONTENT_TYPES[fmt], content)


def records_export(*, phase: ProjectPhase | None = None, fmt: str) -> RecordsFile:
    """A phase's records, or everything's, as an .xlsx or a ZIP of CSV files."""
    stem = f"records-{phase.slug}" if phase is not None else "records-all"
    return _file(stem, fmt, records_tables(phase=phase), readme=False)


def records_template(*, fmt: str) -> RecordsFile:
    """An empty records file: every sheet with its headings (and, in .xlsx, a "read me")."""
    return _file("records-template", fmt, {sheet.name: [] for sheet in SHEETS}, readme=True)
