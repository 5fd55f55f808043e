"""The report's formats (reports.formats) as template filters, for the web page and the PDF."""

from django import template

from reports import formats, tables

register = template.Library()

register.filter("report_day", formats.day)
register.filter("report_long_day", formats.long_day)
register.filter("report_month", formats.month)
register.filter("report_clock", formats.clock)
register.filter("report_moment", formats.moment)
register.filter("report_coefficient", formats.coefficient)
register.filter("report_votes", tables.votes_text)
register.filter("report_left_out", tables.left_out_sentence)
register.filter("report_categories", tables.categories_sentence)


@register.simple_tag
def report_time_span(start, end):
    return formats.time_span(start, end)


@register.simple_tag
def report_month_span(start, end):
    return formats.month_span(start, end)


@register.filter
def report_paper_note(lines) -> str:
    """The paper-dot note under a table of category lines (or compared lines)."""
    return tables.paper_votes_note([getattr(line, "category", line) for line in lines])
