"""The records layout: the sheets and columns of a records file, for import and export alike.

One definition serves the reader, the writer, the downloadable template and the documentation
(docs/records.md is checked against it by a test), so they cannot drift apart.
"""

from dataclasses import dataclass, field

from django.db.models import Field, Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reports.models import ReportNarrative
from responses.models import Category, PaperDotTally, Participant, Statement
from sessions.models import NoteRevision, PlenarySession, ProjectPhase, Workshop

LAYOUT_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | choice | int | bool | date | time | datetime | key | user | users
    help: str | Promise
    required: bool = False
    choices: tuple[str, ...] = ()
    # The choices' labels, also accepted on import ("Local government workshop" for "local").
    labels: tuple[tuple[str, object], ...] = ()

    @property
    def rule(self) -> str:
        return column_rule(self)

    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: object = None
    # The model field the column fills, whose length or choices it takes (``modelled``).
    model_field: Field | None = field(default=None, compare=False, repr=False)


def column_rule(column: Column) -> str:
    """How to write a column's values, and what a blank cell means, in a few words."""
    kind = column.kind
    if kind == "int":
        low = "" if column.minimum is None else str(column.minimum)
        high = "" if column.maximum is None else str(column.maximum)
        rule = str(_("a whole number"))
        if low and high:
            rule += f" {low}–{high}"
        elif low:
            rule = str(_("a whole number from %(low)s") % {"low": low})
    elif kind == "choice":
        rule = str(_("one of: %(values)s") % {"values": ", ".join(c for c in column.choices if c)})
        if "" in column.choices:
            rule += str(_(", or blank"))
    else:
        rule = str(
            {
                "text": _("text"),
                "key": _("letters, digits, - and _"),
                "bool": _("yes or no"),
                "date": _("YYYY-MM-DD"),
                "time": _("HH:MM"),
                "datetime": _("YYYY-MM-DDTHH:MM:SSZ, or with an offset like -04:00"),
                "user": _("a user name"),
                "users": _("user names, comma-separated"),
            }[kind]
        )
        if column.max_length and kind == "text":
            rule += str(_(", at most %(max)d characters") % {"max": column.max_length})
    if column.required:
        return rule + str(_("; required"))
    if kind == "datetime":
        return rule + str(_("; blank: the workshop's start time on its day"))
    if column.default not in (None, ""):
        shown = column.default
        if isinstance(shown, bool):
            shown = _("yes") if shown else _("no")
        return rule + str(_("; blank: %(value)s") % {"value": shown})
    return rule


@dataclass(frozen=True)
class Sheet:
    name: str
    help: str | Promise
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def modelled(
    model: type[Model],
    name: str,
    kind: str,
    help: str | Promise,
    required: bool = False,
    **options,
) -> Column:
    """The column that fills ``model``'s field ``name``: its length or choices are the field's.

    So a longer title or a new kind of workshop in a model is in the layout at once, and the
    import refuses exactly what the database would.
    """
    model_field = model._meta.get_field(name)
    if kind == "choice":
        options["choices"] = tuple(value for value, _label in model_field.choices)
        options["labels"] = tuple(model_field.choices)
    elif kind == "text":
        options["max_length"] = model_field.max_length
    return Column(name, kind, help, required, model_field=model_field, **options)


WORKSHOP = Column(
    "workshop", "key", _("The workshop's reference, as in the workshops sheet."), True
)
SESSION = Column(
    "session", "int", _("The session's position in its workshop (1, 2, …)."), True, minimum=1
)
CATEGORY_NUMBER = Column(
    "category", "int", _("The category's reference number in its session."), True, minimum=1
)
PARTICIPANT = Column(
    "participant", "key", _("The participant's reference, as in the participants sheet."), True
)

NARRATIVE_COLUMNS = tuple(
    modelled(
        ReportNarrative,
        name,
        "text",
        _("Report narrative in Markdown: %(section)s.") % {"section": label},
    )
    for name, label in (
        ("abstract", _("abstract")),
        ("introduction", _("introduction")),
        ("project_overview", _("project overview")),
        ("project_design", _("project design")),
        ("workshops_framing", _("how the topic was framed")),
        ("concluding_remarks", _("concluding remarks")),
        ("appendix_c", _("Appendix C")),
    )
)

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "phases",
        _("Project phases: each groups the workshops of one summary report."),
        (
            Column("phase", "key", _("Short name (letters, digits, hyphens)."), True),
            modelled(ProjectPhase, "title", "text", _("Title of the phase."), True),
            modelled(ProjectPhase, "subtitle", "text", _("Subtitle."), default=""),
            modelled(ProjectPhase, "organisation", "text", _("Who runs the project."), default=""),
            Column("starts_on", "date", _("First day (YYYY-MM-DD).")),
            Column("ends_on", "date", _("Last day (YYYY-MM-DD).")),
            *NARRATIVE_COLUMNS,
            Column(
                "suppress_below",
                "int",
                _("Report: workshops with fewer participants show no counts or quotes (0: off)."),
                minimum=0,
                maximum=1000,
                default=0,
            ),
        ),
    ),
    Sheet(
        "workshops",
        _("Workshops, each in a phase."),
        (
            Column(
                "workshop",
                "key",
                _("A reference you choose; one already here adds to that workshop."),
                True,
            ),
            Column("phase", "key", _("The phase's short name."), True),
            modelled(Workshop, "title", "text", _("Title."), True),
            modelled(Workshop, "kind", "choice", _("Kind of workshop."), True),
            Column("date", "date", _("Date (YYYY-MM-DD)."), True),
            Column("start_time", "time", _("Start time (HH:MM).")),
            Column("end_time", "time", _("End time (HH:MM).")),
            modelled(Workshop, "venue", "text", _("Venue."), default=""),
            modelled(Workshop, "description", "text", _("Description."), default=""),
            modelled(
                Workshop,
                "status",
                "choice",
                _("Where the workshop stands."),
                default=Workshop.Status.COMPLETED,
            ),
            Column(
                "practice",
                "bool",
                _("A practice or pilot workshop, left out of the report by default (yes/no)."),
                default=False,
            ),
            Column(
                "attendance_people",
                "int",
                _("People attending, if counted on paper (blank: count participants)."),
                minimum=0,
            ),
            Column(
                "attendance_organisations",
                "int",
                _("Organisations attending, if counted on paper."),
                minimum=0,
            ),
            Column("facilitators", "users", _("User names of its facilitators, comma-separated.")),
        ),
    ),
    Sheet(
        "sessions",
        _("Plenary sessions of a workshop."),
        (
            WORKSHOP,
            SESSION,
            modelled(PlenarySession, "title", "text", _("Title."), True),
            modelled(
                PlenarySession, "prompt", "text", _("The question participants answered."), True
            ),
            modelled(PlenarySession, "purpose", "choice", _("What the session collected."), True),
            Column(
                "writing_minutes",
                "int",
                _("Minutes of writing."),
                minimum=1,
                maximum=120,
                default=5,
            ),
            Column(
                "dots_per_participant",
                "int",
                _("Dots each participant had."),
                minimum=1,
                maximum=20,
                default=4,
            ),
            Column(
                "dots_may_stack",
                "bool",
                _("Could dots stack on a category (yes/no)?"),
                default=False,
            ),
            modelled(
                PlenarySession,
                "phase",
                "choice",
                _("Where the session stands."),
                default=PlenarySession.Phase.CLOSED,
            ),
            Column("results_revealed", "bool", _("Were the tallies shown (yes/no)?"), default=True),
            modelled(
                PlenarySession,
                "join_code",
                "text",
                _("Join code (a new one is made if blank or taken)."),
            ),
            Column("phase_changed_at", "datetime", _("When the phase last changed.")),
        ),
    ),
    Sheet(
        "participants",
        _("Participants: only those who gave a profile or placed individual dots are needed."),
        (
            WORKSHOP,
            Column(
                "participant", "key", _("A reference you choose, unique in the workshop."), True
            ),
            modelled(
                Participant, "name", "text", _("Name (exported only with consent)."), default=""
            ),
            modelled(Participant, "organisation", "text", _("Organisation."), default=""),
            modelled(
                Participant,
                "level_of_government",
                "choice",
                _("Level of government."),
                default="",
            ),
            modelled(
                Participant, "role", "text", _("Role (exported only with consent)."), default=""
            ),
            modelled(
                Participant, "email", "text", _("E-mail (exported only with consent)."), default=""
            ),
            Column(
                "consent_to_be_named", "bool", _("Consented to be named (yes/no)."), default=False
            ),
            Column(
                "consent_recorded_at", "datetime", _("When consent was given; needed with consent.")
            ),
            Column("joined_at", "datetime", _("When they joined.")),
            Column("erased_at", "datetime", _("When their identity was erased, if it was.")),
        ),
    ),
    Sheet(
        "categories",
        _("Categories statements were clustered into, numbered in their session."),
        (
            WORKSHOP,
            SESSION,
            CATEGORY_NUMBER,
            modelled(Category, "name", "text", _("Name, unique in the session."), True),
            modelled(Category, "description", "text", _("Description."), default=""),
            Column(
                "presented_from_workshop",
                "key",
                _("If presented from another session: its workshop."),
            ),
            Column("presented_from_session", "int", _("… that session's position."), minimum=1),
            Column(
                "presented_from_category", "int", _("… and the category's number there."), minimum=1
            ),
        ),
    ),
    Sheet(
        "statements",
        _("Statements: what was written on each card."),
        (
            WORKSHOP,
            SESSION,
            Column(
                "statement",
                "text",
                _("A key that identifies the card (blank: made from the text)."),
                max_length=64,
            ),
            modelled(Statement, "text", "text", _("The card's text."), True),
            modelled(
                Statement,
                "use",
                "choice",
                _("E for external use, I for internal, blank if not marked."),
                default="",
            ),
            modelled(
                Statement,
                "source",
                "choice",
                _("How it was collected."),
                default=Statement.Source.CARD,
            ),
            Column(
                "category",
                "int",
                _("The category's number in the session, if clustered."),
                minimum=1,
            ),
            Column("participant", "key", _("Who wrote it, if known.")),
            Column("hidden", "bool", _("Hidden from the report (yes/no)."), default=False),
            modelled(
                Statement,
                "hidden_reason",
                "text",
                _("Why it is hidden; needed when hidden."),
                default="",
            ),
            Column("created_at", "datetime", _("When it was written.")),
        ),
    ),
    Sheet(
        "dots",
        _("Dots placed one by one: who put how many on which category."),
        (
            WORKSHOP,
            SESSION,
            CATEGORY_NUMBER,
            PARTICIPANT,
            Column("count", "int", _("How many dots."), True, minimum=1, maximum=20),
            Column("placed_at", "datetime", _("When they were placed.")),
        ),
    ),
    Sheet(
        "paper_dots",
        _("Dots counted on paper: a total per category, voters unknown."),
        (
            WORKSHOP,
            SESSION,
            CATEGORY_NUMBER,
            Column("count", "int", _("Dots counted."), True, minimum=0, maximum=100000),
            modelled(PaperDotTally, "note", "text", _("Who counted, from what."), default=""),
            Column("recorded_at", "datetime", _("When the total was recorded.")),
        ),
    ),
    Sheet(
        "notes",
        _("Facilitators' notes: every saved revision."),
        (
            WORKSHOP,
            SESSION,
            Column("revision", "int", _("Revision number, from 1."), True, minimum=1),
            Column("based_on", "int", _("The earlier revision it was written from."), minimum=1),
            modelled(NoteRevision, "text", "text", _("The notes."), default=""),
            Column("author", "user", _("User name of who saved it.")),
            Column("saved_at", "datetime", _("When it was saved.")),
        ),
    ),
)

SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
# A sheet of the template that explains the layout; the reader skips it.
README_SHEET = "read me"
