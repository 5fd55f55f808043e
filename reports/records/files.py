"""Reading and writing records files: an Excel workbook, a ZIP of CSV files, or one CSV file.

Writing: every cell goes through ``sessions.text.cell_value(…, reversible=True)`` on the exact
value written, so a text a spreadsheet could run as a formula gets a leading apostrophe (and a
text that itself starts with one gets one more); the reader removes exactly one
(``uncell_text``). The files are safe to open in a spreadsheet and still carry every text.

Reading: a records file comes from outside, so reading it is bounded (``Limits``, from the
``RECORDS_IMPORT_*`` settings; docs/records.md): what a ZIP unpacks to is checked against its
directory before anything is unpacked, the XML is parsed with entity declarations refused
(defusedxml), rows are counted as they are read and reading stops at the cap, and every cell
is checked for length and cleaned of control characters as it comes in, so neither a NUL nor a
megabyte-long cell gets further than this module.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from xml.parsers.expat import errors as expat_errors

import openpyxl
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter

# openpyxl's own row parser, without its read-only worksheet: that one parses a whole sheet
# once more just to size it when the sheet has no <dimension>, before a single row is read.
from openpyxl.worksheet._reader import WorkSheetParser

from reports.records.layout import README_SHEET, SHEETS_BY_NAME
from sessions.text import cell_value, strip_control_characters

# Fixed times inside the files, so the same records always give byte-identical files.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_PROPERTY_TIME = datetime(2000, 1, 1)
CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
# A records file has nine sheets and a "read me"; its widest sheet has 14 columns.
MAX_SHEETS = 20
MAX_COLUMNS = 50
# Sheet and column names are short; longer ones are unknown anyway and are cut when reported.
MAX_NAME = 100
# The expat errors a crafted entity gives (defusedxml refuses the declarations themselves).
ENTITY_ERRORS = {
    expat_errors.codes[expat_errors.XML_ERROR_UNDEFINED_ENTITY],
    expat_errors.codes[expat_errors.XML_ERROR_AMPLIFICATION_LIMIT_BREACH],
    expat_errors.codes[expat_errors.XML_ERROR_RECURSIVE_ENTITY_REF],
}


class UnreadableFile(Exception):
    """The file is not a records file this reader will read; ``message`` says why.

    ``rows_read`` is how many rows had been read when reading stopped.
    """

    def __init__(self, message: str, *, rows_read: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.rows_read = rows_read


@dataclass(frozen=True)
class Limits:
    """How much of a records file is read before it is refused."""

    unpacked_bytes: int  # what a .xlsx or .zip may unpack to, all its parts together
    rows: int  # rows below the headings, all sheets together, blank rows included
    cell_chars: int  # characters in one cell

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            unpacked_bytes=settings.RECORDS_IMPORT_MAX_UNPACKED_BYTES,
            rows=settings.RECORDS_IMPORT_MAX_ROWS,
            cell_chars=settings.RECORDS_IMPORT_MAX_CELL_CHARS,
        )


@dataclass
class RawSheet:
    """One sheet as read: its header and its non-empty rows with their row numbers."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    rows_read: int = 0  # rows below the headings, blank ones included


# --- Writing -------------------------------------------------------------------------------------


def _cells(row: Sequence[object]) -> list[object]:
    return [cell_value(value, reversible=True) for value in row]


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
            sheet.append([cell_value(cell) for cell in row])
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
            sheet.append(_cells(row))
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

# A row as the readers give it: its number in the sheet (the headings are row 1) and its
# cells as (column index from 0, value) pairs, empty cells left out or None.
NumberedRow = tuple[int, Iterable[tuple[int, object]]]


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


class _Reading:
    """One file being read: its limits, and the rows read so far in all its sheets."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rows_read = 0

    def sheet(self, title: str, rows: Iterable[NumberedRow]) -> RawSheet:
        """Read a sheet's rows, stopping with ``UnreadableFile`` at the first limit passed."""
        name = _clean_name(title)
        iterator: Iterator[NumberedRow] = iter(rows)
        first = next(iterator, None)
        header: list[str] = []
        if first is not None and first[0] != 1:
            iterator = _chain(first, iterator)  # no heading row: every row is data
        elif first is not None:
            named = {index: _header_cell(value) for index, value in first[1]}
            width = max((index for index, text in named.items() if text), default=-1) + 1
            if width > MAX_COLUMNS:
                raise UnreadableFile(
                    _(
                        "The sheet “%(sheet)s” has more than %(max)d columns; a records sheet "
                        "has at most %(widest)d."
                    )
                    % {"sheet": name, "max": MAX_COLUMNS, "widest": _widest()}
                )
            header = [named.get(index, "") for index in range(width)]
        sheet = RawSheet(name=name, header=header)
        width = len(header)
        for number, cells in iterator:
            self.rows_read += 1
            sheet.rows_read += 1
            if self.rows_read > self.limits.rows:
                raise UnreadableFile(
                    _(
                        "The file has more than %(max)s rows (blank rows count too); at most "
                        "%(max)s can be imported at once, so reading stopped at %(sheet)s, row "
                        "%(row)s. Split the file into parts."
                    )
                    % {"max": _count(self.limits.rows), "sheet": name, "row": _count(number)}
                )
            values: list[object] = [None] * width
            blank = True
            for index, value in cells:
                if index >= width or value is None:
                    continue
                if isinstance(value, str):
                    if len(value) > self.limits.cell_chars:
                        raise UnreadableFile(
                            _(
                                "%(sheet)s, row %(row)s, column %(letter)s: the cell holds more "
                                "than %(max)s characters, more than any record needs."
                            )
                            % {
                                "sheet": name,
                                "row": _count(number),
                                "letter": get_column_letter(index + 1),
                                "max": _count(self.limits.cell_chars),
                            }
                        )
                    value = strip_control_characters(value)
                    if not value:
                        continue
                    blank = blank and not value.strip()
                else:
                    blank = False
                values[index] = value
            if not blank:
                sheet.rows.append((number, values))
        return sheet


def _chain(first: NumberedRow, rest: Iterator[NumberedRow]) -> Iterator[NumberedRow]:
    yield first
    yield from rest


def _widest() -> int:
    return max(len(sheet.columns) for sheet in SHEETS_BY_NAME.values())


def _clean_name(title: object) -> str:
    return strip_control_characters(str(title)).strip().lower()[:MAX_NAME]


def _header_cell(cell: object) -> str:
    if cell is None:
        return ""
    text = strip_control_characters(str(cell)[: MAX_NAME * 2])
    return text.strip().lower().replace(" ", "_")[:MAX_NAME]


def read_records_file(*, name: str, content: bytes, limits: Limits | None = None) -> list[RawSheet]:
    """The sheets of an .xlsx, a .zip of CSV files, or a single ``<sheet>.csv``.

    Raises ``UnreadableFile`` for a file that is not one, or that passes a limit (``limits``,
    by default from the settings); its ``rows_read`` says how far reading got.
    """
    reading = _Reading(limits or Limits.from_settings())
    try:
        return _read(name, content, reading)
    except UnreadableFile as error:
        error.rows_read = reading.rows_read
        raise


def _read(name: str, content: bytes, reading: _Reading) -> list[RawSheet]:
    suffix = PurePath(name).suffix.lower()
    if content.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile as error:
            raise UnreadableFile(_("The file is damaged: %(error)s") % {"error": error}) from error
        # The sizes in the ZIP's directory bound what unpacking gives: Python's zipfile stops
        # at the stated size (and then fails the checksum), so a lie unpacks no more.
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > reading.limits.unpacked_bytes:
            raise UnreadableFile(
                _(
                    "The file unpacks to %(size)s MB, more than the %(limit)s MB a records file "
                    "may hold; split it into parts."
                )
                % {
                    "size": _count(round(unpacked / 1e6)),
                    "limit": _count(round(reading.limits.unpacked_bytes / 1e6)),
                }
            )
        if "[Content_Types].xml" in archive.namelist():
            return _read_workbook(content, reading)
        return _read_csv_zip(archive, reading)
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
    return [_read_csv(sheet_name, content, reading)]


# --- Workbooks -----------------------------------------------------------------------------------


def _read_workbook(content: bytes, reading: _Reading) -> list[RawSheet]:
    if not openpyxl.DEFUSEDXML:
        # openpyxl parses with defusedxml only when it is installed and OPENPYXL_DEFUSEDXML is
        # not "False"; without it, a workbook could declare entities that expand to gigabytes.
        raise ImproperlyConfigured("openpyxl must use defusedxml to read uploaded workbooks.")
    try:
        reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFile(_workbook_problem(error)) from error
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        parts = [
            (sheet.name, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
        if len(parts) > MAX_SHEETS:
            raise UnreadableFile(
                _("The workbook has %(count)d sheets; a records file has at most %(max)d.")
                % {"count": len(parts), "max": MAX_SHEETS}
            )
        if len({target for _title, target in parts}) < len(parts):
            # Only a crafted file does this, to have one large sheet read many times.
            raise UnreadableFile(
                _("The workbook is malformed: two of its sheets are one and the same part.")
            )
        return [
            _read_worksheet(reader, title, target, reading)
            for title, target in parts
            if title.strip().lower() != README_SHEET
        ]
    except UnreadableFile:
        raise
    except Exception as error:  # as above: XML, ZIP, number and index errors alike
        raise UnreadableFile(_workbook_problem(error)) from error
    finally:
        reader.archive.close()


def _read_worksheet(reader: ExcelReader, title: str, target: str, reading: _Reading) -> RawSheet:
    workbook = reader.wb
    with reader.archive.open(target) as source:
        parser = WorkSheetParser(
            source,
            reader.shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=getattr(workbook, "_date_formats", set()),
            timedelta_formats=getattr(workbook, "_timedelta_formats", set()),
        )
        rows = (
            (number, ((cell["column"] - 1, cell["value"]) for cell in cells))
            for number, cells in parser.parse()
        )
        return reading.sheet(title, rows)


def _workbook_problem(error: BaseException) -> str:
    """What is wrong with a workbook openpyxl could not read, from the cause of ``error``."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException) or (
            isinstance(cause, SyntaxError) and getattr(cause, "code", None) in ENTITY_ERRORS
        ):
            return _(
                "The workbook's XML declares or uses entities, which spreadsheet programs never "
                "write and which can make a file unpack to gigabytes; it was not read. Open it "
                "in a spreadsheet program and save it again, or save it as CSV."
            )
        if isinstance(cause, SyntaxError):  # xml.etree's ParseError, and lxml's errors
            return _(
                "The workbook's XML is malformed (%(error)s); it was not read. Open it in a "
                "spreadsheet program and save it again, or save it as CSV."
            ) % {"error": str(cause)[:200]}
        cause = cause.__cause__ or cause.__context__
    return _("The workbook cannot be read: %(error)s") % {"error": str(error)[:300]}


# --- CSV files -----------------------------------------------------------------------------------


def _read_csv_zip(archive: zipfile.ZipFile, reading: _Reading) -> list[RawSheet]:
    sheets = []
    for info in archive.infolist():
        path = PurePath(strip_control_characters(info.filename))
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
                % {"name": str(path)[:MAX_NAME]}
            )
        if len(sheets) == MAX_SHEETS:
            raise UnreadableFile(
                _("The ZIP file holds more than %(max)d CSV files; a records file has %(sheets)d.")
                % {"max": MAX_SHEETS, "sheets": len(SHEETS_BY_NAME)}
            )
        try:
            content = archive.read(info)
        except (zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as error:
            # A wrong checksum or length, an encrypted entry, a method zipfile lacks.
            raise UnreadableFile(_("The file is damaged: %(error)s") % {"error": error}) from error
        sheets.append(_read_csv(sheet_for_file(path.stem), content, reading))
    return sheets


def _csv_encoding(content: bytes) -> str:
    """UTF-16 or UTF-8 by their byte-order marks, else UTF-8 if it is valid, else Windows-1252.

    Excel's plain "CSV" on Windows is Windows-1252; anything decodes in it, so it is the
    fallback rather than a guess among many encodings.
    """
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and the byte order from it
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = 1 << 20
    try:
        for start in range(0, len(content), chunk):
            decoder.decode(content[start : start + chunk])  # checked, not kept
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _read_csv(sheet_name: str, content: bytes, reading: _Reading) -> RawSheet:
    # Decoded as it is read, so reading that stops at the row limit decodes no further.
    text = io.TextIOWrapper(
        io.BytesIO(content), encoding=_csv_encoding(content), errors="replace", newline=""
    )
    rows = ((number, enumerate(row)) for number, row in enumerate(csv.reader(text), start=1))
    try:
        return reading.sheet(sheet_name, rows)
    except csv.Error as error:
        raise UnreadableFile(
            _("%(sheet)s.csv cannot be read as CSV: %(error)s")
            % {"sheet": sheet_name, "error": error}
        ) from error


def sheet_for_file(stem: str) -> str:
    """The sheet a CSV file holds, from its name: "statements", "statements (1)" and
    "statements-albany" all hold statements; an unknown name is returned as it is."""
    name = _clean_name(stem)
    for sheet in sorted(SHEETS_BY_NAME, key=len, reverse=True):
        rest = name[len(sheet) :]
        if name.startswith(sheet) and not (rest[:1].isalpha() or rest[:1] == "_"):
            return sheet
    return name
