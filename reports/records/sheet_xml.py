"""A worksheet's rows and a table of texts, from their XML elements as ``_Reading`` yields them.

The values are what openpyxl gives with ``data_only``: text, numbers, dates (by the cell's
style) and flags. Kept apart from ``reading`` so that each file stays readable.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601

# A records file's widest sheet has 14 columns.
MAX_COLUMNS = 50

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL, VALUE, INLINE, TEXT, RUN, SHARED = (
    NS + tag for tag in ("row", "c", "v", "is", "t", "r", "si")
)
CELL_REFERENCE = re.compile(r"([A-Z]{1,3})[0-9]+")
NumberedRow = tuple[int, Iterable[tuple[int, object]]]


@dataclass(frozen=True)
class Styles:
    """What turns a number into a date: the workbook's epoch and its date-formatted styles."""

    epoch: object
    dates: frozenset[int]
    durations: frozenset[int]


def worksheet_rows(
    elements: Iterator[Element], strings: list[str], styles: Styles
) -> Iterator[NumberedRow]:
    """A worksheet's rows, from its elements as they end (``_Reading.finished``)."""
    number = column = 0
    cells: list[tuple[int, object]] = []
    for element in elements:
        if element.tag == CELL:
            reference = element.get("r")
            if reference:
                match = CELL_REFERENCE.fullmatch(reference)
                if match is None:
                    raise ValueError(f"{reference[:20]} is not a cell reference")
                column = column_index_from_string(match.group(1))
            else:
                column += 1
            if column <= MAX_COLUMNS + 1:  # one more, so that a header too wide is seen
                cells.append((column - 1, cell_value(element, strings, styles)))
        elif element.tag == ROW:
            given = element.get("r")
            number = int(given) if given else number + 1
            yield number, cells
            cells, column = [], 0


def cell_value(cell: Element, strings: list[str], styles: Styles) -> object:
    """A cell's value as openpyxl gives it with ``data_only``: its text, number, date or flag."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(INLINE)
        return None if inline is None else text_of(inline)
    value = cell.findtext(VALUE) or None
    if value is None:
        return None
    if kind == "n":
        number = float(value) if any(c in value for c in ".Ee") else int(value)
        style = int(cell.get("s") or 0)
        if style in styles.dates:
            try:
                return from_excel(number, styles.epoch, timedelta=style in styles.durations)
            except (OverflowError, ValueError):
                return number  # not a date after all; its column will say what it needs
        return number
    if kind == "s":
        return strings[int(value)]
    if kind == "b":
        return bool(int(value))
    if kind == "d":
        return from_ISO8601(value)
    return value  # "str", a formula's text; "e", an error such as #N/A


def text_of(element: Element) -> str:
    """The text of a shared or inline string: its own text, then its formatted runs'.

    "_x005F_" is how Excel (and this site's writer, ``sessions.text.xlsx_value``) writes an
    underscore that starts something looking like the format's own "_xHHHH_" escapes.
    """
    runs = (run.findtext(TEXT) or "" for run in element.iterfind(RUN))
    return ((element.findtext(TEXT) or "") + "".join(runs)).replace("_x005F_", "_")
