"""The report as a Word document, rendered from the built report and its tables."""

import io
import re

from django.utils.translation import gettext as _

from reports.structure import Report
from reports.tables import (
    Table,
    paper_header,
    report_tables,
    statements_withheld_sentence,
    votes_text,
    withheld_sentence,
)
from sessions.text import strip_control_characters


def xml_safe(text: str) -> str:
    """Text for a Word document: without the characters an Office file cannot store.

    Word runs no formula from text (only from field codes, which these documents never take
    from the records), so a statement keeps its leading "-" or "=" as written.
    """
    return strip_control_characters(text)


def export_docx(report: Report) -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = xml_safe(report.title)
    _heading(document, report.title, level=0)
    if report.subtitle:
        _paragraph(document, report.subtitle)
    if report.organisation:
        _paragraph(document, report.organisation)
    tables = report_tables(report)
    narrative = report.narrative

    def section(key: str) -> None:
        _heading(document, narrative[key].title, level=1)
        _markdown_to_docx(document, narrative[key].markdown)

    for key in ("abstract", "introduction", "project_overview", "project_design"):
        section(key)
    _table_to_docx(document, tables["workshops"])
    section("workshops_framing")
    for w in report.workshops:
        _heading(document, w.title, level=2)
        if not w.attendance_recorded:
            _paragraph(
                document,
                _("%(date)s, %(venue)s. Attendance not recorded.")
                % {"date": w.date.isoformat(), "venue": w.venue or "—"},
            )
        elif w.withheld:
            _paragraph(document,
                _("%(date)s, %(venue)s. Fewer than %(n)d people.")
                % {"date": w.date.isoformat(), "venue": w.venue or "—", "n": report.suppress_below}
            )  # fmt: skip
            _paragraph(document, withheld_sentence(report))
        else:
            _paragraph(document,
                _("%(date)s, %(venue)s. %(people)d people from %(orgs)d organisations.")
                % {"date": w.date.isoformat(), "venue": w.venue or "—", "people": w.people,
                   "orgs": w.organisations}
            )  # fmt: skip
        for item in w.agenda:
            _paragraph(
                document, f"{item.title} ({item.purpose}): {item.prompt}", style="List Number"
            )
    _heading(document, _("Results from the state agency workshop"), level=1)
    if report.state_workshop and report.state_workshop.withheld:
        _paragraph(document, withheld_sentence(report))
    _table_to_docx(document, tables["state_values"])
    _table_to_docx(document, tables["state_concerns"])
    _heading(document, _("Results from the local government workshop"), level=1)
    if report.local_workshop and report.local_workshop.withheld:
        _paragraph(document, withheld_sentence(report))
    _table_to_docx(document, tables["local_benefits"])
    _table_to_docx(document, tables["local_concerns"])
    if report.concerns_overlap:
        _paragraph(document, report.concerns_overlap.summary)
        _table_to_docx(document, tables["overlap"])
    section("concluding_remarks")
    for title, groups, with_votes, withheld in (
        (_("Appendix A: Value statements by category"), report.appendix_a, False,
         report.appendix_a_withheld),
        (_("Appendix B: Concern statements by category, in rank order"), report.appendix_b, True,
         report.appendix_b_withheld),
    ):  # fmt: skip
        _heading(document, title, level=1)
        if withheld:
            _paragraph(document, statements_withheld_sentence(report, withheld))
        for group in groups:
            if group.category is None:
                name = _("Not put in a category")
            elif with_votes:
                name = f"{group.category.name} ({votes_text(group.category)})"
            else:
                name = f"{group.category.reference_number}. {group.category.name}"
            _heading(document, name, level=2)
            for statement in group.statements:
                _paragraph(document, statement.text_with_mark, style="List Bullet")
    section("appendix_c")
    _paragraph(document, report.rank_rule)
    if report.withheld_workshops:
        _paragraph(document, withheld_sentence(report))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _paragraph(document, text: str, style: str | None = None):
    return document.add_paragraph(xml_safe(text), style=style)


def _heading(document, text: str, level: int):
    return document.add_heading(xml_safe(text), level=level)


def _without_empty_paper_column(table: Table) -> Table:
    """Word shows the paper-dot column only where a table has paper dots to show."""
    if paper_header() not in table.headers:
        return table
    index = table.headers.index(paper_header())
    if any(isinstance(row[index], int) and row[index] > 0 for row in table.rows):
        return table
    return Table(
        table.title,
        table.headers[:index] + table.headers[index + 1 :],
        tuple(row[:index] + row[index + 1 :] for row in table.rows),
    )


def _table_to_docx(document, table: Table) -> None:
    table = _without_empty_paper_column(table)
    _paragraph(document, table.title, style="Caption")
    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
        cell.text = xml_safe(str(header))
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else xml_safe(str(value))


_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_HEADING = re.compile(r"^(#{1,6})\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")


def _markdown_to_docx(document, text: str) -> None:
    """Paragraphs, headings and lists from the narrative's Markdown, as plain Word text."""
    for block in re.split(r"\n\s*\n", text.strip()) if text.strip() else []:
        lines = block.splitlines()
        if all(_BULLET.match(line) for line in lines):
            for line in lines:
                _paragraph(document, _plain(_BULLET.sub("", line)), style="List Bullet")
        elif all(_NUMBERED.match(line) for line in lines):
            for line in lines:
                _paragraph(document, _plain(_NUMBERED.sub("", line)), style="List Number")
        elif heading := _HEADING.match(lines[0]):
            _heading(
                document,
                _plain(_HEADING.sub("", lines[0])),
                level=min(len(heading.group(1)) + 2, 9),
            )
            if lines[1:]:
                _paragraph(document, _plain(" ".join(lines[1:])))
        else:
            _paragraph(document, _plain(" ".join(line.strip() for line in lines)))


def _plain(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    return _EMPHASIS.sub("", text)
