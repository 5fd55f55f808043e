"""The report as a Word file to send: the web page's sections, in its order and words, with a
cover, a contents field, page numbers, real headings and captioned tables.

The furniture (styles, properties, fields, tables, figures) is reports.word_document; this
module decides what the report says. Numbers and dates come from the built report and are
written with reports.formats, like every other format.
"""

import datetime as dt

from django.conf import settings
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from reports import formats
from reports.charts import Figure, report_figures
from reports.structure import AppendixGroup, Report, WorkshopSummary
from reports.tables import (
    PAPER_MARK,
    Table,
    categories_sentence,
    left_out_sentence,
    paper_header,
    paper_votes_note,
    report_tables,
    statements_withheld_sentence,
    withheld_sentence,
)


def export_docx(report: Report) -> bytes:
    # python-docx takes a tenth of a second to import: only a Word export pays for it.
    from reports.word_document import document_new
    from reports.word_styles import Properties

    doc = document_new(
        Properties(
            title=report.title,
            subject=_("Workshop summary report"),
            organisation=settings.REPORT_ORGANISATION or report.organisation,
            language=_language_tag(),
            created=report.generated_at,
        )
    )
    tables = report_tables(report)
    figures = _figures(report)
    _cover(doc, report)
    _opening(doc, report, tables)
    _workshops(doc, report)
    _state_results(doc, report, tables, figures)
    _local_results(doc, report, tables, figures)
    _narrative(doc, report, "concluding_remarks", _("Concluding remarks"))
    _appendix(doc, report, report.appendix_a, report.appendix_a_withheld, values=True)
    _appendix(doc, report, report.appendix_b, report.appendix_b_withheld, values=False)
    _narrative(doc, report, "appendix_c", _("Appendix C: Project description"), new_page=True)
    _about_the_figures(doc, report)
    doc.contents_fill()
    return doc.save()


def _language_tag() -> str:
    """The document's language as Word wants it: "en-US" rather than Django's "en"."""
    code = get_language() or settings.LANGUAGE_CODE
    language, _sep, region = code.partition("-")
    return f"{language}-{(region or _DEFAULT_REGIONS.get(language, '')).upper()}".rstrip("-")


_DEFAULT_REGIONS = {"en": "US"}


def _figures(report: Report) -> dict[str, Figure]:
    return {figure.key: figure for figure in report_figures(report)}


# --- the sections, in the web page's order ---------------------------------------------------


def _cover(doc, report: Report) -> None:
    if report.organisation:
        doc.paragraph(report.organisation, "Subtitle")
    doc.heading(report.title, 0)
    if report.subtitle:
        doc.paragraph(report.subtitle, "Subtitle")
    doc.paragraph(_("Workshop summary report"), "Subtitle")
    if report.starts_on:
        doc.paragraph(formats.month_span(report.starts_on, report.ends_on))
    doc.contents_here(_("Contents"))
    doc.page_break()


def _narrative(doc, report: Report, key: str, title: str, *, new_page: bool = False) -> None:
    """A section of staff-written text; left out altogether while it is empty."""
    text = report.section(key).markdown
    if text.strip():
        doc.heading(title, 1, new_page=new_page)
        doc.markdown(text, level=1)


def _opening(doc, report: Report, tables: dict[str, Table]) -> None:
    _narrative(doc, report, "abstract", _("Abstract"))
    _narrative(doc, report, "introduction", _("Introduction"))
    _narrative(doc, report, "project_overview", _("Project overview"))
    doc.heading(_("%(title)s: project design") % {"title": report.title}, 1)
    doc.markdown(report.section("project_design").markdown, level=1)
    if not report.workshops:
        doc.paragraph(_("No workshops yet."))
        return
    workshops = _columns(tables["workshops"], (_("Workshop"), _("Kind"), _("Date"), _("Venue")))
    headers = (_("Activity"), *workshops.headers[1:])
    doc.table(_("The activities of this phase"), headers, _texts(workshops.rows))


def _workshops(doc, report: Report) -> None:
    doc.heading(_("Government professional workshops"), 1)
    doc.markdown(report.section("workshops_framing").markdown, level=1)
    for w in report.workshops:
        doc.heading(w.title, 2)
        doc.paragraph(formats.long_day(w.date), label=_("Date:"))
        doc.paragraph(formats.time_span(w.start_time, w.end_time) or "—", label=_("Time:"))
        doc.paragraph(w.venue or "—", label=_("Place:"))
        doc.paragraph(_attendance(w, report), label=_("Attendance:"))
        if w.withheld:
            doc.paragraph(_withheld_note(report))
        if w.agenda:
            doc.heading(_("Agenda"), 3)
            doc.numbered([(item.title, f"({item.purpose}): {item.prompt}") for item in w.agenda])


def _attendance(w: WorkshopSummary, report: Report) -> str:
    if w.withheld and w.attendance_recorded:
        return _("fewer than %(n)d people") % {"n": report.suppress_below}
    if not w.attendance_recorded or w.people is None:
        return _("not recorded")
    text = ngettext("%(n)s person", "%(n)s people", w.people) % {"n": formats.count(w.people)}
    if w.organisations:
        text += " " + ngettext(
            "from %(n)s organisation", "from %(n)s organisations", w.organisations
        ) % {"n": formats.count(w.organisations)}
    if w.counted_from_records:
        return text + " " + _("(counted from the participants' records)")
    return text + " " + _("(as reported by the facilitators)")


def _withheld_note(report: Report) -> str:
    return _(
        "Fewer than %(n)d people took part in this workshop, so the report gives none of its "
        "counts, ranks or statements: in so small a group they could identify someone."
    ) % {"n": report.suppress_below}


def _state_results(doc, report: Report, tables: dict[str, Table], figures) -> None:
    doc.heading(_("Results from the state agency workshop"), 1)
    if not report.state_workshop:
        doc.paragraph(_("This phase has no state agency workshop."))
        return
    if report.state_workshop.withheld:
        doc.paragraph(_withheld_note(report))
    doc.heading(_("Values sought"), 2)
    doc.paragraph(
        _(
            "The categories of value participants named, in reference order. The values were "
            "not ranked: the numbers serve for ease of reference."
        )
    )
    _table(doc, _("Values sought, in reference order"), tables["state_values"])
    doc.heading(_("Issues and concerns"), 2)
    doc.paragraph(_("The areas of concern, ranked by the participants' dots."))
    _table(
        doc,
        _("Areas of concern ranked by votes, state agency workshop"),
        tables["state_concerns"],
        note=paper_votes_note(report.state_concerns),
    )
    _figure(doc, figures.get("state_concerns"))


def _local_results(doc, report: Report, tables: dict[str, Table], figures) -> None:
    doc.heading(_("Results from the local government workshop"), 1)
    if not report.local_workshop:
        doc.paragraph(_("This phase has no local government workshop."))
        return
    if report.local_workshop.withheld:
        doc.paragraph(_withheld_note(report))
    doc.heading(_("Benefits ranked by local government participants"), 2)
    _table(
        doc,
        _("Benefits ranked by votes, local government workshop"),
        tables["local_benefits"],
        note=paper_votes_note([c.category for c in report.local_benefits]),
    )
    _figure(doc, figures.get("local_benefits"))
    doc.heading(_("Areas of concern: local and state rankings"), 2)
    _table(
        doc,
        _("Areas of concern: local rank, state rank and local votes"),
        tables["local_concerns"],
        note=paper_votes_note([c.category for c in report.local_concerns]),
    )
    if report.concerns_overlap:
        doc.paragraph(report.concerns_overlap.summary)
    _overlap(doc, report, tables, figures)


def _overlap(doc, report: Report, tables: dict[str, Table], figures) -> None:
    overlap = report.concerns_overlap
    if not overlap or overlap.pairs < 2:
        return
    doc.heading(_("How far the two rankings overlap"), 2)
    measures = Table(tables["overlap"].title, tables["overlap"].headers, tables["overlap"].rows[:3])
    _table(doc, _("Agreement of the local and state rankings of the areas of concern"), measures)
    doc.paragraph(
        _(
            "Both measures run from −1 (reversed order) through 0 (no relation) to 1 (the same "
            "order); ties are taken into account."
        ),
        "Table Note",
    )
    if overlap.moved_most:
        doc.paragraph(_("The categories that moved most:"))
        doc.bullets(
            [
                _("%(name)s: state rank %(state)s, local rank %(local)s")
                % {"name": c.category.name, "state": c.state.rank, "local": c.category.rank}
                for c in overlap.moved_most
            ]
        )
    _figure(doc, figures.get("slope"))


def _appendix(doc, report: Report, groups, withheld: int, *, values: bool) -> None:
    if values:
        doc.heading(_("Appendix A: Value statements by category"), 1, new_page=True)
        doc.paragraph(_("(E) marks an external use, (I) an internal use."), "Table Note")
    else:
        doc.heading(
            _("Appendix B: Concern statements by category, in rank order"), 1, new_page=True
        )
    if withheld:
        doc.paragraph(statements_withheld_sentence(report, withheld))
        return
    if not groups:
        if values:
            doc.paragraph(_("No value statements were recorded."))
        else:
            doc.paragraph(_("No concern statements were recorded."))
    for group in groups:
        doc.heading(_group_name(group, values=values), 2)
        doc.bullets([s.text_with_mark for s in group.statements] or [_("No statements.")])


def _group_name(group: AppendixGroup, *, values: bool) -> str:
    category = group.category
    if category is None:
        return _("Not put in a category")
    if values:
        return f"{category.reference_number}. {category.name}"
    if category.withheld:
        return category.name
    votes = ngettext("%(n)s vote", "%(n)s votes", category.votes) % {
        "n": formats.count(category.votes)
    }
    if category.paper_votes:
        votes += ", " + _("%(n)s on paper") % {"n": formats.count(category.paper_votes)}
    return f"{category.name} ({votes})"


def _about_the_figures(doc, report: Report) -> None:
    doc.heading(_("About the figures"), 1)
    doc.paragraph(report.rank_rule)
    doc.paragraph(_hidden_sentence(report.hidden_statements))
    built = _("Built on %(when)s.") % {"when": formats.moment(report.generated_at)}
    doc.paragraph(built[:-1] if built.endswith("..") else built)  # "… 1:05 p.m.."
    if report.has_paper_votes:
        doc.paragraph(
            _(
                "Votes include the dots counted on paper wall charts, which a facilitator "
                "recorded as a total per category. %(mark)s marks a figure that includes them; "
                "the note under its table says how many were counted on paper."
            )
            % {"mark": PAPER_MARK}
        )
    if report.withheld_workshops:
        doc.paragraph(withheld_sentence(report))
    if report.left_out:
        doc.paragraph(left_out_sentence(report))
    if report.categorised_statements:
        doc.paragraph(categories_sentence(report))


def _hidden_sentence(hidden: int) -> str:
    if not hidden:
        return _(
            "Every number comes from the workshop records. No statement was hidden by a "
            "facilitator."
        )
    return ngettext(
        "Every number comes from the workshop records. %(n)s statement hidden by a facilitator "
        "is left out.",
        "Every number comes from the workshop records. %(n)s statements hidden by facilitators "
        "are left out.",
        hidden,
    ) % {"n": formats.count(hidden)}


# --- tables and figures -------------------------------------------------------------------------


def _table(doc, caption: str, table: Table, *, note: str = "") -> None:
    """One of the shared tables (reports.tables) as Word shows it: the votes marked where they
    include paper dots (the note under the table says how many) rather than a paper column."""
    table = _paper_marked(table)
    right = [
        any(isinstance(row[i], int | float) for row in table.rows)
        and all(isinstance(row[i], int | float | None) or row[i] == _("withheld") or
                str(row[i]).endswith(PAPER_MARK) for row in table.rows)
        for i in range(len(table.headers))
    ]  # fmt: skip
    doc.table(caption, table.headers, _texts(table.rows), right=right, note=note)


def _paper_marked(table: Table) -> Table:
    """Without the paper column: the figure before it (the votes it counts) gets the mark."""
    if paper_header() not in table.headers:
        return table
    index = table.headers.index(paper_header())
    rows = []
    for row in table.rows:
        row = list(row)
        paper = row.pop(index)
        if isinstance(paper, int) and paper > 0:
            row[index - 1] = f"{formats.count(row[index - 1])}{PAPER_MARK}"
        rows.append(tuple(row))
    return Table(table.title, table.headers[:index] + table.headers[index + 1 :], tuple(rows))


def _columns(table: Table, headers: tuple[str, ...]) -> Table:
    indexes = [table.headers.index(header) for header in headers]
    return Table(
        table.title,
        headers,
        tuple(tuple(row[i] for i in indexes) for row in table.rows),
    )


def _texts(rows) -> list[list[str]]:
    return [[_cell_text(value) for value in row] for row in rows]


def _cell_text(value) -> str:
    """A typed table cell as the report writes it (reports.formats)."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return formats.moment(value)
    if isinstance(value, dt.date):
        return formats.day(value).replace(" ", "\u00a0")  # a date never breaks in a cell
    if isinstance(value, dt.time):
        return formats.clock(value)
    if isinstance(value, float):
        return formats.coefficient(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.count(value)
    return str(value)


def _figure(doc, figure: Figure | None) -> None:
    if figure is None:
        return
    doc.figure(figure.png(), title=figure.title, alt=figure.alt, caption=figure.caption)
