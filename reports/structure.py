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
    people: int
    organisations: int
    counted_from_records: bool
    agenda: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class CategoryLine:
    """One category in a table: its reference number, name, description and figures."""

    pk: int
    reference_number: int
    name: str
    description: str
    votes: int
    statement_count: int
    rank: int | None = None  # within its own ranking; None where a list is not ranked


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

    def section(self, key: str) -> NarrativeSection:
        return self.narrative[key]
