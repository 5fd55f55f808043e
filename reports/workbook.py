"""The report as a workbook: its tables, then every statement, dot and paper dot total."""

import io

from django.utils.translation import gettext as _

from reports.structure import Report
from reports.tables import Table, report_tables
from responses.models import Dot, PaperDotTally, Statement
from sessions.spreadsheets import sheet_write


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
