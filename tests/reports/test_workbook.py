"""The report's workbook is one an analyst can work with: an About sheet first, readable sheet
names, every table sorted and filtered in place, dates and numbers typed, no formula ever."""

import datetime as dt
import io

import pytest
from django.utils import timezone

from reports import formats
from reports.models import ReportNarrative
from reports.selectors import report_build
from reports.workbook import export_xlsx
from responses.models import Statement
from sessions.spreadsheets import sheet_name
from tests.factories import PlenarySessionFactory, StatementFactory, WorkshopFactory
from tests.test_formula_safety import assert_workbook_inert

pytestmark = pytest.mark.django_db

SHEETS = [
    "About", "Workshops", "Agenda", "State values", "State concerns", "Local benefits",
    "Local concerns", "Rank overlap", "Appendix A values", "Appendix B concerns",
    "All statements", "All dots", "Paper dot totals",
]  # fmt: skip
CODE_NAMES = {
    "workshops", "agenda", "state_values", "state_concerns", "local_benefits", "local_concerns",
    "overlap", "appendix_a", "appendix_b", "statements", "dots", "paper_dots",
}  # fmt: skip


def workbook_of(report):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(export_xlsx(report)))


def header(sheet) -> list:
    return [cell.value for cell in sheet[1]]


def column(sheet, name: str) -> list:
    """The cells of the column headed ``name``, below the header."""
    index = header(sheet).index(name)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def about(workbook) -> dict:
    """The About sheet's labelled rows: label -> the cell beside it."""
    return {row[0].value: row[1] for row in workbook["About"].iter_rows(min_row=2) if row[0].value}


def test_sheets_have_readable_names_with_the_about_sheet_first(phase):
    workbook = workbook_of(report_build(phase=phase))

    assert workbook.sheetnames == SHEETS
    assert not CODE_NAMES & set(workbook.sheetnames)
    assert not [name for name in workbook.sheetnames if "_" in name]


def test_the_about_sheet_says_what_the_report_is_and_what_each_sheet_holds(phase, settings):
    settings.TIME_ZONE = "America/New_York"
    WorkshopFactory(phase=phase, title="Pilot run", practice=True, date=dt.date(2009, 8, 3))
    report = report_build(phase=phase)
    workbook = workbook_of(report)
    sheet = workbook["About"]
    rows = about(workbook)

    assert sheet["A1"].value == "About this workbook"
    assert rows["Report"].value == "Exploratory Social Media Project — Phase I"
    assert rows["Subtitle"].value == "Benefits and concerns"
    assert rows["First workshop"].value == dt.datetime(2009, 9, 17)  # its first workshop
    assert rows["First workshop"].is_date
    assert rows["First workshop"].number_format == formats.XLSX_DAY
    built = timezone.localtime(report.generated_at).replace(tzinfo=None, microsecond=0)
    assert rows["Built"].value == built
    assert rows["Built"].number_format == formats.XLSX_MOMENT
    assert rows["Ranking"].value == report.rank_rule
    assert rows["Left out of the report"].value == (
        "These workshops of the phase are in no sheet and no figure of this report: "
        "Pilot run (August 3, 2009)."
    )
    assert rows["Hidden statements"].value == (
        "1 statement a facilitator hid is left out of every sheet."
    )
    assert rows["Times"].value == "Dates and times are in the America/New_York time zone."
    assert rows["Numbers"].value.startswith("Every number is a count from the records")
    # A row per other sheet, its name linked to the sheet, with a sentence on what it holds.
    listed = [(row[0].value, row[0].hyperlink.location) for row in sheet.iter_rows()
              if row[0].hyperlink]  # fmt: skip
    assert listed == [(name, f"'{name}'!A1") for name in SHEETS[1:]]
    assert rows["All statements"].value.startswith("Every statement of the workshops")


def test_the_about_sheet_names_the_withheld_workshops(phase):
    ReportNarrative.objects.filter(phase=phase).update(suppress_below=17)
    rows = about(workbook_of(report_build(phase=phase)))

    assert rows["Small groups"].value.startswith(
        "Workshops with fewer than 17 participants show no counts and no statements"
    )
    assert "State agency workshop" in rows["Small groups"].value


def test_every_table_sheet_has_a_bold_frozen_header_a_filter_and_fitted_widths(phase):
    workbook = workbook_of(report_build(phase=phase))

    for sheet in workbook.worksheets[1:]:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{sheet[1][-1].column_letter}{sheet.max_row}", (
            sheet.title
        )
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert len(cell.value) < width <= 62, (sheet.title, cell.value, width)
    workshops = workbook["Workshops"]
    # The longest title, "Local government workshop" (25 characters), and a margin.
    assert workshops.column_dimensions["A"].width == 27
    prompt = workbook["Agenda"]["E2"]
    assert workbook["Agenda"].column_dimensions["E"].width == 62
    assert prompt.alignment.wrap_text


def test_dates_times_and_numbers_are_typed_cells(phase, settings):
    settings.TIME_ZONE = "America/New_York"
    Statement.objects.filter(text="Cheaper than print").update(
        created_at=dt.datetime(2009, 9, 17, 12, 40, 5, 250000, tzinfo=dt.UTC)
    )
    workbook = workbook_of(report_build(phase=phase))

    state = workbook["Workshops"][2]
    assert [cell.value for cell in state[2:5]] == [
        dt.datetime(2009, 9, 17), dt.time(8, 30), dt.time(10, 30),
    ]  # fmt: skip
    assert all(cell.is_date for cell in state[2:5])
    assert [cell.number_format for cell in state[2:5]] == [
        formats.XLSX_DAY, formats.XLSX_CLOCK, formats.XLSX_CLOCK,
    ]  # fmt: skip
    assert (state[6].value, state[6].data_type, state[6].number_format) == (
        16, "n", formats.XLSX_COUNT,
    )  # fmt: skip
    overlap = {row[0].value: row[1] for row in workbook["Rank overlap"].iter_rows(min_row=2)}
    assert overlap["Categories in both rankings"].value == 4
    assert isinstance(overlap["Spearman's rho"].value, int | float)
    assert overlap["Spearman's rho"].number_format == formats.XLSX_COEFFICIENT

    created = {row[4].value: row[8] for row in workbook["All statements"].iter_rows(min_row=2)}
    created = created["Cheaper than print"]
    # Written in the site's time zone (a workbook holds none), to the second.
    assert created.value == dt.datetime(2009, 9, 17, 8, 40, 5)
    assert created.is_date and created.number_format == formats.XLSX_MOMENT
    # A participant's number is an identifier: 12345, never "12,345".
    participants = column(workbook["All dots"], "Participant")
    assert all(isinstance(cell.value, int) for cell in participants)
    assert {cell.number_format for cell in participants} == {formats.XLSX_REFERENCE}


def test_withheld_and_not_recorded_figures_stay_text(phase):
    ReportNarrative.objects.filter(phase=phase).update(suppress_below=17)
    WorkshopFactory(phase=phase, title="Paper only", kind="local", date=dt.date(2009, 10, 1))
    workbook = workbook_of(report_build(phase=phase))

    people = {row[0].value: row[6] for row in workbook["Workshops"].iter_rows(min_row=2)}
    assert people["State agency workshop"].value == "fewer than 17"
    assert people["Paper only"].value == "not recorded"
    assert people["Local government workshop"].value == 31
    votes = column(workbook["State concerns"], "Votes")
    assert {(cell.value, cell.data_type) for cell in votes} == {("withheld", "s")}


def test_document_properties_name_the_organisation_and_the_report(phase, settings):
    settings.REPORT_ORGANISATION = "Center for Technology in Government"
    report = report_build(phase=phase)
    properties = workbook_of(report).properties

    assert properties.creator == "Center for Technology in Government"
    assert properties.lastModifiedBy == "Center for Technology in Government"
    assert properties.title == "Exploratory Social Media Project — Phase I"
    assert properties.subject == "Workshop summary report"
    built = report.generated_at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    assert properties.created == properties.modified == built


def test_without_a_setting_the_phase_organisation_is_the_creator_and_never_openpyxl(
    phase, settings
):
    settings.REPORT_ORGANISATION = ""
    phase.organisation = "Office of Parks"
    phase.save()
    assert workbook_of(report_build(phase=phase)).properties.creator == "Office of Parks"

    phase.organisation = ""
    phase.save()
    assert workbook_of(report_build(phase=phase)).properties.creator == "ctg-workshops"


HOSTILE = [
    '=HYPERLINK("https://evil.example/","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\x01=1+1",
    " \u200b=1+1",
    "=1+1\x1b",
    "_x003D_1+1",
    "#N/A",
]


def test_hostile_statements_never_become_formulas(phase):
    session = phase.workshops.get(kind="state").sessions.get(purpose="values")
    category = session.categories.get(name="Cost savings")
    for text in HOSTILE:
        StatementFactory(session=session, category=category, text=text)
    content = export_xlsx(report_build(phase=phase))

    assert_workbook_inert(content, "report.xlsx")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    for name in ("All statements", "Appendix A values"):
        cells = {cell.value: cell.data_type for cell in column(workbook[name], "Statement")}
        assert cells['\'=HYPERLINK("https://evil.example/","x")'] == "s"
        assert {"'+1+1", "'-2+3", "'@SUM(A1)", "'\t=1+1", "'\r=1+1", "'=1+1"} <= set(cells)
        assert cells["#N/A"] == "s"  # text, not Excel's error value
        assert "_x005F_x003D_1+1" in cells  # Excel shows "_x003D_1+1", not "=1+1"
        assert not {text for text in HOSTILE if text != "#N/A"} & set(cells)


def test_the_same_report_gives_the_same_cells(phase):
    report = report_build(phase=phase)

    def cells(workbook):
        return {
            sheet.title: [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
            for sheet in workbook
        }

    assert cells(workbook_of(report)) == cells(workbook_of(report))


def test_left_out_workshops_are_in_no_sheet(phase):
    pilot = WorkshopFactory(phase=phase, title="Pilot run", practice=True)
    session = PlenarySessionFactory(workshop=pilot, title="Pilot values")
    StatementFactory(session=session, text="From the pilot")
    workbook = workbook_of(report_build(phase=phase))

    for sheet in workbook.worksheets[1:]:
        values = {cell.value for row in sheet.iter_rows() for cell in row}
        assert not {"Pilot run", "From the pilot"} & values, sheet.title


@pytest.mark.parametrize("extra", [0, 2])
def test_the_records_sheets_take_three_queries(phase, extra, django_assert_num_queries):
    for n in range(extra):
        workshop = WorkshopFactory(phase=phase, title=f"Extra {n}")
        session = PlenarySessionFactory(workshop=workshop)
        StatementFactory(session=session, text=f"Extra statement {n}")
    report = report_build(phase=phase)
    with django_assert_num_queries(3):
        export_xlsx(report)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Appendix A: values", "Appendix A values"),
        ("Rank [draft] */? \\ overlap", "Rank draft overlap"),
        ("'Quoted'", "Quoted"),
        ("A sheet name far longer than Excel allows", "A sheet name far longer than Ex"),
        (":*?", "Sheet"),
    ],
)
def test_sheet_names_are_ones_excel_accepts(title, expected):
    assert sheet_name(title, set()) == expected


def test_sheet_names_stay_unique_whatever_the_translation_gives():
    taken = {"Workshops"}
    assert sheet_name("workshops", taken) == "workshops (2)"
    assert sheet_name("WORKSHOPS", taken) == "WORKSHOPS (3)"
    long = "A sheet name far longer than Excel allows"
    assert sheet_name(long, taken) == "A sheet name far longer than Ex"
    assert sheet_name(long, taken) == "A sheet name far longer tha (2)"
    assert all(len(name) <= 31 for name in taken)


def test_a_text_longer_than_excel_holds_is_cut_with_a_mark():
    from openpyxl import Workbook, load_workbook

    from sessions.spreadsheets import CELL_TEXT_LENGTH, typed_cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Long")
    sheet.append([typed_cell(sheet, "x" * 40000, number_formats={})])
    buffer = io.BytesIO()
    workbook.save(buffer)

    value = load_workbook(buffer).active["A1"].value
    assert len(value) == CELL_TEXT_LENGTH and value.endswith("…")
