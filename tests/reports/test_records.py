"""Records files: the round trip, problems reported by place, importing without duplicates."""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from ctg_workshops.demo import SAMPLE_PHASE_SLUG, sample_data_load
from reports.models import ReportNarrative
from reports.records.exporting import records_export, records_tables, records_template
from reports.records.importing import records_import
from reports.records.layout import SHEETS, SHEETS_BY_NAME
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from sessions.models import AuditEvent, NoteRevision, PlenarySession, ProjectPhase, Workshop
from sessions.text import cell_text, uncell_text
from tests.factories import (
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

MODELS = [ProjectPhase, Workshop, PlenarySession, Participant, Category, Statement, Dot]
MODELS += [PaperDotTally, NoteRevision, ReportNarrative]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx with the given sheets, each a header row followed by data rows."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def header(name: str) -> list[str]:
    return list(SHEETS_BY_NAME[name].column_names)


def row(sheet: str, /, **values) -> list:
    return [values.get(column) for column in SHEETS_BY_NAME[sheet].column_names]


def _enrich_sample() -> None:
    """What the sample data lacks but a round trip must carry: paper totals, an author, awkward
    text, a name given without consent, an erased participant."""
    local = Workshop.objects.get(phase__slug=SAMPLE_PHASE_SLUG, kind=Workshop.Kind.LOCAL)
    session = local.sessions.order_by("position").first()
    category = session.categories.order_by("reference_number").first()
    PaperDotTally.objects.create(session=session, category=category, count=7, note="Wall chart")
    author = get_user_model().objects.get(username="facilitator")
    NoteRevision.objects.create(session=session, number=1, text="Notes\nline two", author=author)
    Statement.objects.create(
        session=session, text='=HYPERLINK("http://x")', source=Statement.Source.CARD
    )
    Statement.objects.create(session=session, text="'quoted' — naïve 😀\nsecond line")
    Participant.objects.create(workshop=local, name="Pat Unconsenting", organisation="Town")
    Participant.objects.create(workshop=local, erased_at=dt.datetime(2010, 1, 1, tzinfo=dt.UTC))


def _entries(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        return {name: files.read(name) for name in files.namelist()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_sample_data_gives_identical_files(fmt):
    sample_data_load(with_demo_accounts=True)
    _enrich_sample()
    first = records_export(fmt=fmt).content
    before = counts()

    call_command("flush", interactive=False, verbosity=0)
    assert ProjectPhase.objects.count() == 0
    result = records_import(name=f"records.{'zip' if fmt == 'csv' else fmt}", content=first)
    second = records_export(fmt=fmt).content

    assert result.problems == []
    assert result.written
    assert _entries(second) == _entries(first)
    assert second == first
    assert counts() == before
    facilitator = get_user_model().objects.get(username="facilitator")
    assert not facilitator.is_active
    assert not facilitator.has_usable_password()


@pytest.mark.django_db
def test_export_writes_names_only_with_consent():
    workshop = WorkshopFactory(reference="w-1")
    ParticipantFactory(workshop=workshop, reference="p-a", name="Ann Private", email="a@x.org")
    ParticipantFactory(
        workshop=workshop,
        reference="p-b",
        name="Bo Named",
        role="CIO",
        email="bo@x.org",
        consent_to_be_named=True,
        consent_recorded_at=dt.datetime(2009, 9, 17, 9, tzinfo=dt.UTC),
    )

    rows = records_tables()["participants"]

    by_ref = {r[1]: r for r in rows}
    assert by_ref["p-a"][2:7] == (None, "Department of Health", "state", None, None)
    assert by_ref["p-b"][2:7] == ("Bo Named", "Department of Health", "state", "CIO", "bo@x.org")


@pytest.mark.django_db
def test_formula_text_is_inert_in_the_workbook_and_comes_back_unchanged():
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    texts = ["=1+2", "+cmd", "-minus", "@sum", "'apostrophe", "plain"]
    for text in texts:
        StatementFactory(session=session, text=text)

    content = records_export(fmt="xlsx").content
    sheet = load_workbook(io.BytesIO(content))["statements"]
    cells = [r[3] for r in sheet.iter_rows(min_row=2)]

    assert all(c.data_type == "s" for c in cells)
    assert sorted(c.value for c in cells) == sorted(cell_text(t, reversible=True) for t in texts)
    assert sorted(uncell_text(cell_text(t, reversible=True)) for t in texts) == sorted(texts)
    Statement.objects.all().delete()
    assert records_import(name="r.xlsx", content=content).written
    assert sorted(Statement.objects.values_list("text", flat=True)) == sorted(texts)


def _three_broken_sheets() -> bytes:
    return workbook(
        {
            "workshops": [
                header("workshops"),
                row(
                    "workshops",
                    workshop="w-new",
                    phase="phase-x",
                    title="Town hall",
                    kind="local",
                    date="2009-10-01",
                ),
            ],
            "sessions": [
                header("sessions"),
                row(
                    "sessions",
                    workshop="w-new",
                    session=1,
                    title="Concerns",
                    prompt="Why?",
                    purpose="worries",
                ),
            ],
            "statements": [
                header("statements"),
                row("statements", workshop="w-new", session=1, text="Fine card"),
                row("statements", workshop="w-new", session=1, text=None),
                row("statements", workshop="w-new", session=1, text="Lost", category=9),
            ],
            "dots": [
                header("dots"),
                row("dots", workshop="w-new", session=1, category=1, participant="p-1", count=25),
            ],
        }
    )


@pytest.mark.django_db
def test_errors_in_three_sheets_are_all_reported_by_place_and_nothing_changes():
    WorkshopFactory()
    before = counts()

    result = records_import(name="broken.xlsx", content=_three_broken_sheets())

    places = [(p.sheet, p.row, p.letter, p.column) for p in result.problems]
    assert places == [
        ("workshops", 2, "B", "phase"),
        ("sessions", 2, "E", "purpose"),
        ("statements", 3, "D", "text"),
        ("statements", 4, "G", "category"),
        ("dots", 2, "E", "count"),
        ("dots", 2, "C", "category"),
        ("dots", 2, "D", "participant"),
    ]
    messages = {(p.sheet, p.column): p.message for p in result.problems}
    assert messages[("workshops", "phase")] == "No phase “phase-x” in the file or here."
    assert messages[("sessions", "purpose")].startswith("“worries” is not one of: values,")
    assert messages[("statements", "text")] == "A value is needed."
    assert messages[("dots", "count")] == "At most 20."
    assert not result.written
    assert counts() == before
    assert result.problems[0].place() == "workshops, row 2, column B (phase)"


@pytest.mark.django_db
def test_import_command_lists_problems_and_fails(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(_three_broken_sheets())
    errors = io.StringIO()

    with pytest.raises(CommandError, match="7 problems found"):
        call_command("import_records", str(path), stderr=errors, stdout=io.StringIO())

    assert "statements, row 4, column G (category): Session w-new/1 has no category 9" in (
        errors.getvalue()
    )
    assert Workshop.objects.filter(reference="w-new").count() == 0


def paper_workshop_file(*, statements: list[str], **workshop_values) -> bytes:
    """A local workshop held on paper: two categories, paper dot totals (12 and 0), no
    participants; ``workshop_values`` adds columns of its workshops row."""
    return workbook(
        {
            "phases": [header("phases"), row("phases", phase="esmp-2", title="Phase II")],
            "workshops": [
                header("workshops"),
                row(
                    "workshops",
                    workshop="albany-1",
                    phase="esmp-2",
                    title="Albany",
                    kind="Local government workshop",
                    date=dt.datetime(2010, 3, 4),
                    start_time="09:30",
                    end_time="12:00",
                    **workshop_values,
                ),
            ],
            "sessions": [
                header("sessions"),
                row(
                    "sessions",
                    workshop="albany-1",
                    session=1,
                    title="Concerns",
                    prompt="What worries you?",
                    purpose="concerns",
                    dots_per_participant=3,
                ),
            ],
            "categories": [
                header("categories"),
                row("categories", workshop="albany-1", session=1, category=1, name="Staff time"),
                row("categories", workshop="albany-1", session=1, category=2, name="Privacy"),
            ],
            "statements": [header("statements")]
            + [
                row("statements", workshop="albany-1", session=1, text=text, use="e", category=1)
                for text in statements
            ],
            "paper_dots": [
                header("paper_dots"),
                row("paper_dots", workshop="albany-1", session=1, category=1, count=12),
                row("paper_dots", workshop="albany-1", session=1, category=2, count=0),
            ],
        }
    )


@pytest.mark.django_db
def test_importing_the_same_file_twice_adds_nothing_the_second_time():
    content = paper_workshop_file(statements=["No time", "No time", "Who answers?"])

    first = records_import(name="paper.xlsx", content=content)
    second = records_import(name="paper.xlsx", content=content)

    assert first.written and second.written
    assert first.counts["statements"] == {"rows": 3, "new": 3, "present": 0}
    assert second.counts["statements"] == {"rows": 3, "new": 0, "present": 3}
    assert Statement.objects.count() == 3  # two identical cards are two statements
    assert sorted(PaperDotTally.objects.values_list("count", flat=True)) == [0, 12]
    workshop = Workshop.objects.get(reference="albany-1")
    assert (workshop.kind, workshop.start_time) == ("local", dt.time(9, 30))
    assert set(Statement.objects.values_list("use", "source")) == {("E", "card")}
    assert AuditEvent.objects.filter(action="imported", workshop=workshop).count() == 1


@pytest.mark.django_db
def test_adding_a_card_to_the_file_imports_only_that_card():
    records_import(name="p.xlsx", content=paper_workshop_file(statements=["A", "B"]))

    result = records_import(name="p.xlsx", content=paper_workshop_file(statements=["A", "B", "A"]))

    assert result.counts["statements"] == {"rows": 3, "new": 1, "present": 2}
    assert sorted(Statement.objects.values_list("text", flat=True)) == ["A", "A", "B"]


@pytest.mark.django_db
def test_dry_run_checks_everything_and_writes_nothing(tmp_path):
    path = tmp_path / "paper.xlsx"
    path.write_bytes(paper_workshop_file(statements=["One"]))
    out = io.StringIO()

    call_command("import_records", str(path), "--dry-run", stdout=out, stderr=io.StringIO())

    assert "statements: 1 rows, 1 new, 0 already here" in out.getvalue()
    assert "nothing was written" in out.getvalue()
    assert ProjectPhase.objects.filter(slug="esmp-2").count() == 0


@pytest.mark.django_db
def test_one_csv_file_adds_statements_to_an_existing_session():
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-9"), position=2)
    CategoryFactory(session=session, reference_number=4)
    text = 'workshop,session,text,use,category\r\nw-9,2,"Two lines\nhere",I,4\r\nw-9,2,Other,,\r\n'

    result = records_import(name="Statements.csv", content=text.encode("utf-8-sig"))

    assert result.written
    assert list(
        session.statements.order_by("text").values_list("text", "use", "category__reference_number")
    ) == [
        ("Other", "", None),
        ("Two lines\nhere", "I", 4),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "Upload an Excel workbook (.xlsx), a ZIP of CSV files"),
        ("broken.xlsx", b"PK\x03\x04 not really", "The file is damaged"),
        ("cards.csv", b"text\r\nx\r\n", "Name a CSV file after the sheet it holds"),
    ],
)
@pytest.mark.django_db
def test_unreadable_files_get_one_clear_problem(name, content, message):
    result = records_import(name=name, content=content)

    assert len(result.problems) == 1
    assert message in result.problems[0].message


@pytest.mark.django_db
def test_unknown_and_missing_columns_are_reported_on_the_header_row():
    content = workbook({"statements": [["workshop", "sesion", "text", ""], ["w", 1, "x", None]]})

    result = records_import(name="r.xlsx", content=content)

    assert [(p.row, p.letter, p.column, p.message.split(";")[0]) for p in result.problems] == [
        (None, "", "session", "This required column is missing."),
        (1, "B", "sesion", "Unknown column"),
    ]


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings):
    settings.RECORDS_IMPORT_MAX_UNPACKED_BYTES = 25_000_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("statements.csv", b"0" * 26_000_000)

    result = records_import(name="big.zip", content=buffer.getvalue())

    assert [p.message for p in result.problems] == [
        "The file unpacks to 26 MB, more than the 25 MB a records file may hold; "
        "split it into parts."
    ]
    assert result.rows_read == 0


@pytest.mark.django_db
def test_dots_beyond_the_sessions_limit_or_stacking_are_problems():
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(reference="w-d"), position=1, dots_per_participant=2
    )
    for number in (1, 2, 3):
        CategoryFactory(session=session, reference_number=number)
    ParticipantFactory(workshop=session.workshop, reference="p-1")
    dots = [header("dots")] + [
        row("dots", workshop="w-d", session=1, category=n, participant="p-1", count=c)
        for n, c in ((1, 1), (2, 2), (3, 1))
    ]

    result = records_import(name="d.xlsx", content=workbook({"dots": dots}))

    assert [(p.row, p.message) for p in result.problems] == [
        (3, "Dots do not stack in this session: one dot per category."),
        (3, "This participant would have more than the session's 2 dots."),
        (4, "This participant would have more than the session's 2 dots."),
    ]
    assert Dot.objects.count() == 0


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_records():
    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            records_tables()
        return len(queries)

    def workshop(n: int) -> None:
        session = PlenarySessionFactory(workshop=WorkshopFactory(reference=f"w-{n}"))
        category = CategoryFactory(session=session)
        StatementFactory(session=session, category=category)
        NoteRevisionFactory(session=session)

    from tests.factories import NoteRevisionFactory

    workshop(1)
    one = export_queries()
    workshop(2)
    workshop(3)
    assert export_queries() == one == 11


@pytest.mark.django_db
def test_the_template_has_every_sheet_and_a_read_me():
    content = records_template(fmt="xlsx").content
    book = load_workbook(io.BytesIO(content))

    assert book.sheetnames == ["read me", *(sheet.name for sheet in SHEETS)]
    for sheet in SHEETS:
        assert [c.value for c in book[sheet.name][1]] == list(sheet.column_names)
    csv_names = zipfile.ZipFile(io.BytesIO(records_template(fmt="csv").content)).namelist()
    assert csv_names == ["read me.txt", *(f"{sheet.name}.csv" for sheet in SHEETS)]
    readme = zipfile.ZipFile(io.BytesIO(records_template(fmt="csv").content)).read("read me.txt")
    assert "  created_at: When it was written. (YYYY-MM-DDTHH:MM:SSZ" in readme.decode()
    assert records_import(name="t.zip", content=records_template(fmt="csv").content).ok


def test_the_documentation_describes_every_sheet_and_column():
    text = (Path(__file__).resolve().parents[2] / "docs" / "records.md").read_text()

    for sheet in SHEETS:
        assert f"### {sheet.name}" in text
        for column in sheet.columns:
            assert f"`{column.name}`" in text, (sheet.name, column.name)


SHEET_MODELS = {
    "phases": (ProjectPhase, ReportNarrative),
    "workshops": (Workshop,),
    "sessions": (PlenarySession,),
    "participants": (Participant,),
    "categories": (Category,),
    "statements": (Statement,),
    "dots": (Dot,),
    "paper_dots": (PaperDotTally,),
    "notes": (NoteRevision,),
}


def model_field(sheet_name: str, column_name: str):
    for model in SHEET_MODELS[sheet_name]:
        try:
            return model._meta.get_field(column_name)
        except FieldDoesNotExist:
            continue
    return None


def test_the_layout_takes_lengths_and_choices_from_the_models():
    checked = set()
    for sheet in SHEETS:
        for column in sheet.columns:
            field = model_field(sheet.name, column.name)
            if field is None or column.kind not in ("text", "choice"):
                continue
            checked.add((sheet.name, column.name))
            assert column.model_field is field, (sheet.name, column.name)
            if column.kind == "text":
                assert column.max_length == field.max_length, (sheet.name, column.name)
            else:
                assert column.choices == tuple(value for value, _label in field.choices)
                assert column.labels == tuple(field.choices)

    assert ("statements", "text") in checked
    assert ("participants", "level_of_government") in checked
    assert SHEETS_BY_NAME["statements"].column("text").max_length == (
        Statement._meta.get_field("text").max_length
    )
    assert SHEETS_BY_NAME["participants"].column("level_of_government").choices == tuple(
        value for value, _label in Participant._meta.get_field("level_of_government").choices
    )


@pytest.mark.django_db
def test_a_user_name_is_linked_when_the_account_exists():
    UserFactory(username="dana")
    content = paper_workshop_file(statements=[])
    book = load_workbook(io.BytesIO(content))
    book["workshops"]["N2"] = "dana"  # the facilitators column
    buffer = io.BytesIO()
    book.save(buffer)

    result = records_import(name="w.xlsx", content=buffer.getvalue())

    assert result.notices == []
    assert list(
        Workshop.objects.get(reference="albany-1").facilitators.values_list("username", flat=True)
    ) == ["dana"]


def test_a_workbook_carries_no_time_of_its_own():
    content = records_template(fmt="xlsx").content

    with zipfile.ZipFile(io.BytesIO(content)) as files:
        core = files.read("docProps/core.xml").decode()
        stamps = {info.date_time for info in files.infolist()}

    assert "<dcterms:modified" in core
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified
    assert stamps == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.django_db
def test_a_workshop_reference_already_used_for_another_workshop_is_a_problem():
    phase = ProjectPhase.objects.create(slug="esmp-2", title="Phase II")
    WorkshopFactory(
        reference="albany-1", title="Albany 2009", date=dt.date(2009, 9, 17), phase=phase
    )

    result = records_import(name="p.xlsx", content=paper_workshop_file(statements=["A"]))

    assert [(p.sheet, p.row, p.column, p.message) for p in result.problems] == [
        (
            "workshops",
            2,
            "workshop",
            "Workshop “albany-1” is already here as “Albany 2009” (State agency workshop, "
            "2009-09-17); give this one another reference.",
        )
    ]
    assert Statement.objects.count() == 0


@pytest.mark.django_db
def test_rows_already_here_with_other_values_are_named_and_left_alone():
    records_import(name="p.xlsx", content=paper_workshop_file(statements=["A", "A"]))
    book = load_workbook(io.BytesIO(paper_workshop_file(statements=["A", "A"])))
    book["paper_dots"]["D2"] = 15
    book["workshops"]["C2"] = "Albany (renamed)"
    buffer = io.BytesIO()
    book.save(buffer)

    result = records_import(name="p.xlsx", content=buffer.getvalue())

    assert result.ok
    assert result.notices == [
        "Already here with other values, which an import never changes: workshops row 2 "
        "(title); paper_dots row 2 (count).",
        "2 statements without a key matched cards already here by their text and were not "
        "imported again. To add a card with the same text as one already here, give it a key "
        "in the statement column.",
    ]
    assert PaperDotTally.objects.get(category__reference_number=1).count == 12


@pytest.mark.django_db
def test_records_without_times_get_the_workshop_start_in_file_order():
    records_import(name="p.xlsx", content=paper_workshop_file(statements=["B", "A", "C"]))

    texts = list(Statement.objects.order_by("created_at").values_list("text", "created_at"))

    start = timezone.make_aware(dt.datetime(2010, 3, 4, 9, 30))
    assert texts == [
        ("B", start),
        ("A", start + dt.timedelta(seconds=1)),
        ("C", start + dt.timedelta(seconds=2)),
    ]
    assert PaperDotTally.objects.first().recorded_at == start


@pytest.mark.parametrize("name", ["statements (1).csv", "Statements-albany.csv", "statements2.csv"])
@pytest.mark.django_db
def test_a_csv_file_is_known_by_the_start_of_its_name(name):
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-9"), position=1)

    result = records_import(name=name, content=b"workshop,session,text\r\nw-9,1,Hello\r\n")

    assert result.written
    assert list(session.statements.values_list("text", flat=True)) == ["Hello"]
