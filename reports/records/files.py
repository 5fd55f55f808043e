"""Writing records files: an Excel workbook, or a ZIP of CSV files.

Every cell goes through ``sessions.text.cell_value(…, reversible=True)`` on the exact value
written, so a text a spreadsheet could run as a formula gets a leading apostrophe (and a text
that itself starts with one gets one more); the reader removes exactly one (``uncell_text``).
The files are safe to open in a spreadsheet and still carry every text. Reading them is in
``reports.records.reading``.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime

from reports.records.layout import README_SHEET, SHEETS_BY_NAME
from sessions.text import cell_value, xlsx_value

# Fixed times inside the files, so the same records always give byte-identical files.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_PROPERTY_TIME = datetime(2000, 1, 1)
CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _cells(row: Sequence[object]) -> list[object]:
    return [cell_value(value, reversible=True) for value in row]


def _xlsx_cells(row: Sequence[object]) -> list[object]:
    return [xlsx_value(value, reversible=True) for value in row]


def workbook_bytes(
    tables: dict[str, Iterable[Sequence[object]]], *, readme: list[list[str]]
) -> bytes:
    """An .xlsx with one sheet per table (header first), plus a "read me" sheet if given."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    if readme:
        sheet = workbook.create_sheet(README_SHEET)
        for row in readme:
            sheet.append([xlsx_value(cell) for cell in row])
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 28
        sheet.column_dimensions["C"].width = 90
    for name, rows in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(SHEETS_BY_NAME[name].column_names))
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append(_xlsx_cells(row))
        for cell in sheet[1]:
            sheet.column_dimensions[cell.column_letter].width = max(12, len(str(cell.value)) + 2)
    workbook.properties.creator = "ctg-workshops"
    workbook.properties.created = FIXED_PROPERTY_TIME
    workbook.properties.modified = FIXED_PROPERTY_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_times(buffer.getvalue())


def _fixed_times(archive: bytes) -> bytes:
    """The same ZIP with every entry dated FIXED_ZIP_TIME and a fixed "modified" property."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the time of saving, whatever was set.
                data = CORE_MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            target.writestr(entry, data)
    return out.getvalue()


def csv_text(name: str, rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SHEETS_BY_NAME[name].column_names)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in _cells(row)])
    return buffer.getvalue()


def csv_zip_bytes(tables: dict[str, Iterable[Sequence[object]]], *, readme: str = "") -> bytes:
    """A ZIP holding ``<sheet>.csv`` per table, UTF-8 with a byte-order mark (for Excel), and
    the explanation as ``read me.txt`` if given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if readme:
            entry = zipfile.ZipInfo(f"{README_SHEET}.txt", date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, readme)
        for name, rows in tables.items():
            entry = zipfile.ZipInfo(f"{name}.csv", date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, "\ufeff" + csv_text(name, rows))
    return out.getvalue()
