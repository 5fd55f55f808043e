"""The records import is bounded: hostile files are refused with a clear message, never a 500,
reading stops at the caps, and what is stored is bounded and storable on any database.

Each test reproduces a finding of the outside review ("Medium: the records import has no
bounds"). None measures time: a bounded read is shown by the rows read and the problems kept.
"""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from reports.models import ImportBatch
from reports.records import markup as markup_module
from reports.records import reading
from reports.records.exporting import records_export
from reports.records.importing import records_import
from reports.records.markup import BoundedMarkup
from reports.records.reading import UnreadableFile
from responses.models import Statement
from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
ENTITY_MESSAGE = (
    "The workbook's XML declares a document type or uses entities, which spreadsheet programs "
    "never write and which can make a small file unpack to gigabytes; it was not read. Open it "
    "in a spreadsheet program and save it again, or save it as CSV."
)


def with_sheet_xml(sheet: bytes, *, parts: dict[str, bytes] | None = None) -> bytes:
    """A workbook whose sheet "statements" is ``sheet`` (its XML), with extra ``parts``."""
    book = Workbook()
    book.active.title = "statements"
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet
            if info.filename == "[Content_Types].xml" and parts:
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(info.filename, data)
        for name, data in (parts or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def sheet_rows(*rows: bytes, dimension: bool = True) -> bytes:
    size = b'<dimension ref="A1:C9"/>' if dimension else b""
    return (
        b'<?xml version="1.0"?>'
        + MAIN
        + size
        + b"<sheetData>"
        + b"".join(rows)
        + (b"</sheetData></worksheet>")
    )


def text_row(number: int, *texts: str) -> bytes:
    cells = "".join(
        f'<c r="{"ABC"[i]}{number}" t="inlineStr"><is><t>{t}</t></is></c>'
        for i, t in enumerate(texts)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def upload(client, content: bytes, name: str):
    file = SimpleUploadedFile(name, content)
    return client.post(reverse("reports:records_upload"), {"file": file})


# --- XML: entities, malformed parts --------------------------------------------------------------


def test_openpyxl_parses_with_defusedxml():
    # openpyxl picks defusedxml when it is installed; the reader refuses to run without it.
    assert openpyxl.DEFUSEDXML is True


@pytest.mark.django_db
def test_an_undefined_entity_in_a_worksheet_is_refused_not_a_server_error(staff_client):
    content = with_sheet_xml(sheet_rows(text_row(1, "workshop"), text_row(2, "&foo;")))

    response = upload(staff_client, content, "entity.xlsx")

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == "invalid"
    assert batch.problems == [
        {"sheet": "", "row": None, "column": "", "letter": "", "message": ENTITY_MESSAGE}
    ]


@pytest.mark.django_db
def test_a_billion_laughs_worksheet_is_refused_before_anything_expands():
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    prolog = f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "ha">{laughs}]>'
    sheet = sheet_rows(text_row(1, "&l9;")).replace(b'<?xml version="1.0"?>', prolog.encode())

    result = records_import(name="laughs.xlsx", content=with_sheet_xml(sheet))

    assert [p.message for p in result.problems] == [ENTITY_MESSAGE]
    assert result.rows_read == 0


@pytest.mark.django_db
def test_malformed_worksheet_xml_is_named_as_such():
    content = with_sheet_xml(sheet_rows(text_row(1, "workshop"), b"<row r='2'><c>"))

    result = records_import(name="broken.xlsx", content=content)

    assert len(result.problems) == 1
    assert result.problems[0].message.startswith("The workbook's XML is malformed (")


@pytest.mark.django_db
def test_two_sheets_sharing_one_part_are_refused():
    content = with_sheet_xml(sheet_rows(text_row(1, "workshop")))
    archive = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(
                    b"</sheets>",
                    b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships" name="again" sheetId="2" r:id="rId1"/></sheets>',
                )
            target.writestr(info.filename, data)

    result = records_import(name="twice.xlsx", content=out.getvalue())

    assert [p.message for p in result.problems] == [
        "The workbook is malformed: two of its sheets are one and the same part."
    ]


# --- Text: encodings, control characters ---------------------------------------------------------


@pytest.mark.django_db
def test_a_utf16_csv_is_read_as_utf16():
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    text = "workshop,session,text\r\nw-1,1,Naïve — “quoted” card\r\n"

    result = records_import(name="statements.csv", content=text.encode("utf-16"))

    assert result.written
    assert list(session.statements.values_list("text", flat=True)) == ["Naïve — “quoted” card"]


@pytest.mark.django_db
def test_nul_and_control_characters_never_reach_the_stored_problems(staff_client):
    # Stored as JSON, a NUL fails on PostgreSQL ("unsupported Unicode escape sequence").
    content = b"work\x00shop,session,text,oops\x01\r\nw-\x00nowhere,1,Card\x1b\r\n"

    response = upload(staff_client, content, "statements.csv")

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert [(p["row"], p["letter"], p["column"], p["message"][:40]) for p in batch.problems] == [
        (1, "D", "oops", "Unknown column; this sheet's columns are"),
    ]
    assert "\x00" not in str(batch.problems) and "\x01" not in str(batch.problems)


@pytest.mark.django_db
def test_a_nul_in_a_reference_is_cleaned_before_it_is_quoted(staff_client):
    upload(staff_client, b"workshop,session,text\r\nw-\x00nowhere,1,Card\r\n", "statements.csv")

    batch = ImportBatch.objects.get()
    assert [p["message"] for p in batch.problems] == [
        "No workshop “w-nowhere” in the file or here."
    ]


@pytest.mark.django_db
def test_a_control_character_before_a_formula_is_dropped_before_the_apostrophe_is_decided():
    # The old writer escaped first and stripped afterwards: "\x01=…" became a live "=…".
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    StatementFactory(session=session, text='\x01=HYPERLINK("https://evil.example/","x")')

    content = records_export(fmt="xlsx").content

    cell = load_workbook(io.BytesIO(content))["statements"]["D2"]
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("https://evil.example/","x")')
    Statement.objects.all().delete()
    assert records_import(name="r.xlsx", content=content).written
    assert Statement.objects.get().text == '=HYPERLINK("https://evil.example/","x")'


# --- Sizes: rows, cells, elements ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_sheet_past_the_row_cap_is_refused_after_reading_only_the_cap(settings):
    # The tester's 120 MB sheet had no <dimension>; openpyxl read it whole twice.
    settings.RECORDS_IMPORT_MAX_ROWS = 100
    rows = [text_row(1, "workshop", "session", "text")]
    rows += [text_row(n, "w-none", "1", "Card") for n in range(2, 5002)]
    content = with_sheet_xml(sheet_rows(*rows, dimension=False))

    result = records_import(name="long.xlsx", content=content)

    assert [p.message for p in result.problems] == [
        "The file has more than 100 rows (blank rows count too); at most 100 can be imported at "
        "once, so reading stopped at statements, row 102. Split the file into parts."
    ]
    assert result.rows_read == 101


@pytest.mark.django_db
def test_a_csv_past_the_row_cap_is_refused_after_reading_only_the_cap(settings):
    settings.RECORDS_IMPORT_MAX_ROWS = 100
    content = ("workshop,session,text\r\n" + "\r\n" * 50 + "w-none,1,Card\r\n" * 5000).encode()

    result = records_import(name="statements.csv", content=content)

    assert result.problems[0].message.startswith("The file has more than 100 rows")
    assert "reading stopped at statements, row 102." in result.problems[0].message
    assert result.rows_read == 101


@pytest.mark.django_db
def test_a_cell_longer_than_the_cap_is_refused_by_its_place(settings):
    settings.RECORDS_IMPORT_MAX_CELL_CHARS = 1000
    content = f"workshop,session,text\r\nw-1,1,{'x' * 1001}\r\n".encode()

    result = records_import(name="statements.csv", content=content)

    assert [p.message for p in result.problems] == [
        "statements, row 2, column C: the cell holds more than 1,000 characters, more than any "
        "record needs."
    ]


@pytest.mark.django_db
def test_a_table_of_texts_with_too_many_elements_is_refused(settings):
    # A few kilobytes can pack a million tiny texts; each costs the parser a few microseconds.
    settings.RECORDS_IMPORT_MAX_ROWS = 10
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>a</t></si>" * 400
        + b"</sst>"
    )
    content = with_sheet_xml(
        sheet_rows(text_row(1, "workshop")), parts={"xl/sharedStrings.xml": strings}
    )

    result = records_import(name="strings.xlsx", content=content)

    assert [p.message for p in result.problems] == [
        "The workbook holds more than 500 XML elements (cells, texts and the like), far more "
        "than 10 rows need; it was not read. Split it into parts."
    ]


@pytest.mark.django_db
def test_shared_texts_and_dates_are_read_as_openpyxl_reads_them():
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>workshop</t></si><si><t>w-1</t></si>"
        b"<si><r><t>Rich </t></r><r><t>text</t></r></si></sst>"
    )
    sheet = sheet_rows(
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>session</t></is>'
        b'</c><c r="C1" t="inlineStr"><is><t>text</t></is></c></row>'
        b'<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3"><v>1</v></c>'
        b'<c r="C3" t="s"><v>2</v></c></row>'
    )

    result = records_import(
        name="s.xlsx", content=with_sheet_xml(sheet, parts={"xl/sharedStrings.xml": strings})
    )

    assert result.written
    assert result.rows_read == 1
    assert list(session.statements.values_list("text", flat=True)) == ["Rich text"]


# --- What is kept ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_200_problems_by_place_are_kept_and_the_rest_counted(staff_client):
    PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    lines = ["workshop,session,text,category"]
    lines += [f"w-1,1,Card {n},99" for n in range(150)]  # no category 99: one problem each
    lines += [f"w-1,x,Card {n},1" for n in range(150)]  # not a number: one problem each
    upload(staff_client, ("\r\n".join(lines) + "\r\n").encode(), "statements.csv")

    batch = ImportBatch.objects.get()
    page = staff_client.get(reverse("reports:records_batch", args=[batch.pk])).content.decode()

    assert len(batch.problems) == 200
    assert batch.summary["more_problems"] == 100
    assert [p["row"] for p in batch.problems] == list(range(2, 202))
    assert "300 problems: nothing was imported" in page
    assert "The first 200 are listed, and 100 more problems were found." in page


@pytest.mark.django_db
def test_notes_past_the_first_twenty_are_counted():
    workshop = WorkshopFactory(reference="w-1")
    PlenarySessionFactory(workshop=workshop, position=1, join_code="ABCD")
    lines = ["workshop,session,title,prompt,purpose,join_code"]
    lines += [f"w-1,{n},S{n},Why?,values,ABCD" for n in range(2, 27)]  # 25 sessions, code taken
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sessions.csv", "\r\n".join(lines) + "\r\n")

    result = records_import(name="s.zip", content=buffer.getvalue(), dry_run=True)

    assert result.ok
    assert len(result.notices) == 21
    assert result.notices[0] == "Join code ABCD is taken here; w-1/2 gets a new one."
    assert result.notices[-1] == "And 5 more notes like these."


@pytest.mark.parametrize("rows", [10, 200])
@pytest.mark.django_db
def test_checking_missing_references_takes_the_same_queries_for_10_or_200_rows(rows):
    # The tester's 40,000 invalid rows took 64 s: each missing reference was looked up again.
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    CategoryFactory(session=session, reference_number=1)
    lines = ["workshop,session,text,category,participant"]
    lines += [f"w-1,1,Card {n},{n + 2},p-{n}" for n in range(rows)]
    lines += [f"w-{n}-gone,1,Card,1," for n in range(rows)]
    content = ("\r\n".join(lines) + "\r\n").encode()

    with CaptureQueriesContext(connection) as queries:
        result = records_import(name="statements.csv", content=content)

    assert result.problem_count == 3 * rows
    assert len(queries) == 5


# --- The command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_refuses_a_file_over_the_upload_limit(tmp_path, settings):
    settings.RECORDS_IMPORT_MAX_BYTES = 1_000_000
    path = tmp_path / "statements.csv"
    path.write_bytes(b"workshop,session,text\r\n" + b"w-1,1,Card\r\n" * 100_000)

    with pytest.raises(CommandError) as refused:
        call_command("import_records", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value) == (
        f"{path} is 1.2 MB; at most 1 MB can be imported at once (RECORDS_IMPORT_MAX_BYTES); "
        "split it into parts."
    )


@pytest.mark.django_db
def test_the_command_lists_the_kept_problems_and_counts_the_rest(tmp_path):
    path = tmp_path / "statements.csv"
    path.write_bytes(b"workshop,session,text\r\n" + b"w-none,1,Card\r\n" * 250)
    errors = io.StringIO()

    with pytest.raises(CommandError, match=r"^250 problems found; nothing was imported\.$"):
        call_command("import_records", str(path), stdout=io.StringIO(), stderr=errors)

    lines = errors.getvalue().splitlines()
    assert len([line for line in lines if "No workshop “w-none”" in line]) == 200
    assert "… and 50 more, not listed." in lines


# --- XML: depth and the size of one tag ----------------------------------------------------------

SHEET_HEAD = b'<?xml version="1.0"?>' + MAIN + b'<dimension ref="A1:C9"/><sheetData>'
DEPTH_MESSAGE = (
    "The workbook's XML nests elements more than 32 deep, where spreadsheet programs nest about "
    "ten; it was not read."
)
TOKEN_MESSAGE = (
    "The workbook's XML has a tag, comment or reference of more than 65,536 bytes, where "
    "spreadsheet programs write a few dozen; it was not read."
)


class CountingSource(io.BytesIO):
    """XML in memory that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def finished_elements(
    xml: bytes, *, rows: int = 20_000
) -> tuple[reading._Reading, CountingSource, UnreadableFile]:
    """Read ``xml`` as a worksheet is read until it is refused; what read it, and why."""
    state = reading._Reading(reading.Limits(unpacked_bytes=10**9, rows=rows, cell_chars=10**5))
    source = CountingSource(xml)
    with pytest.raises(UnreadableFile) as refused:
        for _element in state.finished(source):
            pass
    return state, source, refused.value


@pytest.mark.django_db
def test_unclosed_tags_are_refused_past_the_nesting_limit():
    # The finding: 6.6 million "<a>" (24 KB zipped) grew a worker to 1.5 GB and ran past 30 s.
    content = with_sheet_xml(SHEET_HEAD + b"<a>" * 200_000)

    result = records_import(name="deep.xlsx", content=content)

    assert [p.message for p in result.problems] == [DEPTH_MESSAGE]


def test_reading_unclosed_tags_stops_at_the_nesting_limit():
    state, source, refused = finished_elements(SHEET_HEAD + b"<a>" * 200_000)

    assert refused.message == DEPTH_MESSAGE
    # worksheet, dimension, sheetData, 30 <a> open, and the one <a> too deep
    assert state.elements == reading.MAX_DEPTH + 2
    assert source.bytes_read < 100_000  # of 600,000


def test_elements_are_counted_as_they_start():
    # 22 elements left open and 40 closed: counted as they ended, they were 40 of the 50 allowed.
    xml = SHEET_HEAD + b"<row><c>" * 10 + b"<v/>" * 40

    state, _source, refused = finished_elements(xml, rows=1)

    assert refused.message == (
        "The workbook holds more than 50 XML elements (cells, texts and the like), far more "
        "than 1 rows need; it was not read. Split it into parts."
    )
    assert state.elements == 51


@pytest.mark.django_db
def test_a_two_megabyte_cell_reference_is_refused():
    # The finding: one 19 MB reference (23 KB zipped) took expat over 30 s.
    sheet = SHEET_HEAD + b'<row r="1"><c r="' + b"A" * 2_000_000 + b'1"><v>1</v></c></row>'
    content = with_sheet_xml(sheet + b"</sheetData></worksheet>")

    result = records_import(name="long.xlsx", content=content)

    assert [p.message for p in result.problems] == [TOKEN_MESSAGE]


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param(b'<row r="1" x="' + b"A>" * 1_000_000 + b'"/>', id="quoted >"),
        pytest.param(b"<row r='1' x='" + b'A">' * 700_000 + b"'/>", id="other quotes"),
        pytest.param(b'<row r="1" ' + b'x="1" ' * 400_000 + b"/>", id="attributes"),
        pytest.param(b"<c" + b" " * 2_000_000 + b"/>", id="spaces"),
        pytest.param(b"</sheetData" + b" " * 2_000_000 + b">", id="end tag"),
        pytest.param(b"<!--" + b"-> " * 700_000 + b"-->", id="comment"),
        pytest.param(b"<?pi " + b"x>" * 1_000_000 + b"?>", id="instruction"),
        pytest.param(b"&" + b"a" * 2_000_000 + b";", id="entity"),
        pytest.param(b"&#" + b"0" * 2_000_000 + b"65;", id="character"),
    ],
)
def test_reading_stops_early_at_any_piece_of_markup_past_the_limit(markup):
    state, source, refused = finished_elements(SHEET_HEAD + markup)

    assert refused.message == TOKEN_MESSAGE
    assert source.bytes_read < 2 * reading.MAX_TOKEN_BYTES + len(SHEET_HEAD)
    assert state.elements == 3  # worksheet, dimension, sheetData


def test_an_element_with_too_many_attributes_is_refused():
    attributes = b" ".join(b'a%d="1"' % n for n in range(reading.MAX_ATTRIBUTES + 1))
    _state, _source, refused = finished_elements(SHEET_HEAD + b"<row " + attributes + b"/>")

    assert refused.message == (
        "The workbook's XML has an element with more than 64 attributes, where spreadsheet "
        "programs write at most a dozen or so; it was not read."
    )


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16 * 1024])
def test_long_text_and_cdata_pass_and_markup_is_followed_across_reads(size):
    # CDATA and text are read by expat in pieces, so they are bounded as cells, not here.
    xml = (
        SHEET_HEAD
        + b'<?pi a="?"?><!-- <x> "\' --><row r="1" x=">\'<"><c r="A1" t="inlineStr"><is><t>'
        + b"x&amp;y>" * 20_000
        + b"<![CDATA["
        + b"<c>--> ?> \"'" * 10_000
        + b"]]></t></is></c></row></sheetData></worksheet>"
    )
    markup = BoundedMarkup(io.BytesIO(xml), reading.MAX_TOKEN_BYTES)
    read = b"".join(iter(lambda: markup.read(size), b""))

    assert read == xml
    assert markup.state == markup_module._TEXT


@pytest.mark.django_db
def test_a_workbook_with_long_cdata_text_is_read():
    session = PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)
    text = "<" + "card --> " * 40 + ">"
    sheet = sheet_rows(
        text_row(1, "workshop", "session", "text"),
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>w-1</t></is></c><c r="B2"><v>1</v></c>'
        + f'<c r="C2" t="inlineStr"><is><t><![CDATA[{text}]]></t></is></c></row>'.encode(),
    )

    result = records_import(name="cdata.xlsx", content=with_sheet_xml(sheet))

    assert result.written
    assert list(session.statements.values_list("text", flat=True)) == [text.strip()]


def test_text_that_looks_like_an_ooxml_escape_makes_the_round_trip(db):
    from reports.records.exporting import records_export
    from reports.records.importing import records_import
    from responses.models import Statement
    from tests.factories import PlenarySessionFactory, StatementFactory

    session = PlenarySessionFactory()
    texts = ["_x003D_1+1", "a_x005F_b", "_x0009_=tab", "plain_underscore_x12"]
    for text in texts:
        StatementFactory(session=session, text=text)
    phase = session.workshop.phase
    content = records_export(phase=phase, fmt="xlsx").content
    Statement.objects.all().delete()
    result = records_import(name="records.xlsx", content=content, actor=None)
    assert result.ok, result.problems[:3]
    assert sorted(Statement.objects.values_list("text", flat=True)) == sorted(texts)
