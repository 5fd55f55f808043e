"""Text safety at the two edges of the site: what comes in and what goes out into files.

In: ``strip_control_characters`` removes what no keyboard types and no record needs (C0 and C1
control characters but tab, newline and carriage return; DEL; the two Unicode non-characters).
``ctg_workshops.middleware.InputMiddleware`` applies it to every query string and form field,
and the records import to every cell, so it happens once, wherever text enters.

Out: ``cell_value`` is the one neutraliser for spreadsheets (XLSX and CSV, every download). It
works on the exact string the writer will write: first it removes what an Office file cannot
hold, then it looks at what is left, so a character dropped on the way can never uncover a
formula (``"\\x01=HYPERLINK(…)"`` used to become ``=HYPERLINK(…)`` after neutralising).

This module sits in the lowest app so that every layer above may use it.
"""

import re
import unicodedata

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; lone surrogates (they
# cannot be encoded); U+FFFE and U+FFFF. XML 1.0, and so every Office file, holds none of the C0
# ones; the others only disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# A spreadsheet runs a cell as a formula (or a DDE command) when it starts with one of these.
# The full-width forms are included because some spreadsheet programs fold them to ASCII.
FORMULA_TRIGGERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Characters a spreadsheet might skip before looking for a trigger: controls, invisible format
# characters (zero-width, bidirectional marks) and every kind of space or line separator. A cell
# starting with any of them before a trigger is neutralised too.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def strip_control_characters(text: str) -> str:
    """``text`` without control characters (tab, newline and carriage return stay)."""
    return _CONTROL.sub("", text)


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (after skipping blanks)."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    for char in text:
        if unicodedata.category(char) not in _INVISIBLE_CATEGORIES:
            return char in FORMULA_TRIGGERS
    return False


def cell_text(text: str, *, reversible: bool = False) -> str:
    """The exact text to write into a spreadsheet cell: storable and inert.

    Formula-like text gets a leading apostrophe, which spreadsheets treat as "this is text".
    ``reversible`` (the records files) also prefixes text that already starts with an
    apostrophe, so ``uncell_text`` gives back exactly what was written. Idempotent without
    ``reversible``.
    """
    text = strip_control_characters(text)
    if is_formula_like(text) or (reversible and text.startswith("'")):
        return "'" + text
    return text


def uncell_text(text: str) -> str:
    """The inverse of ``cell_text(…, reversible=True)``: one leading apostrophe removed."""
    return text[1:] if text.startswith("'") else text


# In a workbook's XML, Excel reads "_xHHHH_" as the character HHHH: "_x003D_1+1" shows as
# "=1+1" (and runs once the cell is edited or saved as CSV). An underscore starting such a
# sequence is written as "_x005F_", Excel's own escape for a literal underscore.
_OOXML_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def xlsx_value(value: object, *, reversible: bool = False) -> object:
    """``cell_value`` for a workbook (.xlsx): also keeps OOXML's escapes from decoding."""
    value = cell_value(value, reversible=reversible)
    if isinstance(value, str):
        return _OOXML_ESCAPE.sub("_x005F_", value)
    return value


def cell_value(value: object, *, reversible: bool = False) -> object:
    """``cell_text`` for strings; numbers, dates and empty cells pass unchanged."""
    if isinstance(value, str):
        return cell_text(value, reversible=reversible)
    return value
