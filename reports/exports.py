"""Rendering a built report into every export format. Nothing here computes a figure: the
numbers all come from the Report dataclass, so the formats never disagree."""

import base64
import datetime as dt
import hashlib
import io
import json
import zipfile

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.html import format_html
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


def _figure_html(figure: charts.Figure, *, as_image: bool) -> SafeString:
    """A chart with its caption. The PDF takes it as an image with its alternative text, which
    WeasyPrint writes as the /Alt of the tagged figure (an inline SVG would give only its
    title); the page and the HTML file take the SVG inline, with the same text as its
    description."""
    if as_image:
        source = base64.b64encode(str(figure.svg).encode("utf-8")).decode("ascii")
        drawing = format_html(
            '<img class="report-chart" src="data:image/svg+xml;base64,{}" alt="{}" width="{}" '
            'height="{}">',
            source,
            figure.alt,
            figure.width,
            figure.height,
        )
    else:
        drawing = figure.svg
    return format_html(
        '<figure class="report-figure">{}<figcaption>{}</figcaption></figure>',
        drawing,
        figure.caption,
    )


def report_charts(report: Report, *, as_images: bool = False) -> dict[str, SafeString]:
    """The report's charts by key, each a <figure> with its caption, for the templates."""
    return {
        figure.key: _figure_html(figure, as_image=as_images)
        for figure in charts.report_figures(report)
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


def _document(report: Report, *, for_pdf: bool) -> str:
    return render_to_string(
        "reports/report_document.html",
        {
            "report": report,
            "charts": report_charts(report, as_images=for_pdf),
            "stylesheet": _stylesheet(),
            "trace": False,
            "for_pdf": for_pdf,
            "LANGUAGE_CODE": settings.LANGUAGE_CODE,
        },
    )


def export_html(report: Report) -> bytes:
    return _document(report, for_pdf=False).encode("utf-8")


# WeasyPrint's own properties, kept out of the HTML file's stylesheet (no browser knows them,
# and the HTML checker rejects them): the PDF's bookmarks are the title, the sections and their
# parts (h1 to h3), not the agendas.
PDF_ONLY_CSS = ".report-document h4 { bookmark-level: none; }"


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
    from weasyprint import CSS, HTML

    # PDF/UA-1: tagged (structure tree, /Alt on figures, table headers), the document's
    # language, its title shown as the window title, and bookmarks from the headings. The
    # identifier is stable for one build of the report, so the same report gives the same ID.
    identifier = hashlib.sha256(
        f"{report.slug}/{report.generated_at.isoformat()}".encode()
    ).hexdigest()[:32]
    return HTML(string=_document(report, for_pdf=True)).write_pdf(
        stylesheets=[CSS(string=PDF_ONLY_CSS)],
        pdf_variant="pdf/ua-1",
        pdf_identifier=identifier.encode("ascii"),
    )


# --- Spreadsheet, CSV, JSON -------------------------------------------------------------------


def _iso(value):
    """A typed table cell (reports.tables) for CSV and JSON: dates and times as ISO text."""
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def export_csv(report: Report) -> bytes:
    """A ZIP with one CSV file (UTF-8 with BOM, for spreadsheet programs) per table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in report_tables(report).items():
            text = csv_text(table.headers, ([_iso(v) for v in row] for row in table.rows))
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
            name: [dict(zip(table.headers, map(_iso, row), strict=True)) for row in table.rows]
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
