"""The report's formats (reports.formats) as template filters, for the web page and the PDF."""

from django import template

from reports import formats

register = template.Library()

register.filter("report_day", formats.day)
register.filter("report_long_day", formats.long_day)
register.filter("report_month", formats.month)
register.filter("report_clock", formats.clock)
register.filter("report_moment", formats.moment)
register.filter("report_coefficient", formats.coefficient)


@register.simple_tag
def report_time_span(start, end):
    return formats.time_span(start, end)


@register.simple_tag
def report_month_span(start, end):
    return formats.month_span(start, end)
