"""Reading and writing records files: an Excel workbook, a ZIP of CSV files, or one CSV file.

Text a spreadsheet could run as a formula is written with a leading apostrophe, and a text that
itself starts with an apostrophe gets one more; the reader removes exactly one. So the files are
safe to open in a spreadsheet and still carry every text unchanged.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from django.utils.translation import gettext as _

from reports.exports import FORMULA_STARTS, xml_safe
from reports.records.layout import README_SHEET, SHEETS_BY_NAME

# Fixed times inside the files, so the same records always give byte-identical files.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_PROPERTY_TIME = datetime(2000, 1, 1)
CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
# A records file is compressed; a hostile one could unpack to gigabytes (a "zip bomb").
MAX_UNPACKED_BYTES = 500 * 1024 * 1024


class UnreadableFile(Exception):
    """The file is not a records file this reader understands; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RawSheet:
    """One sheet as read: its header and its non-empty rows with their row numbers."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


def escape_text(value: str) -> str:
    if value.startswith((*FORMULA_STARTS, "'")):
        return "'" + value
    return value


def unescape_text(value: str) -> str:
    return value[1:] if value.startswith("'") else value


# --- Writing -------------------------------------------------------------------------------------


def _cells(row: Sequence[object]) -> list[object]:
    return [escape_text(value) if isinstance(value, str) else value for value in row]


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
            sheet.append([xml_safe(cell) for cell in row])
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
            sheet.append([xml_safe(cell) for cell in _cells(row)])
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


# --- Reading -------------------------------------------------------------------------------------


def read_records_file(*, name: str, content: bytes) -> list[RawSheet]:
    """The sheets of an .xlsx, a .zip of CSV files, or a single ``<sheet>.csv``."""
    suffix = PurePath(name).suffix.lower()
    if content.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile as error:
            raise UnreadableFile(_("The file is damaged: %(error)s") % {"error": error}) from error
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise UnreadableFile(_("The file unpacks to more than 500 MB; split it into parts."))
        names = archive.namelist()
        if "[Content_Types].xml" in names:
            return _read_workbook(content)
        return _read_csv_zip(archive)
    if suffix in (".xlsx", ".zip"):
        raise UnreadableFile(_("The file is not a valid %(suffix)s file.") % {"suffix": suffix})
    if suffix != ".csv":
        raise UnreadableFile(
            _("Upload an Excel workbook (.xlsx), a ZIP of CSV files (.zip) or one CSV file (.csv).")
        )
    sheet_name = sheet_for_file(PurePath(name).stem)
    if sheet_name not in SHEETS_BY_NAME:
        raise UnreadableFile(
            _(
                "Name a CSV file after the sheet it holds, e.g. statements.csv; "
                "the sheets are: %(names)s."
            )
            % {"names": ", ".join(SHEETS_BY_NAME)}
        )
    return [_read_csv(sheet_name, content)]


def _read_workbook(content: bytes) -> list[RawSheet]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFile(
            _("The workbook cannot be read: %(error)s") % {"error": error}
        ) from error
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            if worksheet.title.strip().lower() == README_SHEET:
                continue
            sheets.append(_raw_sheet(worksheet.title, worksheet.iter_rows(values_only=True)))
    finally:
        workbook.close()
    return sheets


def _read_csv_zip(archive: zipfile.ZipFile) -> list[RawSheet]:
    sheets = []
    for info in archive.infolist():
        path = PurePath(info.filename)
        if info.is_dir() or path.name.startswith((".", "__MACOSX")) or "__MACOSX" in path.parts:
            continue
        if path.stem.strip().lower() in (README_SHEET, "readme") and path.suffix.lower() in (
            ".txt",
            ".md",
        ):
            continue  # the template's explanation
        if path.suffix.lower() != ".csv":
            raise UnreadableFile(
                _("The ZIP file holds %(name)s: only CSV files named after a sheet belong there.")
                % {"name": info.filename}
            )
        sheets.append(_read_csv(sheet_for_file(path.stem), archive.read(info)))
    return sheets


def _read_csv(sheet_name: str, content: bytes) -> RawSheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Windows is Windows-1252; anything decodes in it, so it is the
        # fallback rather than a guess among many encodings.
        text = content.decode("cp1252", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise UnreadableFile(
            _("%(sheet)s.csv cannot be read as CSV: %(error)s")
            % {"sheet": sheet_name, "error": error}
        ) from error
    return _raw_sheet(sheet_name, rows)


def _raw_sheet(title: str, rows: Iterable[Sequence[object]]) -> RawSheet:
    iterator: Iterator[Sequence[object]] = iter(rows)
    header_row = next(iterator, ())
    header = [_header_cell(cell) for cell in header_row]
    while header and not header[-1]:
        header.pop()
    sheet = RawSheet(name=title.strip().lower(), header=header)
    for number, row in enumerate(iterator, start=2):
        values = [None if cell == "" else cell for cell in list(row)[: len(header)]]
        if any(value is not None and str(value).strip() != "" for value in values):
            values += [None] * (len(header) - len(values))
            sheet.rows.append((number, values))
    return sheet


def _header_cell(cell: object) -> str:
    return "" if cell is None else str(cell).strip().lower().replace(" ", "_")


def sheet_for_file(stem: str) -> str:
    """The sheet a CSV file holds, from its name: "statements", "statements (1)" and
    "statements-albany" all hold statements; an unknown name is returned as it is."""
    name = stem.strip().lower()
    for sheet in sorted(SHEETS_BY_NAME, key=len, reverse=True):
        rest = name[len(sheet) :]
        if name.startswith(sheet) and not (rest[:1].isalpha() or rest[:1] == "_"):
            return sheet
    return name
