"""The report as a workbook to analyse.

A first sheet says what the workbook is and what each other sheet holds; then every table of
the report (``reports.tables``) and every statement, dot and paper dot total of the phase, one
table a sheet that sorts and filters: bold headings frozen above an AutoFilter, columns fitted
to their text, dates, times and numbers typed in the formats every export shares
(``reports.formats``), every text inert (``sessions.spreadsheets.typed_cell``).

The sheets are written in write-only mode, so no cell object outlives its row: a phase of
10,000 statements costs its rows in memory, not a workbook's worth of cells.
"""

import datetime as dt
import io
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports import formats
from reports.structure import Report
from reports.tables import (
    Table,
    paper_header,
    report_tables,
    statements_withheld_sentence,
    withheld_sentence,
)
from responses.models import Dot, PaperDotTally, Statement
from sessions.spreadsheets import sheet_link, sheet_name, table_sheet_write, typed_cell
from sessions.text import strip_control_characters

# Each cell's number format by the type of its value (exactly: a datetime is not a date).
NUMBER_FORMATS = {
    dt.datetime: formats.XLSX_MOMENT,
    dt.date: formats.XLSX_DAY,
    dt.time: formats.XLSX_CLOCK,
    int: formats.XLSX_COUNT,
    float: formats.XLSX_COEFFICIENT,
}


def _sheet_texts() -> dict[str, tuple[str, str]]:
    """Each table's sheet name and what the About sheet says it holds, by table key."""
    return {
        "workshops": (_("Workshops"), _(
            "One row per workshop in the report: its kind, date, times, venue and attendance, "
            "and whether the attendance was counted from the records or reported.")),
        "agenda": (_("Agenda"), _(
            "Each workshop's sessions in order, with their purpose and the prompt put to the "
            "room.")),
        "state_values": (_("State values"), _(
            "The values the state workshop sought: one row per category, with its statements "
            "counted.")),
        "state_concerns": (_("State concerns"), _(
            "The state workshop's areas of concern, ranked by votes.")),
        "local_benefits": (_("Local benefits"), _(
            "The local workshop's benefits, ranked by votes.")),
        "local_concerns": (_("Local concerns"), _(
            "The local workshop's areas of concern: the local rank beside the state rank and "
            "votes of the category each was presented from.")),
        "overlap": (_("Rank overlap"), _(
            "How far the state and local concern rankings agree: the categories in both, "
            "Spearman's rho and Kendall's tau-b.")),
        "appendix_a": (_("Appendix A values"), _(
            "Every value statement in the report, one row each, with its category.")),
        "appendix_b": (_("Appendix B concerns"), _(
            "Every concern statement in the report, one row each, with its category's rank "
            "and votes.")),
        "statements": (_("All statements"), _(
            "Every statement of the workshops in the report but those a facilitator hid: its "
            "workshop, session, category, participant number and when it was made.")),
        "dots": (_("All dots"), _(
            "Every dot placed on a screen: one row per participant and category, with when it "
            "was placed.")),
        "paper_dots": (_("Paper dot totals"), _(
            "The dots counted on paper wall charts: one total per session and category, as a "
            "facilitator recorded it.")),
    }  # fmt: skip


def _records(report: Report) -> dict[str, tuple[Table, dict[int, str]]]:
    """Every statement (hidden ones excluded), every dot and every paper dot total of the
    phase, each with its columns' own number formats; nothing of a workshop the report
    withholds or leaves out (``report.workshops`` is the report's scope). Read as rows of
    values: a large phase's statements cost no model instances."""
    shown = [w.pk for w in report.workshops if not w.withheld]
    place = ("session__workshop__date", "session__position")
    statements = (
        Statement.objects.filter(session__workshop_id__in=shown, hidden=False)
        .order_by(*place, "created_at", "pk")
        .values_list(
            "session__workshop__title", "session__title", "category__reference_number",
            "category__name", "text", "use", "source", "participant_id", "created_at",
        )
    )  # fmt: skip
    category = ("session__workshop__title", "session__title", "category__reference_number",
                "category__name")  # fmt: skip
    dots = (
        Dot.objects.filter(session__workshop_id__in=shown)
        .order_by(*place, "category__reference_number", "pk")
        .values_list(*category, "participant_id", "count", "placed_at")
    )
    paper = (
        PaperDotTally.objects.filter(session__workshop_id__in=shown)
        .order_by(*place, "category__reference_number")
        .values_list(*category, "count", "note", "recorded_at")
    )
    sources = dict(Statement.Source.choices)
    reference = formats.XLSX_REFERENCE
    return {
        "statements": (Table(
            _("All statements"),
            (_("Workshop"), _("Session"), _("Category no."), _("Category"), _("Statement"),
             _("Use"), _("Source"), _("Participant"), _("Created")),
            tuple(
                (workshop, session, number, name or "", text, use,
                 str(sources.get(source, source)), participant, created)
                for workshop, session, number, name, text, use, source, participant, created
                in statements.iterator(chunk_size=2000)
            ),
        ), {7: reference}),
        "dots": (Table(
            _("All dots"),
            (_("Workshop"), _("Session"), _("Category no."), _("Category"), _("Participant"),
             _("Dots"), _("Placed")),
            tuple(dots.iterator(chunk_size=2000)),
        ), {4: reference}),
        "paper_dots": (Table(
            _("Paper dot totals"),
            (_("Workshop"), _("Session"), _("Category no."), _("Category"), _("Paper dots"),
             _("Note"), _("Recorded")),
            tuple(paper),
        ), {}),
    }  # fmt: skip


def export_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    texts = _sheet_texts()
    tables = {key: (table, {}) for key, table in report_tables(report).items()}
    tables.update(_records(report))
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    about = workbook.create_sheet(sheet_name(_("About"), taken))
    contents = []
    for key, (table, column_formats) in tables.items():
        # A table added to reports.tables after this module gets its own title and sentence.
        title, sentence = texts.get(key, (table.title, table.title))
        sheet = workbook.create_sheet(sheet_name(title, taken))
        table_sheet_write(
            sheet,
            table.headers,
            table.rows,
            number_formats=NUMBER_FORMATS,
            column_formats=column_formats,
        )
        contents.append((sheet.title, sentence))
    _about_write(about, report, contents)
    _properties_set(workbook, report)
    buffer = io.BytesIO()
    # ExcelWriter rather than workbook.save, which stamps "modified" with the time of saving:
    # the same report gives the same properties.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return buffer.getvalue()


def _organisation(report: Report) -> str:
    return getattr(settings, "REPORT_ORGANISATION", "") or report.organisation


def _properties_set(workbook, report: Report) -> None:
    built = report.generated_at
    if built.tzinfo is not None:  # the document's properties are in UTC, without a zone
        built = built.astimezone(dt.UTC).replace(tzinfo=None)
    properties = workbook.properties
    # Without an organisation the site names itself, as the records files do: a reader fills
    # an empty creator with "openpyxl".
    properties.creator = strip_control_characters(_organisation(report)) or "ctg-workshops"
    properties.lastModifiedBy = properties.creator
    properties.title = strip_control_characters(report.title)
    properties.subject = _("Workshop summary report")
    properties.created = properties.modified = built


def _about_rows(report: Report) -> list[tuple[str, object]]:
    """The About sheet's notes after the list of sheets: a label and a sentence each."""
    if report.withheld_workshops:
        small = withheld_sentence(report)
        if report.statements_withheld:
            small += " " + statements_withheld_sentence(report, report.statements_withheld)
    elif report.suppress_below:
        small = _("No workshop had fewer than %(n)d participants, so none is withheld.") % {
            "n": report.suppress_below
        }
    else:
        small = _("No workshop is withheld: the phase sets no smallest group size.")
    if report.left_out:
        left_out = _(
            "These workshops of the phase are in no sheet and no figure of this report: "
            "%(workshops)s."
        ) % {"workshops": "; ".join(f"{w.title} ({formats.day(w.date)})" for w in report.left_out)}
    else:
        left_out = _("None: every workshop of the phase is in this report.")
    if report.has_paper_votes:
        paper = _(
            "Votes include the dots counted on paper wall charts, which a facilitator recorded "
            'as a total per category. The "%(column)s" columns say how many of a category\'s '
            'votes were counted on paper; the "%(sheet)s" sheet lists each total.'
        ) % {"column": paper_header(), "sheet": _sheet_texts()["paper_dots"][0]}
    else:
        paper = _(
            'No dot in the rankings was counted on a paper wall chart: the "%(column)s" '
            "columns read 0."
        ) % {"column": paper_header()}
    return [
        (_("Ranking"), report.rank_rule),
        (_("Paper dots"), paper),
        (_("Small groups"), small),
        (_("Left out of the report"), left_out),
        (_("Hidden statements"), ngettext(
            "%(count)d statement a facilitator hid is left out of every sheet.",
            "%(count)d statements a facilitator hid are left out of every sheet.",
            report.hidden_statements,
        ) % {"count": report.hidden_statements}),
        (_("Numbers"), _(
            "Every number is a count from the records of the phase: statements, dots placed, "
            "dots counted on paper, and attendance (the Workshops sheet says where attendance "
            "was reported rather than counted). Nothing is estimated or weighted; only the two "
            "rank coefficients are rounded, to two decimal places.")),
        (_("Times"), _("Dates and times are in the %(zone)s time zone.") % {
            "zone": settings.TIME_ZONE}),
    ]  # fmt: skip


def _about_write(sheet, report: Report, contents: list[tuple[str, str]]) -> None:
    """The first sheet: what this workbook is, what each other sheet holds, and the rules
    behind its figures. Column A labels, column B says."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    bold, link = Font(bold=True), Font(color="0563C1", underline="single")
    top, wrapped = Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 100

    def row(label: object, value: object = None, *, heading: bool = False, to: str = "") -> None:
        first = typed_cell(
            sheet, label, number_formats={}, font=link if to else bold, alignment=top
        )
        if to:
            first.hyperlink = Hyperlink(ref="", location=sheet_link(to))
        second = typed_cell(
            sheet, value, number_formats=NUMBER_FORMATS, font=bold if heading else None,
            alignment=wrapped,
        )  # fmt: skip
        sheet.append([first, second])

    not_recorded = _("not recorded")
    sheet.append([typed_cell(sheet, _("About this workbook"), number_formats={},
                             font=Font(bold=True, size=14))])  # fmt: skip
    row(_("Report"), report.title)
    if report.subtitle:
        row(_("Subtitle"), report.subtitle)
    row(_("Organisation"), _organisation(report))
    row(_("First workshop"), report.starts_on or not_recorded)
    row(_("Last workshop"), report.ends_on or not_recorded)
    row(_("Built"), report.generated_at)
    sheet.append([])
    row(_("Sheet"), _("What it holds"), heading=True)
    for name, sentence in contents:
        row(name, sentence, to=name)
    sheet.append([])
    for label, sentence in _about_rows(report):
        row(label, sentence)
