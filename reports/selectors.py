"""Building the summary report from the records, with a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.formats import COEFFICIENT_PLACES
from reports.models import ReportNarrative
from reports.narrative import SECTIONS, markdown_to_html
from reports.ranking import RANK_RULE, competition_ranks, kendall_tau_b, spearman_rho
from reports.structure import (
    AgendaItem,
    AppendixGroup,
    CategoryLine,
    ComparedLine,
    NarrativeSection,
    Overlap,
    Report,
    StatementLine,
    WorkshopSummary,
)
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from sessions.models import PlenarySession, ProjectPhase, Workshop


def report_build(*, phase: ProjectPhase | str) -> Report:
    """The summary report of a phase (or its slug). Six queries, whatever the phase's size."""
    phase = _phase(phase)
    narrative = getattr(phase, "narrative", None)
    threshold = narrative.suppress_below if narrative else 0
    scope = report_scope(phase=phase, prefetch=True)
    workshops = scope.included
    included = [w.pk for w in workshops]
    attendance = _attendance(included)
    categories = _categories(included)
    statements, counts = _statements(included)

    summaries = tuple(_workshop_summary(w, attendance.get(w.pk), threshold) for w in workshops)
    withheld = {s.pk for s in summaries if s.withheld}
    state = _first(workshops, Workshop.Kind.STATE)
    local = _first(workshops, Workshop.Kind.LOCAL)
    sessions = {
        (kind, purpose): _session(workshop, purpose)
        for kind, workshop in (("state", state), ("local", local))
        for purpose in (PlenarySession.Purpose.VALUES, PlenarySession.Purpose.CONCERNS)
    }
    lines = {
        key: _lines(
            categories.get(session.pk, []) if session else [],
            ranked=key != ("state", "values"),
            withheld=session is not None and session.workshop_id in withheld,
        )
        for key, session in sessions.items()
    }
    by_pk = {line.pk: line for group in lines.values() for line in group}
    origins = {c.pk: c.presented_from_id for group in categories.values() for c in group}
    local_benefits = _compared(lines[("local", "values")], origins, by_pk)
    local_concerns = _compared(lines[("local", "concerns")], origins, by_pk)
    state_values, state_concerns = lines[("state", "values")], lines[("state", "concerns")]
    state_withheld = state is not None and state.pk in withheld
    value_statements = statements.get(_pk(sessions[("state", "values")]), [])
    concern_statements = statements.get(_pk(sessions[("state", "concerns")]), [])

    return Report(
        phase_pk=phase.pk,
        slug=phase.slug,
        title=phase.title,
        subtitle=phase.subtitle,
        organisation=phase.organisation,
        # The cover's dates span the workshops the report covers (the phase's own dates
        # where it has none yet), so a pilot left out does not stretch them.
        starts_on=min((w.date for w in workshops), default=phase.starts_on),
        ends_on=max((w.date for w in workshops), default=phase.ends_on),
        narrative=_narrative(narrative),
        workshops=summaries,
        state_workshop=next((s for s in summaries if state and s.pk == state.pk), None),
        local_workshop=next((s for s in summaries if local and s.pk == local.pk), None),
        state_values=tuple(state_values),
        state_concerns=tuple(sorted(state_concerns, key=_rank_order)),
        local_benefits=tuple(sorted(local_benefits, key=lambda c: _rank_order(c.category))),
        local_concerns=tuple(sorted(local_concerns, key=lambda c: _rank_order(c.category))),
        concerns_overlap=_overlap(local_concerns, threshold) if local_concerns else None,
        # A withheld workshop's statements are left out, and counted, rather than quoted.
        appendix_a=() if state_withheld else _appendix(state_values, value_statements),
        appendix_b=(
            ()
            if state_withheld
            else _appendix(sorted(state_concerns, key=_rank_order), concern_statements)
        ),
        hidden_statements=counts.hidden,
        rank_rule=_(RANK_RULE),
        generated_at=timezone.now(),
        suppress_below=threshold,
        appendix_a_withheld=len(value_statements) if state_withheld else 0,
        appendix_b_withheld=len(concern_statements) if state_withheld else 0,
        left_out=tuple(_workshop_summary(w, None, 0) for w in scope.left_out),
        categorised_statements=counts.categorised,
        filed_from_suggestions=counts.from_suggestions,
    )


def _narrative(narrative: ReportNarrative | None) -> dict[str, NarrativeSection]:
    return {
        key: NarrativeSection(
            key=key,
            title=str(title),
            markdown=getattr(narrative, key, "") if narrative else "",
            html=markdown_to_html(getattr(narrative, key, "") if narrative else ""),
        )
        for key, title in SECTIONS
    }


@dataclass(frozen=True)
class ReportScope:
    """The phase's workshops (cancelled ones aside) the report covers, and those it leaves out."""

    included: list[Workshop]
    left_out: list[Workshop]


def report_scope(*, phase: ProjectPhase, prefetch: bool = False) -> ReportScope:
    """Which workshops the report covers: every one but the practice workshops, unless staff
    chose otherwise (ReportNarrative.workshops_left_out / practice_included). One query."""
    narrative = ReportNarrative.objects.filter(phase_id=phase.pk)
    workshops = (
        Workshop.objects.filter(phase=phase)
        .exclude(status=Workshop.Status.CANCELLED)
        .annotate(
            chosen_out=Exists(
                ReportNarrative.workshops_left_out.through.objects.filter(
                    reportnarrative__in=narrative, workshop=OuterRef("pk")
                )
            ),
            chosen_in=Exists(
                ReportNarrative.practice_included.through.objects.filter(
                    reportnarrative__in=narrative, workshop=OuterRef("pk")
                )
            ),
        )
        .order_by("date", "start_time", "pk")
    )
    if prefetch:
        workshops = workshops.prefetch_related("sessions")
    included, left_out = [], []
    for workshop in workshops:
        covered = workshop.chosen_in if workshop.practice else not workshop.chosen_out
        (included if covered else left_out).append(workshop)
    return ReportScope(included=included, left_out=left_out)


def _phase(phase: ProjectPhase | str) -> ProjectPhase:
    if isinstance(phase, ProjectPhase):
        return ProjectPhase.objects.select_related("narrative").get(pk=phase.pk)
    return ProjectPhase.objects.select_related("narrative").get(slug=phase)


def _attendance(workshops: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        Participant.objects.filter(workshop_id__in=workshops)
        .values("workshop")
        .annotate(
            people=Count("pk"),
            organisations=Count(Lower("organisation"), distinct=True, filter=~Q(organisation="")),
        )
    )
    return {row["workshop"]: (row["people"], row["organisations"]) for row in rows}


def _categories(workshops: list[int]) -> dict[int, list[Category]]:
    # Correlated subqueries (each an index lookup per category) rather than a join and
    # GROUP BY: a join of statements and dots would multiply rows and, over a large archive,
    # took seconds where this takes milliseconds (bench/report_archive.py). The paper total is
    # one row per category at most (a one-to-one link), so it needs no aggregate.
    # order_by() clears the models' default ordering, whose joins would otherwise run per row.
    votes = (
        Dot.objects.filter(category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(total=Sum("count"))
        .values("total")
    )
    statements = (
        Statement.objects.filter(category=OuterRef("pk"), hidden=False)
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values("n")
    )
    paper = PaperDotTally.objects.filter(category=OuterRef("pk")).order_by().values("count")[:1]
    categories = (
        Category.objects.filter(session__workshop_id__in=workshops)
        .annotate(
            dot_votes=Coalesce(Subquery(votes, output_field=IntegerField()), Value(0)),
            paper_votes=Coalesce(Subquery(paper, output_field=IntegerField()), Value(0)),
            statement_count=Coalesce(Subquery(statements, output_field=IntegerField()), Value(0)),
        )
        .order_by("session_id", "reference_number")
    )
    grouped: dict[int, list[Category]] = defaultdict(list)
    for category in categories:
        grouped[category.session_id].append(category)
    return grouped


@dataclass
class _StatementCounts:
    hidden: int = 0
    categorised: int = 0
    from_suggestions: int = 0


def _statements(workshops: list[int]) -> tuple[dict[int, list[tuple]], _StatementCounts]:
    rows = (
        Statement.objects.filter(session__workshop_id__in=workshops)
        .order_by("created_at", "pk")
        .values_list(
            "pk", "session_id", "category_id", "text", "use", "hidden", "filed_by_suggestion"
        )
    )
    grouped: dict[int, list[tuple]] = defaultdict(list)
    counts = _StatementCounts()
    for pk, session_id, category_id, text, use, is_hidden, suggested in rows:
        if is_hidden:
            counts.hidden += 1
            continue
        grouped[session_id].append((category_id, StatementLine(pk, text, use)))
        if category_id is not None:
            counts.categorised += 1
            counts.from_suggestions += suggested
    return grouped, counts


def is_withheld(people: int, threshold: int) -> bool:
    """Small-group suppression: a workshop with fewer people than a threshold above 0."""
    return threshold > 0 and people < threshold


def attendance_people(workshop: Workshop, counted: int) -> int:
    """The attendance the report uses: reported by the facilitators if given, else counted."""
    return workshop.attendance_people if workshop.attendance_people is not None else counted


def workshop_withheld_below(workshop: Workshop) -> int:
    """The phase's threshold if the report withholds this workshop's figures, else 0.

    For the traceability pages (two small queries); report_build decides the same from the
    counts it already has.
    """
    narrative = ReportNarrative.objects.filter(phase_id=workshop.phase_id).first()
    threshold = narrative.suppress_below if narrative else 0
    if not threshold:
        return 0
    people = attendance_people(workshop, Participant.objects.filter(workshop=workshop).count())
    return threshold if is_withheld(people, threshold) else 0


def may_be_named(participant: Participant) -> bool:
    """A participant's name (and what else identifies them) appears only with their consent,
    and never once their identity has been erased."""
    return (
        participant.consent_to_be_named
        and participant.erased_at is None
        and bool(participant.name.strip())
    )


def participant_label(participant: Participant) -> str:
    if may_be_named(participant):
        return participant.name
    return _("Participant %(reference)s") % {"reference": participant.reference}


def _workshop_summary(
    workshop: Workshop, counted: tuple[int, int] | None, threshold: int
) -> WorkshopSummary:
    people, organisations = counted or (0, 0)
    reported = workshop.attendance_people is not None
    recorded = reported or people > 0
    people = attendance_people(workshop, people)
    withheld = is_withheld(people, threshold)
    return WorkshopSummary(
        pk=workshop.pk,
        title=workshop.title,
        kind=workshop.kind,
        kind_label=str(workshop.get_kind_display()),
        date=workshop.date,
        start_time=workshop.start_time,
        end_time=workshop.end_time,
        venue=workshop.venue,
        description=workshop.description,
        people=None if withheld or not recorded else people,
        organisations=(
            None
            if withheld or not recorded
            else workshop.attendance_organisations
            if workshop.attendance_organisations is not None
            else organisations
        ),
        counted_from_records=not reported,
        withheld=withheld,
        attendance_recorded=recorded,
        practice=workshop.practice,
        agenda=tuple(
            AgendaItem(s.position, s.title, s.prompt, str(s.get_purpose_display()))
            for s in sorted(workshop.sessions.all(), key=lambda s: s.position)
        ),
    )


def _first(workshops: list[Workshop], kind: str) -> Workshop | None:
    return next((w for w in workshops if w.kind == kind), None)


def _session(workshop: Workshop | None, purpose: str) -> PlenarySession | None:
    if workshop is None:
        return None
    candidates = sorted(workshop.sessions.all(), key=lambda s: s.position)
    return next((s for s in candidates if s.purpose == purpose), None)


def _pk(session: PlenarySession | None) -> int | None:
    return session.pk if session else None


def _lines(categories: list[Category], *, ranked: bool, withheld: bool) -> list[CategoryLine]:
    if withheld:
        # No figures at all, and no rank: an order can reveal as much as the counts.
        return [
            CategoryLine(
                pk=c.pk,
                reference_number=c.reference_number,
                name=c.name,
                description=c.description,
                votes=None,
                statement_count=None,
                rank=None,
                paper_votes=None,
                withheld=True,
            )
            for c in categories
        ]
    totals = [c.dot_votes + c.paper_votes for c in categories]
    ranks = competition_ranks(totals) if ranked else [None] * len(categories)
    return [
        CategoryLine(
            pk=c.pk,
            reference_number=c.reference_number,
            name=c.name,
            description=c.description,
            votes=total,
            statement_count=c.statement_count,
            rank=rank,
            paper_votes=c.paper_votes,
        )
        for c, total, rank in zip(categories, totals, ranks, strict=True)
    ]


def _rank_order(line: CategoryLine) -> tuple[int, int]:
    return (line.rank or 0, line.reference_number)


def _compared(
    lines: list[CategoryLine], origins: dict[int, int | None], by_pk: dict[int, CategoryLine]
) -> list[ComparedLine]:
    return [ComparedLine(line, by_pk.get(origins.get(line.pk))) for line in lines]


def _overlap(compared: list[ComparedLine], threshold: int) -> Overlap:
    if any(c.category.withheld or (c.state is not None and c.state.withheld) for c in compared):
        return Overlap(
            pairs=0,
            spearman_rho=None,
            kendall_tau=None,
            moved_most=(),
            summary=_(
                "The two rankings are not compared: the figures of a workshop with fewer than "
                "%(n)d participants are withheld."
            )
            % {"n": threshold},
        )
    paired = [c for c in compared if c.state is not None]
    local_votes = [c.category.votes for c in paired]
    state_votes = [c.state.votes for c in paired]
    rho = _rounded(spearman_rho(state_votes, local_votes)) if len(paired) >= 2 else None
    tau = _rounded(kendall_tau_b(state_votes, local_votes)) if len(paired) >= 2 else None
    movers = sorted(
        (c for c in paired if c.moved),
        key=lambda c: (-abs(c.moved), c.category.rank, c.category.reference_number),
    )[:3]
    return Overlap(
        pairs=len(paired),
        spearman_rho=rho,
        kendall_tau=tau,
        moved_most=tuple(movers),
        summary=_overlap_summary(paired, movers, rho),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COEFFICIENT_PLACES)


def _overlap_summary(paired: list[ComparedLine], movers: list[ComparedLine], rho) -> str:
    if len(paired) < 2:
        return _("Too few categories were ranked in both workshops to compare the rankings.")
    top_local = [c.category.name for c in paired if c.category.rank == 1]
    top_state = [c.state.name for c in paired if c.state.rank == 1]
    parts = []
    if set(top_local) == set(top_state):
        parts.append(
            _("Local and state participants ranked the same concern first: %(names)s.")
            % {"names": ", ".join(top_local)}
        )
    else:
        parts.append(
            _(
                "Local participants ranked %(local)s first, "
                "where state participants ranked %(state)s first."
            )
            % {"local": ", ".join(top_local), "state": ", ".join(top_state)}
        )
    if movers:
        biggest = movers[0]
        parts.append(
            _(
                "The largest change: %(name)s, ranked %(state)d by the state workshop "
                "and %(local)d locally."
            )
            % {
                "name": biggest.category.name,
                "state": biggest.state.rank,
                "local": biggest.category.rank,
            }
        )
    else:
        parts.append(_("Every concern kept its place."))
    if rho is not None:
        parts.append(
            _("Spearman's rho is %(rho).2f (1 is the same order, 0 no relation, −1 the reverse).")
            % {"rho": rho}
        )
    return " ".join(parts)


def _appendix(lines: list[CategoryLine], statements: list[tuple]) -> tuple[AppendixGroup, ...]:
    by_category: dict[int | None, list[StatementLine]] = defaultdict(list)
    for category_id, statement in statements:
        by_category[category_id].append(statement)
    known = {line.pk for line in lines}
    groups = [AppendixGroup(line, tuple(by_category.get(line.pk, []))) for line in lines]
    loose = [
        s for category_id, items in by_category.items() if category_id not in known for s in items
    ]
    if loose:
        groups.append(AppendixGroup(None, tuple(loose)))
    return tuple(groups)
