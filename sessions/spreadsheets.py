"""Writing cells into workbooks and CSV files, inert whatever the text holds.

Every spreadsheet download (the report's workbook and CSV files, the agency projects, the
records files) writes through ``sessions.text.cell_value`` at the last step, on the exact string
that goes into the file. It sits in the lowest app so that every app may write a spreadsheet.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from sessions.text import cell_value, xlsx_value


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
