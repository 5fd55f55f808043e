"""Rendering a built report into every export format. Nothing here computes a figure: the
numbers all come from the Report dataclass, so the formats never disagree."""

import io
import json
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports import charts
from reports.structure import CategoryLine, Report, WorkshopSummary
from responses.models import Dot, PaperDotTally, Statement
from sessions.spreadsheets import csv_text, sheet_write
from sessions.text import strip_control_characters


def xml_safe(text: str) -> str:
    """Text for a Word document: without the characters an Office file cannot store.

    Word runs no formula from text (only from field codes, which these documents never take
    from the records), so a statement keeps its leading "-" or "=" as written.
    """
    return strip_control_characters(text)


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


def _paper_header() -> str:
    # Spreadsheets get the column always (a fixed layout); Word only where paper dots exist.
    return _("Of which on paper")


def _figure(line: CategoryLine | None, name: str):
    """A category's figure for a table cell: the number, "withheld" for a small group's
    category, or None where there is no such category."""
    if line is None:
        return None
    return _("withheld") if line.withheld else getattr(line, name)


def _attendance(w: WorkshopSummary, report: Report, name: str):
    if not w.withheld:
        return getattr(w, name)
    if name == "people":
        return _("fewer than %(n)d") % {"n": report.suppress_below}
    return _("withheld")


def report_tables(report: Report) -> dict[str, Table]:
    """Every table of the report as rows, for the spreadsheet, CSV, JSON and Word exports."""
    return {
        **_workshop_tables(report),
        **_state_tables(report),
        **_local_tables(report),
        **_appendix_tables(report),
    }


def _workshop_tables(report: Report) -> dict[str, Table]:
    return {
        "workshops": Table(
            _("Workshops"),
            (_("Workshop"), _("Kind"), _("Date"), _("Start"), _("End"), _("Venue"),
             _("People"), _("Organisations"), _("Attendance source")),
            tuple(
                (w.title, w.kind_label, w.date.isoformat(),
                 w.start_time.strftime("%H:%M") if w.start_time else "",
                 w.end_time.strftime("%H:%M") if w.end_time else "", w.venue,
                 _attendance(w, report, "people"), _attendance(w, report, "organisations"),
                 _("records") if w.counted_from_records else _("reported"))
                for w in report.workshops
            ),
        ),
        "agenda": Table(
            _("Agenda"),
            (_("Workshop"), _("No."), _("Session"), _("Purpose"), _("Prompt")),
            tuple(
                (w.title, item.position, item.title, item.purpose, item.prompt)
                for w in report.workshops
                for item in w.agenda
            ),
        ),
    }  # fmt: skip


def _state_tables(report: Report) -> dict[str, Table]:
    paper = _paper_header()
    return {
        "state_values": Table(
            _("State workshop: values sought"),
            (_("No."), _("Category"), _("Description"), _("Statements")),
            tuple(
                (line.reference_number, line.name, line.description,
                 _figure(line, "statement_count"))
                for line in report.state_values
            ),
        ),
        "state_concerns": Table(
            _("State workshop: concerns ranked"),
            (_("Rank"), _("No."), _("Category"), _("Votes"), paper, _("Description"),
             _("Statements")),
            tuple(
                (_figure(line, "rank"), line.reference_number, line.name, _figure(line, "votes"),
                 _figure(line, "paper_votes"), line.description, _figure(line, "statement_count"))
                for line in report.state_concerns
            ),
        ),
    }  # fmt: skip


def _local_tables(report: Report) -> dict[str, Table]:
    overlap = report.concerns_overlap
    paper = _paper_header()
    return {
        "local_benefits": Table(
            _("Local workshop: benefits ranked"),
            (_("Rank"), _("Category"), _("Votes"), paper),
            tuple(
                (_figure(c.category, "rank"), c.category.name, _figure(c.category, "votes"),
                 _figure(c.category, "paper_votes"))
                for c in report.local_benefits
            ),
        ),
        "local_concerns": Table(
            _("Local workshop: concerns, local and state rank"),
            (_("Local rank"), _("State rank"), _("Category"), _("Votes"), paper,
             _("State votes")),
            tuple(
                (_figure(c.category, "rank"), _figure(c.state, "rank"), c.category.name,
                 _figure(c.category, "votes"), _figure(c.category, "paper_votes"),
                 _figure(c.state, "votes"))
                for c in report.local_concerns
            ),
        ),
        "overlap": Table(
            _("Overlap of the concern rankings"),
            (_("Measure"), _("Value")),
            (
                (_("Categories in both rankings"), overlap.pairs if overlap else 0),
                (_("Spearman's rho"), _round(overlap.spearman_rho) if overlap else None),
                (_("Kendall's tau-b"), _round(overlap.kendall_tau) if overlap else None),
                (_("Summary"), overlap.summary if overlap else ""),
            ),
        ),
    }  # fmt: skip


def _appendix_tables(report: Report) -> dict[str, Table]:
    paper = _paper_header()
    return {
        "appendix_a": Table(
            _("Appendix A: value statements"),
            (_("No."), _("Category"), _("Statement"), _("Use")),
            tuple(
                (g.category.reference_number if g.category else None,
                 g.category.name if g.category else _("Not put in a category"), s.text, s.use)
                for g in report.appendix_a
                for s in g.statements
            ),
        ),
        "appendix_b": Table(
            _("Appendix B: concern statements"),
            (_("Rank"), _("Category"), _("Votes"), paper, _("Statement"), _("Use")),
            tuple(
                (_figure(g.category, "rank"),
                 g.category.name if g.category else _("Not put in a category"),
                 _figure(g.category, "votes"), _figure(g.category, "paper_votes"), s.text, s.use)
                for g in report.appendix_b
                for s in g.statements
            ),
        ),
    }  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def votes_text(line: CategoryLine) -> str:
    """A category's votes as "12", or "12, 5 on paper" where some were counted on paper."""
    if line.paper_votes:
        return _("%(votes)d, %(paper)d on paper") % {"votes": line.votes, "paper": line.paper_votes}
    return str(line.votes)


def withheld_sentence(report: Report) -> str:
    return _(
        "Workshops with fewer than %(n)d participants show no counts and no statements, so "
        "that nobody in a small group can be recognised: %(workshops)s."
    ) % {
        "n": report.suppress_below,
        "workshops": ", ".join(w.title for w in report.withheld_workshops),
    }


def statements_withheld_sentence(report: Report, count: int) -> str:
    return ngettext(
        "%(count)d statement is withheld because fewer than %(n)d people took part in its "
        "workshop.",
        "%(count)d statements are withheld because fewer than %(n)d people took part in their "
        "workshop.",
        count,
    ) % {"count": count, "n": report.suppress_below}


# --- HTML and PDF -------------------------------------------------------------------------------


def report_charts(report: Report) -> dict[str, str]:
    return {
        "state_concerns": charts.vote_bars(
            list(report.state_concerns),
            title=_("Votes per area of concern, state agency workshop"),
            description=_(
                "Horizontal bars, one per category in rank order; the table gives the figures."
            ),
        ),
        "local_benefits": charts.vote_bars(
            [c.category for c in report.local_benefits],
            title=_("Votes per benefit, local government workshop"),
            description=_(
                "Horizontal bars, one per category in rank order; the table gives the figures."
            ),
        ),
        "slope": charts.rank_slope(
            list(report.local_concerns),
            title=_("State rank against local rank for each area of concern"),
            description=_("Lines join each category's state rank to its local rank."),
        ),
    }


def _stylesheet() -> SafeString:
    parts = []
    for name in ("css/report.css", "css/report-document.css"):
        path = finders.find(name)
        with open(path, encoding="utf-8") as handle:
            parts.append(handle.read())
    css = "\n".join(parts)
    if "</" in css:
        raise ValueError("a stylesheet must not contain '</'")
    # Safe: our own static files, checked above never to close the <style> element.
    return mark_safe(css)  # noqa: S308


def export_html(report: Report) -> bytes:
    html = render_to_string(
        "reports/report_document.html",
        {
            "report": report,
            "charts": report_charts(report),
            "stylesheet": _stylesheet(),
            "trace": False,
            "LANGUAGE_CODE": settings.LANGUAGE_CODE,
        },
    )
    return html.encode("utf-8")


class ExportUnavailable(Exception):
    """The server lacks what this format needs; the message says what to install."""


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401  (loads Pango through its C bindings)
    except (ImportError, OSError):
        return False
    return True


def export_pdf(report: Report) -> bytes:
    if not pdf_available():
        raise ExportUnavailable(
            _("PDF export needs the Pango library on the server (see docs/deployment.md).")
        )
    from weasyprint import HTML

    return HTML(string=export_html(report).decode("utf-8")).write_pdf()


# --- Word -------------------------------------------------------------------------------------


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
        if w.withheld:
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
    if _paper_header() not in table.headers:
        return table
    index = table.headers.index(_paper_header())
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


# --- Spreadsheet, CSV, JSON -------------------------------------------------------------------


def _records(report: Report) -> tuple[Table, Table, Table]:
    """Every statement (hidden ones excluded), every dot and every paper dot total of the
    phase, for the workbook; nothing of a workshop the report withholds."""
    withheld = [w.pk for w in report.withheld_workshops]
    statements = (
        Statement.objects.filter(session__workshop__phase_id=report.phase_pk, hidden=False)
        .exclude(session__workshop_id__in=withheld)
        .select_related("session__workshop", "category")
        .order_by("session__workshop__date", "session__position", "created_at", "pk")
    )
    dots = (
        Dot.objects.filter(session__workshop__phase_id=report.phase_pk)
        .exclude(session__workshop_id__in=withheld)
        .select_related("session__workshop", "category")
        .order_by(
            "session__workshop__date", "session__position", "category__reference_number", "pk"
        )
    )
    paper = (
        PaperDotTally.objects.filter(session__workshop__phase_id=report.phase_pk)
        .exclude(session__workshop_id__in=withheld)
        .select_related("session__workshop", "category")
        .order_by("session__workshop__date", "session__position", "category__reference_number")
    )
    return (
        Table(
            _("All statements"),
            (_("Workshop"), _("Session"), _("Category no."), _("Category"), _("Statement"),
             _("Use"), _("Source"), _("Participant"), _("Created")),
            tuple(
                (s.session.workshop.title, s.session.title,
                 s.category.reference_number if s.category else None,
                 s.category.name if s.category else "", s.text, s.use, s.source,
                 s.participant_id, s.created_at.isoformat(timespec="seconds"))
                for s in statements.iterator(chunk_size=2000)
            ),
        ),
        Table(
            _("All dots"),
            (_("Workshop"), _("Session"), _("Category no."), _("Category"), _("Participant"),
             _("Dots"), _("Placed")),
            tuple(
                (d.session.workshop.title, d.session.title, d.category.reference_number,
                 d.category.name, d.participant_id, d.count,
                 d.placed_at.isoformat(timespec="seconds"))
                for d in dots.iterator(chunk_size=2000)
            ),
        ),
        Table(
            _("Paper dot totals"),
            (_("Workshop"), _("Session"), _("Category no."), _("Category"), _("Paper dots"),
             _("Note"), _("Recorded")),
            tuple(
                (t.session.workshop.title, t.session.title, t.category.reference_number,
                 t.category.name, t.count, t.note, t.recorded_at.isoformat(timespec="seconds"))
                for t in paper
            ),
        ),
    )  # fmt: skip


def export_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    statements, dots, paper = _records(report)
    sheets = {
        **report_tables(report),
        "statements": statements,
        "dots": dots,
        "paper_dots": paper,
    }
    for name, table in sheets.items():
        sheet_write(workbook.create_sheet(title=name[:31]), table.headers, table.rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_csv(report: Report) -> bytes:
    """A ZIP with one CSV file (UTF-8 with BOM, for spreadsheet programs) per table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in report_tables(report).items():
            text = csv_text(table.headers, table.rows)
            archive.writestr(f"{report.slug}-{name}.csv", "\ufeff" + text)
    return buffer.getvalue()


def export_json(report: Report) -> bytes:
    document = {
        "phase": {
            "slug": report.slug,
            "title": report.title,
            "subtitle": report.subtitle,
            "organisation": report.organisation,
            "starts_on": report.starts_on.isoformat() if report.starts_on else None,
            "ends_on": report.ends_on.isoformat() if report.ends_on else None,
        },
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "rank_rule": report.rank_rule,
        "hidden_statements_left_out": report.hidden_statements,
        "suppression": {
            "suppress_below": report.suppress_below,
            "withheld_workshops": [w.title for w in report.withheld_workshops],
            "statements_withheld": report.statements_withheld,
        },
        "narrative": {key: section.markdown for key, section in report.narrative.items()},
        "tables": {
            name: [dict(zip(table.headers, row, strict=True)) for row in table.rows]
            for name, table in report_tables(report).items()
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


EXPORTERS = {
    "html": (export_html, "text/html; charset=utf-8", "html"),
    "pdf": (export_pdf, "application/pdf", "pdf"),
    "docx": (
        export_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xlsx": (
        export_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "csv": (export_csv, "application/zip", "csv.zip"),
    "json": (export_json, "application/json", "json"),
}
