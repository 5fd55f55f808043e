"""Writing cells into workbooks and CSV files, inert whatever the text holds.

Every spreadsheet download (the report's workbook and CSV files, the agency projects, the
records files) writes through ``sessions.text.cell_value`` at the last step, on the exact string
that goes into the file. It sits in the lowest app so that every app may write a spreadsheet.

``sheet_write`` fills an ordinary sheet; ``table_sheet_write`` fills a write-only one with a
table to analyse (typed dates and numbers, fitted columns, a filter), for large workbooks.
"""

import copy
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence

from django.utils import timezone

from sessions.text import cell_value, strip_control_characters, xlsx_value


def sheet_write(sheet, headers: Sequence[object], rows: Iterable[Sequence[object]]) -> None:
    """Fill an openpyxl worksheet: bold headings, frozen, every cell inert (no formula can run).

    Text cells are typed as strings as well, so even a spreadsheet program that ignored the
    leading apostrophe would still show the text rather than run it.
    """
    from openpyxl.styles import Font

    sheet.append([xlsx_value(str(header)) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([xlsx_value(value) for value in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"


def csv_text(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with every cell inert; None becomes an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_value(str(header)) for header in headers])
    writer.writerows(["" if value is None else cell_value(value) for value in row] for row in rows)
    return buffer.getvalue()


# --- Tables to analyse (write-only workbooks) ---------------------------------------------------

# Excel's own limits: a sheet name's length and the characters it may not hold.
SHEET_NAME_LENGTH = 31
CELL_TEXT_LENGTH = 32767
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]+")


def sheet_name(title: str, taken: set[str]) -> str:
    """``title`` as a sheet name Excel accepts: no ``[]:*?/\\``, no apostrophe at either end,
    at most 31 characters, and unlike every name in ``taken`` (Excel ignores case), which it
    joins. A translation may make any title too long or clash with another."""
    base = _SHEET_NAME_FORBIDDEN.sub(" ", strip_control_characters(title))
    base = " ".join(base.split()).strip("'").strip() or "Sheet"
    name, number = base[:SHEET_NAME_LENGTH].rstrip(), 1
    while name.casefold() in {t.casefold() for t in taken}:
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LENGTH - len(suffix)].rstrip() + suffix
    taken.add(name)
    return name


def sheet_link(name: str) -> str:
    """A link target inside the workbook: the first cell of sheet ``name``."""
    return "'{}'!A1".format(name.replace("'", "''"))


def typed_cell(
    sheet,
    value: object,
    *,
    number_formats: Mapping[type, str],
    number_format: str | None = None,
    font=None,
    alignment=None,
    styles: dict | None = None,
):
    """One cell for a write-only sheet, or None for an empty one.

    Text goes through ``xlsx_value`` (inert) and is typed as text, so neither a formula nor an
    error code ("#N/A") can come of it. Dates, times and numbers stay typed, shown in
    ``number_formats`` (by exact type, so a datetime is not a date and True not an int) unless
    ``number_format`` is given. An aware datetime is written in the site's time zone (a
    workbook holds no time zones), to the second. ``styles``, one dict per sheet, keeps each
    combination of format, font and alignment once (see ``_styled``).
    """
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        if font is None:
            return None
        value = ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.replace(tzinfo=None, microsecond=0)  # to the second, as every export
    text = isinstance(value, str)
    value = xlsx_value(value)
    if text and len(value) > CELL_TEXT_LENGTH:
        # Excel repairs (and empties) a file with a longer cell; say that it was cut.
        value = value[: CELL_TEXT_LENGTH - 1] + "…"
    cell = WriteOnlyCell(sheet, value)
    if text:
        cell.data_type = "s"
        number_format = None
    else:
        number_format = number_format or number_formats.get(type(value))
    _styled(cell, number_format, font, alignment, {} if styles is None else styles)
    return cell


def _styled(cell, number_format: str | None, font, alignment, styles: dict) -> None:
    """Give ``cell`` its format, font and alignment. openpyxl looks each up by hashing it,
    field by field, on every cell (most of the time a large workbook took), so the resulting
    style (the cell's ``_style`` array) is kept per combination and copied."""
    key = (number_format, id(font), id(alignment))  # the caller holds font and alignment
    if key in styles:
        cell._style = copy.copy(styles[key])
        return
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    styles[key] = copy.copy(cell._style)


def shown_length(value: object) -> int:
    """About how many characters a cell shows: its longest line for text, the formatted
    width for dates and numbers. Sizes the columns."""
    if value is None:
        return 0
    if isinstance(value, str):
        return max(map(len, value.splitlines()), default=0)
    if isinstance(value, dt.datetime):
        return 27  # September 17, 2009 10:30 AM
    if isinstance(value, dt.date):
        return 18  # September 17, 2009
    if isinstance(value, dt.time):
        return 8  # 10:30 AM
    if isinstance(value, int):
        return len(f"{value:,}")
    if isinstance(value, float):
        return len(f"{value:.2f}")
    return len(str(value))


def table_sheet_write(
    sheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    number_formats: Mapping[type, str],
    column_formats: Mapping[int, str] | None = None,
    max_width: int = 60,
) -> None:
    """Fill a write-only worksheet with one table to sort and filter.

    Bold headings, frozen, with an AutoFilter over the whole table; each column as wide as its
    longest cell, up to ``max_width``, where longer text wraps; cells typed (``typed_cell``),
    with ``column_formats`` (by column index) over the formats by type. A write-only sheet
    takes its column widths before its first row, so ``rows`` is read twice.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    column_formats = column_formats or {}
    widths = [len(str(header)) + 3 for header in headers]  # room for the filter button
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], shown_length(value))
    wraps = [width > max_width for width in widths]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, max_width) + 2
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"

    bold = Font(bold=True)
    header_alignment = Alignment(vertical="top", wrap_text=True)
    sheet.append(
        [
            typed_cell(sheet, str(header), number_formats={}, font=bold, alignment=header_alignment)
            for header in headers
        ]
    )
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    styles: dict = {}
    for row in rows:
        sheet.append(
            [
                typed_cell(
                    sheet,
                    value,
                    number_formats=number_formats,
                    number_format=column_formats.get(index),
                    alignment=wrapped if wraps[index] else top,
                    styles=styles,
                )
                for index, value in enumerate(row)
            ]
        )
    last = f"{get_column_letter(max(len(headers), 1))}{len(rows) + 1}"
    sheet.auto_filter.ref = f"A1:{last}"
