"""How every export writes dates, times and figures, defined once.

The web page and the PDF use these through the ``report_formats`` template filters, the Word
file calls them directly, and the workbook types its cells with the matching number formats,
so a date reads "September 17, 2009" and a coefficient "0.85" in every format.
"""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

# The report's coefficients (Spearman's rho, Kendall's tau-b) are rounded once, when the
# report is built (reports.selectors), to this many places; every format prints them so.
COEFFICIENT_PLACES = 2

# Django date formats (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date).
DAY = "F j, Y"  # September 17, 2009
LONG_DAY = "l, F j, Y"  # Thursday, September 17, 2009
MONTH = "F Y"  # September 2009
CLOCK = "P"  # 8:30 a.m., noon
MOMENT = "F j, Y, P"  # September 17, 2009, 8:30 a.m.

# The same formats for typed workbook cells (Excel number formats).
XLSX_DAY = "mmmm d, yyyy"
XLSX_CLOCK = "h:mm AM/PM"
XLSX_MOMENT = "mmmm d, yyyy h:mm AM/PM"
XLSX_COEFFICIENT = "0.00"
XLSX_COUNT = "#,##0"
XLSX_REFERENCE = "0"  # a record's number, 12345: an identifier, not a quantity


def day(value: dt.date | None) -> str:
    return date_format(value, DAY) if value else ""


def long_day(value: dt.date | None) -> str:
    return date_format(value, LONG_DAY) if value else ""


def month(value: dt.date | None) -> str:
    return date_format(value, MONTH) if value else ""


def clock(value: dt.time | None) -> str:
    return time_format(value, CLOCK) if value else ""


def time_span(start: dt.time | None, end: dt.time | None) -> str:
    """ "8:30 a.m.–10:30 a.m.", "8:30 a.m." without an end, "" without a start."""
    if not start:
        return ""
    return f"{clock(start)}–{clock(end)}" if end else clock(start)


def month_span(start: dt.date | None, end: dt.date | None) -> str:
    """The cover's dates: "July 2009 – October 2009", or one month when both fall in it."""
    if not start:
        return ""
    if not end or (start.year, start.month) == (end.year, end.month):
        return month(start)
    return f"{month(start)} – {month(end)}"


def moment(value: dt.datetime | None) -> str:
    return date_format(timezone.localtime(value), MOMENT) if value else ""


def coefficient(value: float | None) -> str:
    """A coefficient as printed: "0.85", "−0.40" (a true minus sign), or "—" where none."""
    if value is None:
        return "—"
    text = f"{value:.{COEFFICIENT_PLACES}f}"
    return text.replace("-", "\u2212")


def count(value: int | None) -> str:
    return _("not recorded") if value is None else f"{value:,}"
