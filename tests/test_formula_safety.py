"""No spreadsheet download ever holds a live formula, whatever the records hold.

The text is put straight into the database here (no form, no normaliser), as records written
before a fix or by a future path would be, so each writer's own neutraliser is what is tested:
every control character, blank and invisible character before a formula trigger, through
every spreadsheet export (the report's workbook and CSV files, the records files, the agency
projects) and the Word document.
"""

import csv
import io
import re
import unicodedata
import zipfile

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.exports import export_csv, export_docx, export_xlsx
from reports.records.exporting import records_export
from reports.selectors import report_build
from responses.models import AgencyProject, Participant, Statement
from responses.projects import projects_csv, projects_xlsx
from sessions.text import cell_text, cell_value, strip_control_characters, uncell_text
from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    WorkshopFactory,
)

TRIGGERS = "=+-@\uff1d\uff0b\uff0d\uff20"
# Every C0 and C1 control, DEL, and the blanks and invisible characters a program might skip.
PREFIX_CHARACTERS = (
    [chr(c) for c in range(0x00, 0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + [" ", "\xa0", "\u200b", "\u200e", "\u2028", "\u2066", "\u3000", "\ufeff", "\ufffe"]
)
HYPERLINK = '=HYPERLINK("https://evil.example/","x")'

payloads = st.builds(
    lambda prefix, trigger, rest: prefix + trigger + rest,
    st.text(alphabet=PREFIX_CHARACTERS, max_size=4),
    st.sampled_from(TRIGGERS),
    st.text(max_size=40),
)
# What a database can hold: PostgreSQL stores no NUL (the input middleware removes it anyway).
storable_payloads = st.builds(
    lambda prefix, trigger, rest: prefix + trigger + rest,
    st.text(alphabet=[c for c in PREFIX_CHARACTERS if c != "\x00"], max_size=4),
    st.sampled_from(TRIGGERS),
    st.text(st.characters(blacklist_characters="\x00"), max_size=40),
)


def live(value: str) -> bool:
    """Whether a spreadsheet program could run ``value``: after whatever it might skip (every
    control, format and space character), it starts with a trigger. A leading apostrophe
    makes a cell text in every spreadsheet program."""
    if value.startswith("'"):
        return False
    if value[:1] in ("\t", "\r", "\n"):
        return True
    for char in value:
        if unicodedata.category(char)[0] not in "CZ":  # controls, format characters, spaces
            return char in TRIGGERS
    return False


def as_excel_reads(text: str) -> str:
    """A workbook's text as Excel shows it: "_xHHHH_" is the character HHHH."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def assert_workbook_inert(content: bytes, where: str) -> None:
    from openpyxl import load_workbook

    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert not re.search(rb"<(\w+:)?f[ >]", archive.read(name)), (where, name)
    for sheet in load_workbook(io.BytesIO(content)):
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (where, sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not live(as_excel_reads(cell.value)), (where, sheet.title, cell.value)


def assert_csv_inert(text: str, where: str) -> None:
    for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))):
        for value in row:
            assert not live(value), (where, value)


def assert_zip_of_csv_inert(content: bytes, where: str) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        if name.endswith(".csv"):
            assert_csv_inert(archive.read(name).decode("utf-8"), f"{where}/{name}")


def records_with(text: str):
    """A phase whose every free-text field holds ``text``, written past every form."""
    phase = ProjectPhaseFactory(title=f"Phase {text}"[:200])
    workshop = WorkshopFactory(phase=phase, title=f"Workshop {text}"[:200], venue=text[:200])
    session = PlenarySessionFactory(workshop=workshop, prompt=text or "?")
    category = CategoryFactory(session=session, name=text[:200], description=text)
    participant = Participant.objects.create(
        workshop=workshop,
        name=text[:200],
        organisation=text[:200],
        role=text[:200],
        consent_to_be_named=True,
        consent_recorded_at=timezone.now(),
    )
    Statement.objects.create(
        session=session, category=category, participant=participant, text=text[:500]
    )
    project = AgencyProject.objects.create(
        workshop=workshop,
        participant=participant,
        organisation=text[:200],
        platform=text[:200],
        purpose=text,
        status=AgencyProject.Status.PLANNED,
        contact_name=text[:200],
        contact_consent=True,
        contact_consent_at=timezone.now(),
    )
    return phase, project


def assert_every_download_inert(text: str) -> None:
    phase, project = records_with(text)
    report = report_build(phase=phase)
    assert_workbook_inert(export_xlsx(report), "report.xlsx")
    assert_zip_of_csv_inert(export_csv(report), "report.csv.zip")
    assert_workbook_inert(records_export(phase=phase, fmt="xlsx").content, "records.xlsx")
    assert_zip_of_csv_inert(records_export(phase=phase, fmt="csv").content, "records.zip")
    assert_workbook_inert(projects_xlsx([project]), "projects.xlsx")
    assert_csv_inert(projects_csv([project]).decode("utf-8"), "projects.csv")
    assert_word_fields_fixed(export_docx(report))


# The Word file's only fields: the contents and the footer's "Page 3 of 12".
WORD_FIELD_CODES = {' TOC \\o "1-1" \\h \\z \\u ', " PAGE ", " NUMPAGES "}


def assert_word_fields_fixed(content: bytes) -> None:
    """Word runs no formula from text, only from field codes; none may come from the records:
    every field code in every part is one of the fixed few, and there are no simple fields."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        if name.startswith("word/") and name.endswith(".xml"):
            part = archive.read(name).decode("utf-8")
            assert "fldSimple" not in part, name
            codes = re.findall(r"<w:instrText[^>]*>(.*?)</w:instrText>", part, re.S)
            assert set(codes) <= WORD_FIELD_CODES, (name, codes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "prefix", [chr(c) for c in (*range(0x01, 0x09), *range(0x0E, 0x1C))], ids=ord
)
def test_a_control_character_before_a_formula_never_uncovers_it(prefix):
    # The outside review's finding: "\x01=HYPERLINK(…)" as an organisation was written as
    # <f>HYPERLINK(…)</f> in the records workbook, because the \x01 was dropped after the check.
    assert_every_download_inert(prefix + HYPERLINK)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["_x003D_1+1", "_x0009_=1+1", "_x005F_x003D_1+1", "a_x003D_b"])
def test_an_ooxml_escape_never_decodes_to_a_formula_in_excel(text):
    # Excel reads "_x003D_" in a workbook as "=": "_x003D_1+1" showed as =1+1 and ran once edited.
    assert_every_download_inert(text)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=storable_payloads)
def test_every_prefix_before_every_trigger_stays_inert_in_every_download(text):
    assert_every_download_inert(text)


@given(text=st.one_of(payloads, st.text()))
def test_cell_text_is_inert_idempotent_and_reversible(text):
    once = cell_text(text)
    assert not live(once)
    assert cell_text(once) == once
    assert strip_control_characters(once) == once
    written = cell_text(text, reversible=True)
    assert uncell_text(written) == strip_control_characters(text)


def test_cell_value_leaves_numbers_empty_cells_and_plain_text():
    assert [cell_value(v) for v in (5, None, 2.5, "Resources", "")] == [
        5, None, 2.5, "Resources", "",
    ]  # fmt: skip
    assert cell_value("=1+1") == "'=1+1"
    assert cell_value("\x01=1+1") == "'=1+1"
    assert cell_value(" \u200b@SUM(A1)") == "' \u200b@SUM(A1)"
    assert cell_value("'quoted", reversible=True) == "''quoted"


def test_strip_control_characters_keeps_tabs_newlines_and_every_script():
    assert strip_control_characters("a\x00b\x1bc\x7fd\x85e\tf\ng\rh") == "abcde\tf\ng\rh"
    text = "Zoë — 東京 — עברית \u200d👩\u200d💻"
    assert strip_control_characters(text) == text
