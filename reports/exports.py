"""Rendering a built report into every export format. Nothing here computes a figure: the
numbers all come from the Report dataclass, so the formats never disagree."""

import io
import json
import zipfile

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports import charts
from reports.structure import Report
from reports.tables import report_tables
from reports.word import export_docx
from reports.workbook import export_xlsx
from sessions.spreadsheets import csv_text

__all__ = ["EXPORTERS", "ExportUnavailable", "export_docx", "export_xlsx", "report_charts"]


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


# --- Spreadsheet, CSV, JSON -------------------------------------------------------------------


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
