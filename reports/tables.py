"""The report's tables as rows: one definition of every table, rendered by the Word file,
the workbook, the CSV files and the JSON document alike.

Cells are typed: a date is a ``datetime.date``, a time a ``datetime.time``, a figure an int or
a float, an empty cell None; text only where there is no number ("withheld", "not recorded").
Each writer formats them: Word with reports.formats, the workbook with number formats, CSV and
JSON as ISO text. A paper-dot column always follows the votes it counts.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports import formats
from reports.structure import CategoryLine, Report, WorkshopSummary


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


def paper_header() -> str:
    # Spreadsheets get the column always (a fixed layout); Word only where paper dots exist.
    return _("Of which on paper")


def _figure(line: CategoryLine | None, name: str):
    """A category's figure for a table cell: the number, "withheld" for a small group's
    category, or None where there is no such category."""
    if line is None:
        return None
    return _("withheld") if line.withheld else getattr(line, name)


def _attendance_counted(w: WorkshopSummary) -> str:
    if not w.attendance_recorded:
        return _("not recorded")
    if w.counted_from_records:
        return _("from the participants' records")
    return _("reported by the facilitators")


def _attendance(w: WorkshopSummary, report: Report, name: str):
    if not w.attendance_recorded:
        return _("not recorded")
    if not w.withheld:
        return getattr(w, name)
    if name == "people":
        return _("fewer than %(n)d") % {"n": report.suppress_below}
    return _("withheld")


def report_tables(report: Report) -> dict[str, Table]:
    """Every table of the report as rows, for the spreadsheet, CSV, JSON and Word exports."""
    return {
        **_workshop_tables(report),
        **_state_tables(report),
        **_local_tables(report),
        **_appendix_tables(report),
    }


def _workshop_tables(report: Report) -> dict[str, Table]:
    return {
        "workshops": Table(
            _("Workshops"),
            (_("Workshop"), _("Kind"), _("Date"), _("Start"), _("End"), _("Venue"),
             _("People"), _("Organisations"), _("Attendance counted")),
            tuple(
                (w.title, w.kind_label, w.date, w.start_time, w.end_time, w.venue,
                 _attendance(w, report, "people"), _attendance(w, report, "organisations"),
                 _attendance_counted(w))
                for w in report.workshops
            ),
        ),
        "agenda": Table(
            _("Agenda"),
            (_("Workshop"), _("No."), _("Session"), _("Purpose"), _("Prompt")),
            tuple(
                (w.title, item.position, item.title, item.purpose, item.prompt)
                for w in report.workshops
                for item in w.agenda
            ),
        ),
    }  # fmt: skip


def _state_tables(report: Report) -> dict[str, Table]:
    paper = paper_header()
    return {
        "state_values": Table(
            _("State workshop: values sought"),
            (_("No."), _("Category"), _("Description"), _("Statements")),
            tuple(
                (line.reference_number, line.name, line.description,
                 _figure(line, "statement_count"))
                for line in report.state_values
            ),
        ),
        "state_concerns": Table(
            _("State workshop: concerns ranked"),
            (_("Rank"), _("No."), _("Category"), _("Votes"), paper, _("Description"),
             _("Statements")),
            tuple(
                (_figure(line, "rank"), line.reference_number, line.name, _figure(line, "votes"),
                 _figure(line, "paper_votes"), line.description, _figure(line, "statement_count"))
                for line in report.state_concerns
            ),
        ),
    }  # fmt: skip


def _local_tables(report: Report) -> dict[str, Table]:
    overlap = report.concerns_overlap
    paper = paper_header()
    return {
        "local_benefits": Table(
            _("Local workshop: benefits ranked"),
            (_("Rank"), _("Category"), _("Votes"), paper),
            tuple(
                (_figure(c.category, "rank"), c.category.name, _figure(c.category, "votes"),
                 _figure(c.category, "paper_votes"))
                for c in report.local_benefits
            ),
        ),
        "local_concerns": Table(
            _("Local workshop: concerns, local and state rank"),
            (_("Local rank"), _("State rank"), _("Category"), _("Votes"), paper,
             _("State votes")),
            tuple(
                (_figure(c.category, "rank"), _figure(c.state, "rank"), c.category.name,
                 _figure(c.category, "votes"), _figure(c.category, "paper_votes"),
                 _figure(c.state, "votes"))
                for c in report.local_concerns
            ),
        ),
        "overlap": Table(
            _("Overlap of the concern rankings"),
            (_("Measure"), _("Value")),
            (
                (_("Categories in both rankings"), overlap.pairs if overlap else 0),
                (_("Spearman's rho"), overlap.spearman_rho if overlap else None),
                (_("Kendall's tau-b"), overlap.kendall_tau if overlap else None),
                (_("Summary"), overlap.summary if overlap else ""),
            ),
        ),
    }  # fmt: skip


def _appendix_tables(report: Report) -> dict[str, Table]:
    paper = paper_header()
    return {
        "appendix_a": Table(
            _("Appendix A: value statements"),
            (_("No."), _("Category"), _("Statement"), _("Use")),
            tuple(
                (g.category.reference_number if g.category else None,
                 g.category.name if g.category else _("Not put in a category"), s.text, s.use)
                for g in report.appendix_a
                for s in g.statements
            ),
        ),
        "appendix_b": Table(
            _("Appendix B: concern statements"),
            (_("Rank"), _("Category"), _("Votes"), paper, _("Statement"), _("Use")),
            tuple(
                (_figure(g.category, "rank"),
                 g.category.name if g.category else _("Not put in a category"),
                 _figure(g.category, "votes"), _figure(g.category, "paper_votes"), s.text, s.use)
                for g in report.appendix_b
                for s in g.statements
            ),
        ),
    }  # fmt: skip


# A figure that includes dots counted on paper carries this mark; a note under the table says
# how many of them were counted on paper (rather than a second number that wraps the column).
PAPER_MARK = "\u2020"  # †


def votes_text(line: CategoryLine) -> str:
    """A category's votes as "12", or "12†" where some were counted on paper."""
    if line.paper_votes:
        return f"{line.votes}{PAPER_MARK}"
    return str(line.votes)


def paper_votes_note(lines: Sequence[CategoryLine]) -> str:
    """The note under a table whose figures carry the paper mark; "" where none does."""
    marked = [line for line in lines if line.paper_votes and not line.withheld]
    if not marked:
        return ""
    parts = "; ".join(
        _("%(name)s, %(paper)d of %(votes)d")
        % {"name": line.name, "paper": line.paper_votes, "votes": line.votes}
        for line in marked
    )
    return _("%(mark)s Includes dots counted on paper wall charts: %(parts)s.") % {
        "mark": PAPER_MARK,
        "parts": parts,
    }


def withheld_sentence(report: Report) -> str:
    return _(
        "Workshops with fewer than %(n)d participants show no counts and no statements, so "
        "that nobody in a small group can be recognised: %(workshops)s."
    ) % {
        "n": report.suppress_below,
        "workshops": ", ".join(w.title for w in report.withheld_workshops),
    }


def statements_withheld_sentence(report: Report, count: int) -> str:
    return ngettext(
        "%(count)d statement is withheld because fewer than %(n)d people took part in its "
        "workshop.",
        "%(count)d statements are withheld because fewer than %(n)d people took part in their "
        "workshop.",
        count,
    ) % {"count": count, "n": report.suppress_below}


def left_out_sentence(report: Report) -> str:
    """What *About the figures* says of the workshops the report leaves out; "" where none."""
    if not report.left_out:
        return ""
    if len(report.left_out) == 1:
        (w,) = report.left_out
        values = {"title": w.title, "day": formats.day(w.date)}
        if w.practice:
            return _("This report leaves out the practice workshop “%(title)s” (%(day)s).") % values
        return _("This report leaves out the workshop “%(title)s” (%(day)s).") % values
    named = [
        _("“%(title)s” (%(day)s)") % {"title": w.title, "day": formats.day(w.date)}
        for w in report.left_out
    ]
    return ngettext(
        "This report leaves out %(count)d workshop: %(workshops)s.",
        "This report leaves out %(count)d workshops: %(workshops)s.",
        len(named),
    ) % {
        "count": len(named),
        "workshops": _("%(first)s and %(last)s")
        % {"first": ", ".join(named[:-1]), "last": named[-1]},
    }


def categories_sentence(report: Report) -> str:
    """How the categories were formed: by facilitators, and how many statements were filed by
    accepting a clustering suggestion; "" where no statement is in a category."""
    if not report.categorised_statements:
        return ""
    if not report.filed_from_suggestions:
        return _("Facilitators formed the categories with the participants.")
    return ngettext(
        "Facilitators formed the categories with the participants; %(n)s of %(total)s "
        "categorised statements was filed from a suggestion accepted by a facilitator.",
        "Facilitators formed the categories with the participants; %(n)s of %(total)s "
        "categorised statements were filed from suggestions accepted by a facilitator.",
        report.filed_from_suggestions,
    ) % {
        "n": formats.count(report.filed_from_suggestions),
        "total": formats.count(report.categorised_statements),
    }
