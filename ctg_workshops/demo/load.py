"""Illustrative sample data: a workshop series shaped like CTG's Exploratory Social Media Project.

The phase, its three workshops, their sessions, participants, statements, categories and dots
follow the structure of the 2009 Phase I workshops and use the state workshop's category names,
but every figure, statement and participant here is made up for demonstration: they are not the
2009 records.

``sample_data_load`` is deterministic (one ``random.Random(2009)``), idempotent (it does nothing
when the phase already exists, unless asked to reset) and, when asked, sets up two demo accounts
whose passwords are fixed and documented: they are only ever created with DEBUG on.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ctg_workshops.demo.data import (
    CONCERN_CATEGORIES,
    CONCERNS_PROMPT,
    DEMO_FACILITATOR_PASSWORD,
    DEMO_FACILITATOR_USERNAME,
    DEMO_STAFF_PASSWORD,
    DEMO_STAFF_USERNAME,
    HIDDEN_CONCERN,
    HIDDEN_REASON,
    ILLUSTRATIVE,
    INTERNAL_NOTES_1,
    INTERNAL_NOTES_2,
    INTERNAL_PROMPT,
    LOCAL_CONCERN_DOTS,
    LOCAL_GOVERNMENTS,
    LOCAL_VALUE_DOTS,
    NAMED_STATE_PARTICIPANTS,
    NARRATIVE,
    NYS_FORUM,
    SAMPLE_PHASE_SLUG,
    SAMPLE_SEED,
    STATE_AGENCIES,
    STATE_CONCERN_DOTS,
    VALUE_CATEGORIES,
    VALUES_PROMPT,
    VENUE_TZ,
    CategorySpec,
    DemoLogin,
    SampleDataResult,
)
from reports.models import ReportNarrative
from responses.models import Category, Dot, Participant, Statement
from sessions.models import NoteRevision, PlenarySession, ProjectPhase, Workshop
from sessions.roles import user_grant_role


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=VENUE_TZ)


def _key(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _dot_allocation(
    *, rng: random.Random, participants: int, totals: Sequence[int], dots_each: int
) -> list[list[int]]:
    """For each participant, the indices of the categories they dot (one dot each, no stacking).

    Each participant takes the categories with the most dots still to place (ties broken at
    random). With equal dots per participant this greedy order always reaches the totals exactly
    when they are reachable at all (Gale-Ryser), and the check below makes sure it did.
    """
    if sum(totals) != participants * dots_each or max(totals) > participants:
        raise ValueError("dot totals cannot be reached by these participants")
    remaining = list(totals)
    allocation: list[list[int]] = []
    for _ in range(participants):
        order = sorted(range(len(remaining)), key=lambda i: (-remaining[i], rng.random()))
        chosen = sorted(order[:dots_each])
        for i in chosen:
            remaining[i] -= 1
        allocation.append(chosen)
    if any(remaining):
        raise RuntimeError("dot allocation did not reach the totals")
    rng.shuffle(allocation)
    return allocation


def _demo_accounts_ensure(*, phase: ProjectPhase) -> tuple[DemoLogin, ...]:
    user_model = get_user_model()

    def account(username: str, first: str, last: str, password: str) -> AbstractBaseUser:
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name = first
        user.last_name = last
        user.is_active = True
        user.set_password(password)
        user.save()
        return user

    facilitator = account(
        DEMO_FACILITATOR_USERNAME, "Dana", "Facilitator", DEMO_FACILITATOR_PASSWORD
    )
    user_grant_role(user=facilitator, role="facilitator")
    facilitator.facilitated_workshops.add(
        *Workshop.objects.filter(phase=phase, kind__in=[Workshop.Kind.STATE, Workshop.Kind.LOCAL])
    )
    staff = account(DEMO_STAFF_USERNAME, "Sam", "Analyst", DEMO_STAFF_PASSWORD)
    user_grant_role(user=staff, role="staff")
    return (
        DemoLogin("facilitator", DEMO_FACILITATOR_USERNAME, DEMO_FACILITATOR_PASSWORD),
        DemoLogin("staff", DEMO_STAFF_USERNAME, DEMO_STAFF_PASSWORD),
    )


def _phase_delete(phase: ProjectPhase) -> None:
    """Delete a phase and everything under it.

    Workshop.phase and Category.presented_from are PROTECT, so the rows are removed from the
    leaves up: the local categories (which point at the state ones) before any other category.
    """
    in_phase = {"session__workshop__phase": phase}
    Dot.objects.filter(**in_phase).delete()
    Statement.objects.filter(**in_phase).delete()
    NoteRevision.objects.filter(**in_phase).delete()
    Category.objects.filter(**in_phase, presented_from__isnull=False).delete()
    Category.objects.filter(**in_phase).delete()
    Participant.objects.filter(workshop__phase=phase).delete()
    PlenarySession.objects.filter(workshop__phase=phase).delete()
    Workshop.objects.filter(phase=phase).delete()
    ReportNarrative.objects.filter(phase=phase).delete()
    phase.delete()


def _phase_counts(phase: ProjectPhase) -> dict[str, int]:
    in_phase = {"session__workshop__phase": phase}
    return {
        "workshops": Workshop.objects.filter(phase=phase).count(),
        "sessions": PlenarySession.objects.filter(workshop__phase=phase).count(),
        "participants": Participant.objects.filter(workshop__phase=phase).count(),
        "categories": Category.objects.filter(**in_phase).count(),
        "statements": Statement.objects.filter(**in_phase).count(),
        "dots": sum(Dot.objects.filter(**in_phase).values_list("count", flat=True)),
        "note_revisions": NoteRevision.objects.filter(**in_phase).count(),
    }


def _participants_create(
    *,
    workshop: Workshop,
    organisations: Sequence[tuple[str, int]],
    level: str,
    level_by_organisation: Mapping[str, str] | None = None,
    named: Sequence[tuple[str, str, str]] = (),
    consent_at: datetime | None = None,
) -> list[Participant]:
    levels = level_by_organisation or {}
    named_by_org = {org: (name, role) for org, name, role in named}
    rows: list[Participant] = []
    for organisation, how_many in organisations:
        for n in range(how_many):
            participant = Participant(
                workshop=workshop,
                organisation=organisation,
                level_of_government=levels.get(organisation, level),
                # Everyone joined as the workshop began.
                joined_at=_at(workshop.date, workshop.start_time or time(9, 0)),
            )
            if n == 0 and organisation in named_by_org:
                participant.name, participant.role = named_by_org[organisation]
                participant.consent_to_be_named = True
                participant.consent_recorded_at = consent_at
            rows.append(participant)
    return Participant.objects.bulk_create(rows)


def _categories_create(
    *,
    session: PlenarySession,
    specs: Sequence[CategorySpec] = (),
    presented_from: Sequence[Category] = (),
) -> list[Category]:
    if presented_from:
        rows = [
            Category(
                session=session,
                reference_number=source.reference_number,
                name=source.name,
                description=source.description,
                presented_from=source,
            )
            for source in presented_from
        ]
    else:
        rows = [
            Category(
                session=session, reference_number=n, name=spec.name, description=spec.description
            )
            for n, spec in enumerate(specs, start=1)
        ]
    return Category.objects.bulk_create(rows)


def _statements_build(
    *,
    rng: random.Random,
    session: PlenarySession,
    specs: Sequence[CategorySpec],
    categories: Sequence[Category],
    participants: Sequence[Participant],
) -> list[Statement]:
    rows: list[Statement] = []
    # Cards were written during the session, before it moved on: 20 seconds apart, in order.
    written = session.phase_changed_at - timedelta(minutes=45)
    for spec, category in zip(specs, categories, strict=True):
        for text, use in spec.statements:
            written += timedelta(seconds=20)
            # Most answers were written on cards; a few were typed in from a flip chart.
            source = Statement.Source.FACILITATOR if rng.random() < 0.1 else Statement.Source.CARD
            rows.append(
                Statement(
                    session=session,
                    participant=rng.choice(participants),
                    category=category,
                    text=text,
                    use=use,
                    source=source,
                    idempotency_key=_key(rng),
                    created_at=written,
                )
            )
    return rows


def _dots_build(
    *,
    rng: random.Random,
    session: PlenarySession,
    categories: Sequence[Category],
    participants: Sequence[Participant],
    totals: Sequence[int],
) -> list[Dot]:
    allocation = _dot_allocation(
        rng=rng,
        participants=len(participants),
        totals=totals,
        dots_each=session.dots_per_participant,
    )
    # Dots were placed in the ten minutes before the session moved on.
    placed = session.phase_changed_at - timedelta(minutes=10)
    return [
        Dot(
            session=session,
            category=categories[i],
            participant=participant,
            count=1,
            placed_at=placed + timedelta(seconds=n),
        )
        for n, (participant, chosen) in enumerate(zip(participants, allocation, strict=True))
        for i in chosen
    ]


# --- The load ---------------------------------------------------------------------------------


@transaction.atomic
def sample_data_load(*, with_demo_accounts: bool, reset: bool = False) -> SampleDataResult:
    """Load the illustrative Phase I series, unless it is already there.

    With ``reset`` the phase and everything under it is deleted first and loaded again. With
    ``with_demo_accounts`` (callers pass settings.DEBUG) the demo facilitator and staff accounts
    are created or updated, and their passwords set, on every call.
    """
    existing = ProjectPhase.objects.filter(slug=SAMPLE_PHASE_SLUG).first()
    was_reset = existing is not None and reset
    if was_reset:
        _phase_delete(existing)
        existing = None
    if existing is not None:
        logins = _demo_accounts_ensure(phase=existing) if with_demo_accounts else ()
        return SampleDataResult(
            phase=existing,
            created=False,
            reset=False,
            counts=_phase_counts(existing),
            demo_logins=logins,
        )

    rng = random.Random(SAMPLE_SEED)  # noqa: S311 - reproducible sample data, not secrets
    phase = ProjectPhase.objects.create(
        title="Exploratory Social Media Project — Phase I",
        slug=SAMPLE_PHASE_SLUG,
        subtitle="Identifying benefits and concerns surrounding use of social media in government",
        organisation="Center for Technology in Government, University at Albany",
        starts_on=date(2009, 7, 1),
        ends_on=date(2009, 10, 31),
    )
    ReportNarrative.objects.create(phase=phase, **NARRATIVE)
    _internal_workshop_create(phase=phase)
    state_value_cats, state_concern_cats, dots = _state_workshop_create(phase=phase, rng=rng)
    dots += _local_workshop_create(
        phase=phase, rng=rng, value_lists=state_value_cats, concern_lists=state_concern_cats
    )
    Dot.objects.bulk_create(dots)

    logins = _demo_accounts_ensure(phase=phase) if with_demo_accounts else ()
    return SampleDataResult(
        phase=phase,
        created=True,
        reset=was_reset,
        counts=_phase_counts(phase),
        demo_logins=logins,
    )


def _internal_workshop_create(*, phase: ProjectPhase) -> None:
    """1. Internal discussion: notes only."""
    closed = PlenarySession.Phase.CLOSED
    internal_day = date(2009, 7, 22)
    internal = Workshop.objects.create(
        phase=phase,
        reference="esmp1-internal",
        title="Internal discussion",
        kind=Workshop.Kind.INTERNAL,
        status=Workshop.Status.COMPLETED,
        date=internal_day,
        start_time=time(10, 0),
        end_time=time(11, 30),
        venue="CTG offices, University at Albany",
        description=(
            "CTG staff discussed where government use of social media meets the Center's "
            f"expertise and where the literature falls short. {ILLUSTRATIVE}"
        ),
    )
    discussion = PlenarySession.objects.create(
        workshop=internal,
        position=1,
        title="Focus and gaps in the literature",
        prompt=INTERNAL_PROMPT,
        purpose=PlenarySession.Purpose.DISCUSSION,
        writing_minutes=10,
        phase=closed,
        phase_changed_at=_at(internal_day, time(11, 30)),
    )
    NoteRevision.objects.bulk_create(
        [
            NoteRevision(session=discussion, number=1, based_on=None, text=INTERNAL_NOTES_1),
            NoteRevision(session=discussion, number=2, based_on=1, text=INTERNAL_NOTES_2),
        ]
    )


def _state_workshop_create(
    *, phase: ProjectPhase, rng: random.Random
) -> tuple[list[Category], list[Category], list[Dot]]:
    """2. State agency workshop: statements in both sessions, dots on the concerns only."""
    state_day = date(2009, 9, 17)
    state = Workshop.objects.create(
        phase=phase,
        reference="esmp1-state",
        title="State agency workshop",
        kind=Workshop.Kind.STATE,
        status=Workshop.Status.COMPLETED,
        date=state_day,
        start_time=time(8, 30),
        end_time=time(10, 30),
        venue="Center for Technology in Government, Albany, NY",
        description=(
            "Government professionals from 16 state agencies and the NYS Forum named the value "
            "they expect from social media and the concerns their agencies face, then ranked the "
            f"concerns with four dots each. {ILLUSTRATIVE}"
        ),
    )
    state_people = _participants_create(
        workshop=state,
        organisations=(*STATE_AGENCIES, (NYS_FORUM, 1)),
        level=Participant.Level.STATE,
        # The NYS Forum is a not-for-profit of government IT professionals, not an agency.
        level_by_organisation={NYS_FORUM: Participant.Level.OTHER},
        named=NAMED_STATE_PARTICIPANTS,
        consent_at=_at(state_day, time(8, 40)),
    )
    state_values, state_concerns = _state_sessions_create(workshop=state, day=state_day)
    state_value_cats = _categories_create(session=state_values, specs=VALUE_CATEGORIES)
    state_concern_cats = _categories_create(session=state_concerns, specs=CONCERN_CATEGORIES)
    statements = _statements_build(
        rng=rng,
        session=state_values,
        specs=VALUE_CATEGORIES,
        categories=state_value_cats,
        participants=state_people,
    ) + _statements_build(
        rng=rng,
        session=state_concerns,
        specs=CONCERN_CATEGORIES,
        categories=state_concern_cats,
        participants=state_people,
    )
    hidden_index, hidden_text = HIDDEN_CONCERN
    statements.append(
        Statement(
            session=state_concerns,
            participant=rng.choice(state_people),
            category=state_concern_cats[hidden_index],
            text=hidden_text,
            source=Statement.Source.CARD,
            hidden=True,
            hidden_reason=HIDDEN_REASON,
            idempotency_key=_key(rng),
        )
    )
    Statement.objects.bulk_create(statements)
    dots = _dots_build(
        rng=rng,
        session=state_concerns,
        categories=state_concern_cats,
        participants=state_people,
        totals=STATE_CONCERN_DOTS,
    )
    return state_value_cats, state_concern_cats, dots


def _state_sessions_create(
    *, workshop: Workshop, day: date
) -> tuple[PlenarySession, PlenarySession]:
    closed = PlenarySession.Phase.CLOSED
    state_values = PlenarySession.objects.create(
        workshop=workshop,
        position=1,
        title="Session 1: Values",
        prompt=VALUES_PROMPT,
        purpose=PlenarySession.Purpose.VALUES,
        phase=closed,
        phase_changed_at=_at(day, time(9, 25)),
        results_revealed=False,  # the values were not voted on at the state workshop
    )
    state_concerns = PlenarySession.objects.create(
        workshop=workshop,
        position=2,
        title="Session 2: Concerns",
        prompt=CONCERNS_PROMPT,
        purpose=PlenarySession.Purpose.CONCERNS,
        phase=closed,
        phase_changed_at=_at(day, time(10, 25)),
        results_revealed=True,
    )
    return state_values, state_concerns


def _local_workshop_create(
    *,
    phase: ProjectPhase,
    rng: random.Random,
    value_lists: list[Category],
    concern_lists: list[Category],
) -> list[Dot]:
    """3. Local government workshop: the state lists as presented, ranked with dots."""
    closed = PlenarySession.Phase.CLOSED
    local_day = date(2009, 10, 20)
    local = Workshop.objects.create(
        phase=phase,
        reference="esmp1-local",
        title="Local government workshop",
        kind=Workshop.Kind.LOCAL,
        status=Workshop.Status.COMPLETED,
        date=local_day,
        start_time=time(13, 30),
        end_time=time(14, 30),
        venue="NYS Local Government IT Directors' Association conference",
        description=(
            "Local government professionals ranked the two lists from the state agency "
            "workshop, four dots per list, to show how far state and local concerns overlap. "
            f"{ILLUSTRATIVE}"
        ),
    )
    local_people = _participants_create(
        workshop=local, organisations=LOCAL_GOVERNMENTS, level=Participant.Level.LOCAL
    )
    local_values = PlenarySession.objects.create(
        workshop=local,
        position=1,
        title="Ranking the state workshop's values",
        prompt=(
            "Place your four dots on the values from the state agency workshop that matter most "
            "to your government."
        ),
        purpose=PlenarySession.Purpose.VALUES,
        phase=closed,
        phase_changed_at=_at(local_day, time(14, 0)),
        results_revealed=True,
    )
    local_concerns = PlenarySession.objects.create(
        workshop=local,
        position=2,
        title="Ranking the state workshop's concerns",
        prompt=(
            "Place your four dots on the areas of concern from the state agency workshop that "
            "you see as most pressing for your government."
        ),
        purpose=PlenarySession.Purpose.CONCERNS,
        phase=closed,
        phase_changed_at=_at(local_day, time(14, 30)),
        results_revealed=True,
    )
    local_value_cats = _categories_create(session=local_values, presented_from=value_lists)
    local_concern_cats = _categories_create(session=local_concerns, presented_from=concern_lists)
    dots = _dots_build(
        rng=rng,
        session=local_values,
        categories=local_value_cats,
        participants=local_people,
        totals=LOCAL_VALUE_DOTS,
    )
    dots += _dots_build(
        rng=rng,
        session=local_concerns,
        categories=local_concern_cats,
        participants=local_people,
        totals=LOCAL_CONCERN_DOTS,
    )
    return dots
