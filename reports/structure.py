"""The summary report as plain, frozen data. Built once by reports.selectors.report_build;
every export (HTML, PDF, Word, spreadsheet, CSV, JSON) only renders it, so they never disagree.
"""

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class NarrativeSection:
    key: str
    title: str
    markdown: str
    html: str  # sanitised


@dataclass(frozen=True)
class AgendaItem:
    position: int
    title: str
    prompt: str
    purpose: str


@dataclass(frozen=True)
class WorkshopSummary:
    pk: int
    title: str
    kind: str
    kind_label: str
    date: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    venue: str
    description: str
    people: int | None  # None where withheld (see ``withheld``) or not recorded
    organisations: int | None
    counted_from_records: bool
    agenda: tuple[AgendaItem, ...]
    # Fewer people than the phase's suppression threshold took part: the report gives no
    # counts and no statements of this workshop, and its attendance reads "fewer than N".
    withheld: bool = False
    # False where nothing records who came: no head count was reported and nobody joined
    # online (a workshop imported with paper dot totals only). Its attendance reads
    # "not recorded", never "0 people".
    attendance_recorded: bool = True
    practice: bool = False  # a practice or pilot workshop (left out of the report by default)


@dataclass(frozen=True)
class CategoryLine:
    """One category in a table: its reference number, name, description and figures.

    ``votes`` is every dot, placed one by one or counted on a paper wall chart, and is what
    ranks the category; ``paper_votes`` says how many of them were counted on paper. Where the
    category's workshop is withheld (a small group) every figure is None and ``withheld`` True.
    """

    pk: int
    reference_number: int
    name: str
    description: str
    votes: int | None
    statement_count: int | None
    rank: int | None = None  # within its own ranking; None where a list is not ranked
    paper_votes: int | None = 0
    withheld: bool = False


@dataclass(frozen=True)
class ComparedLine:
    """A local ranking category beside the state category it was presented from."""

    category: CategoryLine
    state: CategoryLine | None

    @property
    def moved(self) -> int | None:
        """Places moved from the state rank to the local rank; positive means up."""
        if self.state is None or self.state.rank is None or self.category.rank is None:
            return None
        return self.state.rank - self.category.rank


@dataclass(frozen=True)
class Overlap:
    """How far two rankings agree. The coefficients are rounded once, when the report is
    built (reports.formats.COEFFICIENT_PLACES), so every format prints the same figure."""

    pairs: int
    spearman_rho: float | None
    kendall_tau: float | None
    moved_most: tuple[ComparedLine, ...]
    summary: str


@dataclass(frozen=True)
class StatementLine:
    pk: int
    text: str
    use: str  # "", "E" or "I"

    @property
    def text_with_mark(self) -> str:
        return f"{self.text} ({self.use})" if self.use else self.text


@dataclass(frozen=True)
class AppendixGroup:
    category: CategoryLine | None  # None: statements not put in any category
    statements: tuple[StatementLine, ...]


@dataclass(frozen=True)
class Report:
    phase_pk: int
    slug: str
    title: str
    subtitle: str
    organisation: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    narrative: dict[str, NarrativeSection]
    workshops: tuple[WorkshopSummary, ...]
    state_workshop: WorkshopSummary | None
    local_workshop: WorkshopSummary | None
    state_values: tuple[CategoryLine, ...]
    state_concerns: tuple[CategoryLine, ...]
    local_benefits: tuple[ComparedLine, ...]
    local_concerns: tuple[ComparedLine, ...]
    concerns_overlap: Overlap | None
    appendix_a: tuple[AppendixGroup, ...]
    appendix_b: tuple[AppendixGroup, ...]
    hidden_statements: int
    rank_rule: str
    generated_at: dt.datetime
    notes: tuple[str, ...] = field(default=())
    # Small-group suppression: workshops with fewer participants than this (0: none) are
    # withheld; the appendices count the statements they leave out for that reason.
    suppress_below: int = 0
    appendix_a_withheld: int = 0
    appendix_b_withheld: int = 0
    # The report's scope: the phase's workshops it leaves out (practice or pilot workshops by
    # default, or as staff chose). ``workshops`` and every figure cover only the others.
    left_out: tuple[WorkshopSummary, ...] = ()
    # How the categories were formed: categorised statements, and how many of them a
    # facilitator filed by accepting a suggestion (responses.suggest).
    categorised_statements: int = 0
    filed_from_suggestions: int = 0

    @property
    def withheld_workshops(self) -> tuple[WorkshopSummary, ...]:
        return tuple(w for w in self.workshops if w.withheld)

    @property
    def has_paper_votes(self) -> bool:
        lines = (
            *self.state_concerns,
            *(c.category for c in self.local_benefits),
            *(c.category for c in self.local_concerns),
        )
        return any(line.paper_votes for line in lines)

    @property
    def statements_withheld(self) -> int:
        return self.appendix_a_withheld + self.appendix_b_withheld

    def section(self, key: str) -> NarrativeSection:
        return self.narrative[key]
