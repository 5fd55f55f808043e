"""Reading a records file (an .xlsx, a ZIP of CSV files, or one CSV file), within bounds.

A records file comes from outside, so everything about reading it is bounded (``Limits``, from
the ``RECORDS_IMPORT_*`` settings; docs/records.md):

- what a ZIP unpacks to is checked against its directory before anything is unpacked;
- XML is parsed by defusedxml with no DTD allowed, so no entity can expand;
- rows are counted as they are read, blank ones too, and reading stops past the cap; every
  cell's length is checked as it comes in, and every text is cleaned of control characters, so
  neither a NUL nor a megabyte-long cell gets further than this module;
- a workbook's sheets and shared texts are read by a lean parser of their XML that keeps one
  row in memory and counts the XML elements against the row cap, so a few kilobytes packed
  with millions of tiny elements are refused after a bounded amount of work. Elements are
  counted as they start, and nested at most ``MAX_DEPTH`` deep, so unclosed tags are refused
  too; no tag, comment or reference may be longer than ``MAX_TOKEN_BYTES`` nor an element carry
  more than ``MAX_ATTRIBUTES``, as expat's time on one token grows with the square of its
  length. openpyxl reads the small parts around them (the package, the workbook, the styles),
  each at most a megabyte.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO
from xml.etree.ElementTree import Element
from xml.parsers.expat import errors as expat_errors

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS, WORKSHEET_TYPE

from reports.records.layout import README_SHEET, SHEETS_BY_NAME
from reports.records.markup import BoundedMarkup, MarkupTooLong
from reports.records.sheet_xml import (
    CELL,
    MAX_COLUMNS,
    SHARED,
    NumberedRow,
    Styles,
    text_of,
    worksheet_rows,
)
from sessions.text import strip_control_characters

# A records file has nine sheets and a "read me"; its widest sheet has 14 columns.
MAX_SHEETS = 20
# Sheet and column names are short; longer ones are unknown anyway and are cut when reported.
MAX_NAME = 100
# XML elements a workbook's sheets and shared texts may hold per row allowed: a row of 14
# cells written as inline text is 43 elements (the row, then cell, text run and text per cell).
ELEMENTS_PER_ROW = 50
# The parts of a workbook openpyxl reads for us (package, workbook, relationships, styles) are
# a few kilobytes from any spreadsheet program; its parsers are slow on a crafted large one.
MAX_PART_BYTES = 1_000_000
# A worksheet nests its elements 5 to 7 deep (worksheet, sheetData, row, c, is, r, t), its
# extensions about ten; unclosed tags nest without end, each kept open in memory.
MAX_DEPTH = 32
# The longest piece of markup in a sheet or table of texts: a tag with its attributes, a
# comment, a processing instruction or an entity reference. Spreadsheet programs write a few
# dozen bytes; expat reparses an unfinished one from its start with each 16 KB it is fed, so
# its time grows with the square of the length: 64 KB costs a millisecond, 19 MB over 30 s.
MAX_TOKEN_BYTES = 64 * 1024
# Attributes of one element: a row has at most a dozen or so, a cell six.
MAX_ATTRIBUTES = 64

# The elements read with their children; every other element is dropped once it ends.
WHOLE = frozenset({CELL, SHARED})
# The expat errors a crafted entity gives, should one get past defusedxml's refusals.
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


def sheet_for_file(stem: str) -> str:
    """The sheet a CSV file holds, from its name: "statements", "statements (1)" and
    "statements-albany" all hold statements; an unknown name is returned as it is."""
    name = _clean_name(stem)
    for sheet in sorted(SHEETS_BY_NAME, key=len, reverse=True):
        rest = name[len(sheet) :]
        if name.startswith(sheet) and not (rest[:1].isalpha() or rest[:1] == "_"):
            return sheet
    return name


# A row as the readers give it: its number in the sheet (the headings are row 1) and its
# cells as (column index from 0, value) pairs, empty cells left out or None.


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


def _clean_name(title: object) -> str:
    return strip_control_characters(str(title)[: MAX_NAME * 2]).strip().lower()[:MAX_NAME]


def _header_cell(cell: object) -> str:
    return "" if cell is None else _clean_name(cell).replace(" ", "_")


class _Reading:
    """One file being read: its limits, and what has been read so far in all its sheets."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rows_read = 0
        self.elements = 0

    def sheet(self, title: str, rows: Iterable[NumberedRow]) -> RawSheet:
        """Read a sheet's rows, stopping with ``UnreadableFile`` at the first limit passed."""
        name = _clean_name(title)
        iterator: Iterator[NumberedRow] = iter(rows)
        first = next(iterator, None)
        header: list[str] = []
        if first is not None and first[0] != 1:
            iterator = _chain(first, iterator)  # no heading row: every column is unknown
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
        for number, cells in iterator:
            self._count_row(name, number)
            sheet.rows_read += 1
            values = self._values(name, number, cells, len(header))
            if values is not None:
                sheet.rows.append((number, values))
        return sheet

    def _count_row(self, sheet: str, number: int) -> None:
        self.rows_read += 1
        if self.rows_read > self.limits.rows:
            raise UnreadableFile(
                _(
                    "The file has more than %(max)s rows (blank rows count too); at most "
                    "%(max)s can be imported at once, so reading stopped at %(sheet)s, row "
                    "%(row)s. Split the file into parts."
                )
                % {"max": _count(self.limits.rows), "sheet": sheet, "row": _count(number)}
            )

    def _values(
        self, sheet: str, number: int, cells: Iterable[tuple[int, object]], width: int
    ) -> list[object] | None:
        """A row's values in the header's columns, cleaned; None for a blank row."""
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
                            "sheet": sheet,
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
        return None if blank else values

    def finished(self, source: IO[bytes]) -> Iterator[Element]:
        """Each element of the XML in ``source`` as it ends, within the element budget.

        An element in ``WHOLE`` comes with its children; every element is then dropped from
        its parent, so memory holds about one row, however large the sheet.
        """
        budget = self.limits.rows * ELEMENTS_PER_ROW
        markup = BoundedMarkup(source, MAX_TOKEN_BYTES)
        try:
            yield from self._elements(markup, budget)
        except MarkupTooLong:
            raise UnreadableFile(
                _(
                    "The workbook's XML has a tag, comment or reference of more than "
                    "%(max)s bytes, where spreadsheet programs write a few dozen; it was not "
                    "read."
                )
                % {"max": _count(MAX_TOKEN_BYTES)}
            ) from None

    def _elements(self, markup: IO[bytes], budget: int) -> Iterator[Element]:
        stack: list[Element] = []
        whole = 0  # open elements whose children are kept
        for event, element in iterparse(markup, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                # Counted as they start, so that unclosed elements count too.
                self.elements += 1
                if self.elements > budget:
                    raise UnreadableFile(
                        _(
                            "The workbook holds more than %(max)s XML elements (cells, texts "
                            "and the like), far more than %(rows)s rows need; it was not read. "
                            "Split it into parts."
                        )
                        % {"max": _count(budget), "rows": _count(self.limits.rows)}
                    )
                if len(stack) == MAX_DEPTH:
                    raise UnreadableFile(
                        _(
                            "The workbook's XML nests elements more than %(max)d deep, where "
                            "spreadsheet programs nest about ten; it was not read."
                        )
                        % {"max": MAX_DEPTH}
                    )
                if len(element.attrib) > MAX_ATTRIBUTES:
                    raise UnreadableFile(
                        _(
                            "The workbook's XML has an element with more than %(max)d "
                            "attributes, where spreadsheet programs write at most a dozen or "
                            "so; it was not read."
                        )
                        % {"max": MAX_ATTRIBUTES}
                    )
                stack.append(element)
                whole += element.tag in WHOLE
                continue
            stack.pop()
            whole -= element.tag in WHOLE
            yield element
            if stack and not whole:
                stack[-1].remove(element)


def _chain(first: NumberedRow, rest: Iterator[NumberedRow]) -> Iterator[NumberedRow]:
    yield first
    yield from rest


def _widest() -> int:
    return max(len(sheet.columns) for sheet in SHEETS_BY_NAME.values())


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
        if ARC_CONTENT_TYPES in archive.namelist():
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
        # not "False"; the parts it reads here would then be parsed without that protection.
        raise ImproperlyConfigured("openpyxl must use defusedxml to read uploaded workbooks.")
    try:
        reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFile(_workbook_problem(error)) from error
    try:
        _check_part(reader.archive.getinfo(ARC_CONTENT_TYPES))
        reader.read_manifest()
        large = {
            part.PartName[1:]
            for part in reader.package.Override
            if part.ContentType in (WORKSHEET_TYPE, SHARED_STRINGS)
        }
        declared = {part.PartName[1:] for part in reader.package.Override}
        for info in reader.archive.infolist():
            if info.filename not in large and (
                info.filename in declared or info.filename.lower().endswith((".xml", ".rels"))
            ):
                _check_part(info)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        styles = Styles(
            epoch=reader.wb.epoch,
            dates=frozenset(getattr(reader.wb, "_date_formats", ())),
            durations=frozenset(getattr(reader.wb, "_timedelta_formats", ())),
        )
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
        strings = _shared_strings(reader, reading)
        sheets = []
        for title, target in parts:
            if title.strip().lower() == README_SHEET:
                continue
            with reader.archive.open(target) as source:
                rows = worksheet_rows(reading.finished(source), strings, styles)
                sheets.append(reading.sheet(title, rows))
        return sheets
    except UnreadableFile:
        raise
    except Exception as error:  # as above: XML, ZIP, number and index errors alike
        raise UnreadableFile(_workbook_problem(error)) from error
    finally:
        reader.archive.close()


def _check_part(info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_PART_BYTES:
        raise UnreadableFile(
            _(
                "The workbook's part %(part)s is %(size)s MB, where spreadsheet programs write a "
                "few kilobytes; it was not read."
            )
            % {"part": info.filename[:MAX_NAME], "size": _count(round(info.file_size / 1e6, 1))}
        )


def _shared_strings(reader: ExcelReader, reading: _Reading) -> list[str]:
    """The workbook's table of texts, which cells refer to by number."""
    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    strings = []
    with reader.archive.open(part.PartName[1:]) as source:
        for element in reading.finished(source):
            if element.tag == SHARED:
                strings.append(text_of(element))
    return strings


def _workbook_problem(error: BaseException) -> str:
    """What is wrong with a workbook that could not be read, from the cause of ``error``."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException) or (
            isinstance(cause, SyntaxError) and getattr(cause, "code", None) in ENTITY_ERRORS
        ):
            return _(
                "The workbook's XML declares a document type or uses entities, which "
                "spreadsheet programs never write and which can make a small file unpack to "
                "gigabytes; it was not read. Open it in a spreadsheet program and save it "
                "again, or save it as CSV."
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
    fallback rather than a guess among many encodings. Excel's "Unicode text" is UTF-16.
    """
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the byte order from the mark
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
    # Decoded as it is read, so reading that stops at the row cap decodes no further.
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
