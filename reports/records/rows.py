"""A records file's sheets as rows: headings checked, every cell converted by its column's kind.

Each problem found is collected by a ``Checker``, with its place (sheet, row, column and letter);
the rows then go to the planning (planning.py), which resolves their references.
"""

from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from reports.records.cells import CellError, cell_parse
from reports.records.layout import SHEETS, SHEETS_BY_NAME, Sheet
from reports.records.problems import Problem, ProblemList
from reports.records.reading import RawSheet


@dataclass
class Row:
    sheet: Sheet
    number: int
    values: dict[str, object]
    letters: dict[str, str]
    present: object = None  # the record already in the database, if any
    record: object = None  # the record created by the import


class Checker:
    """Collects problems while the rows are converted and their references resolved."""

    def __init__(self) -> None:
        self.problems = ProblemList(order=[sheet.name for sheet in SHEETS])

    def add(self, row: Row | None, column: str, message: str, *, sheet: str = "") -> None:
        if row is None:
            self.problems.add(Problem(sheet, None, column, message))
        else:
            self.problems.add(
                Problem(row.sheet.name, row.number, column, message, row.letters.get(column, ""))
            )


def sheet_rows(raw_sheets: list[RawSheet], check: Checker) -> dict[str, list[Row]]:
    """Every known sheet's rows, each cell converted; a problem is recorded for each bad cell.

    A sheet that is unknown, repeated or has a bad heading gives no rows; a column the file
    leaves out gets its default (or None, when it is required and its absence is a problem).
    """
    rows: dict[str, list[Row]] = {sheet.name: [] for sheet in SHEETS}
    seen: set[str] = set()
    for raw in raw_sheets:
        sheet = SHEETS_BY_NAME.get(raw.name)
        if sheet is None:
            check.add(
                None,
                "",
                _("There is no sheet called “%(name)s”; the sheets are: %(names)s.")
                % {"name": raw.name, "names": ", ".join(SHEETS_BY_NAME)},
                sheet=raw.name,
            )
            continue
        if raw.name in seen:
            check.add(None, "", _("The sheet appears twice."), sheet=raw.name)
            continue
        seen.add(raw.name)
        if not _header_ok(sheet, raw, check):
            continue
        letters = {name: get_column_letter(i + 1) for i, name in enumerate(raw.header)}
        for number, values in raw.rows:
            row = Row(sheet, number, {}, letters)
            for name, value in zip(raw.header, values, strict=True):
                try:
                    row.values[name] = cell_parse(sheet.column(name), value)
                except CellError as error:
                    check.add(row, name, str(error))
                    row.values[name] = None
            for column in sheet.columns:
                row.values.setdefault(
                    column.name, cell_parse(column, None) if not column.required else None
                )
            rows[sheet.name].append(row)
    return rows


def _header_ok(sheet: Sheet, raw: RawSheet, check: Checker) -> bool:
    ok = True
    counts = Counter(raw.header)
    for index, name in enumerate(raw.header):
        letter = get_column_letter(index + 1)
        if not name:
            check.problems.add(Problem(sheet.name, 1, "", _("A column has no heading."), letter))
            ok = False
        elif name not in sheet.column_names:
            check.problems.add(
                Problem(
                    sheet.name,
                    1,
                    name,
                    _("Unknown column; this sheet's columns are: %(names)s.")
                    % {"names": ", ".join(sheet.column_names)},
                    letter,
                )
            )
            ok = False
        elif counts[name] > 1:
            check.problems.add(Problem(sheet.name, 1, name, _("The column appears twice."), letter))
            ok = False
    for column in sheet.columns:
        if column.required and column.name not in raw.header:
            check.add(None, column.name, _("This required column is missing."), sheet=sheet.name)
            ok = False
    return ok
