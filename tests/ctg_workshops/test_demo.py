"""The illustrative Phase I sample data and the `load_sample_data` command."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.test import override_settings

from ctg_workshops.demo import sample_data_load
from reports.models import ReportNarrative
from responses.models import Category, Dot, Participant, Statement
from sessions.models import NoteRevision, PlenarySession, ProjectPhase, Workshop
from sessions.roles import workshops_visible_to

VALUES = [
    "Greater competitiveness in employee recruiting",
    "Enhanced access for disabled",
    "Creation of virtual communities",
    "Information dissemination and exchange",
    "Enhanced public safety",
    "Enhanced collaboration",
    "Instantaneous information sharing",
    "Improved training capabilities",
    "Coolness factor",
    "Cost savings",
    "Documentation",
]
CONCERNS = [
    "Resources",
    "Legal and regulatory ramifications",
    "Governance",
    "Making a business case",
    "Security",
    "Accessibility",
    "Perception",
    "Information overload",
]


def _counts() -> dict[str, int]:
    return {
        "phases": ProjectPhase.objects.count(),
        "narratives": ReportNarrative.objects.count(),
        "workshops": Workshop.objects.count(),
        "sessions": PlenarySession.objects.count(),
        "notes": NoteRevision.objects.count(),
        "participants": Participant.objects.count(),
        "categories": Category.objects.count(),
        "statements": Statement.objects.count(),
        "dots": Dot.objects.count(),
        "users": get_user_model().objects.count(),
    }


EXPECTED_COUNTS = {
    "phases": 1,
    "narratives": 1,
    "workshops": 3,
    "sessions": 5,
    "notes": 2,
    "participants": 53,
    "categories": 38,
    "statements": 70,
    "dots": 332,
    "users": 0,
}


def _session(kind: str, purpose: str) -> PlenarySession:
    return PlenarySession.objects.get(workshop__kind=kind, purpose=purpose)


def _dot_totals(session: PlenarySession) -> dict[str, int]:
    rows = (
        Category.objects.filter(session=session)
        .annotate(total=Sum("dots__count"))
        .values_list("name", "total")
    )
    return {name: total or 0 for name, total in rows}


def _run_command(*args: str) -> str:
    out = StringIO()
    call_command("load_sample_data", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_phase_and_narrative():
    result = sample_data_load(with_demo_accounts=False)

    phase = ProjectPhase.objects.get()
    assert result.created is True
    assert result.reset is False
    assert result.phase == phase
    assert phase.title == "Exploratory Social Media Project — Phase I"
    assert phase.slug == "esmp-phase-1"
    assert phase.subtitle == (
        "Identifying benefits and concerns surrounding use of social media in government"
    )
    assert phase.organisation == "Center for Technology in Government, University at Albany"
    assert (phase.starts_on.isoformat(), phase.ends_on.isoformat()) == ("2009-07-01", "2009-10-31")
    narrative = phase.narrative
    for name in (
        "abstract",
        "introduction",
        "project_overview",
        "project_design",
        "workshops_framing",
        "concluding_remarks",
        "appendix_c",
    ):
        text = getattr(narrative, name)
        assert text.startswith("*Sample text"), name
        assert "illustrative" in text, name
        assert len(text) > 150, name


@pytest.mark.django_db
def test_one_workshop_of_each_kind_all_labelled_illustrative():
    result = sample_data_load(with_demo_accounts=False)

    assert dict(Workshop.objects.values_list("kind").annotate(n=Count("pk"))) == {
        "internal": 1,
        "state": 1,
        "local": 1,
    }
    assert set(Workshop.objects.values_list("status", flat=True)) == {"completed"}
    for workshop in Workshop.objects.all():
        assert "illustrative, not the real 2009 records" in workshop.description
    assert result.counts == {
        "workshops": 3,
        "sessions": 5,
        "participants": 53,
        "categories": 38,
        "statements": 70,
        "dots": 332,
        "note_revisions": 2,
    }
    assert _counts() == EXPECTED_COUNTS


@pytest.mark.django_db
def test_internal_workshop_has_discussion_notes_only():
    sample_data_load(with_demo_accounts=False)

    internal = Workshop.objects.get(kind="internal")
    assert (internal.date.year, internal.date.month) == (2009, 7)
    assert internal.venue.startswith("CTG offices")
    session = internal.sessions.get()
    assert (session.purpose, session.phase) == ("discussion", "closed")
    assert "most pertinent to our expertise and interests" in session.prompt
    assert "gaps in the current literature" in session.prompt
    revisions = list(session.note_revisions.order_by("number").values("number", "based_on"))
    assert revisions == [{"number": 1, "based_on": None}, {"number": 2, "based_on": 1}]
    assert session.note_revisions.get(number=2).text.startswith(
        session.note_revisions.get(number=1).text
    )
    assert not internal.participants.exists()
    assert not session.statements.exists()


@pytest.mark.django_db
def test_state_workshop_shape():
    sample_data_load(with_demo_accounts=False)

    state = Workshop.objects.get(kind="state")
    assert state.date.isoformat() == "2009-09-17"
    assert (state.start_time.isoformat(), state.end_time.isoformat()) == ("08:30:00", "10:30:00")
    assert state.venue == "Center for Technology in Government, Albany, NY"
    people = state.participants.all()
    assert people.count() == 23
    agencies = set(
        people.filter(level_of_government="state").values_list("organisation", flat=True)
    )
    assert len(agencies) == 16
    assert "NYS Forum" not in agencies
    assert list(
        people.exclude(level_of_government="state").values_list(
            "organisation", "level_of_government"
        )
    ) == [("NYS Forum", "other")]

    values, concerns = state.sessions.order_by("position")
    assert (values.position, values.purpose, values.phase) == (1, "values", "closed")
    assert values.prompt == "What value can your agency gain from using social media tools?"
    assert (concerns.position, concerns.purpose, concerns.phase) == (2, "concerns", "closed")
    assert concerns.prompt == (
        "What are the most pressing questions/concerns/challenges that your agency is facing "
        "in regards to social media tools?"
    )
    assert (concerns.dots_per_participant, concerns.dots_may_stack) == (4, False)
    value_rows = list(
        values.categories.order_by("reference_number").values_list("reference_number", "name")
    )
    concern_rows = list(
        concerns.categories.order_by("reference_number").values_list("reference_number", "name")
    )
    assert value_rows == list(enumerate(VALUES, start=1))
    assert concern_rows == list(enumerate(CONCERNS, start=1))
    assert not Category.objects.filter(session__workshop=state, description="").exists()
    assert not values.dots.exists()


@pytest.mark.django_db
def test_named_participants_have_consent_time_and_others_are_anonymous():
    sample_data_load(with_demo_accounts=False)

    named = Participant.objects.exclude(name="")
    assert named.count() == 3
    assert set(named.values_list("workshop__kind", flat=True)) == {"state"}
    for person in named:
        assert person.consent_to_be_named is True
        assert person.consent_recorded_at is not None
    anonymous = Participant.objects.filter(name="")
    assert anonymous.count() == 50
    assert not anonymous.filter(consent_to_be_named=True).exists()
    assert not anonymous.filter(organisation="").exists()
    assert not anonymous.exclude(email="").exists()
    local = Participant.objects.filter(workshop__kind="local")
    assert local.count() == 30
    assert set(local.values_list("level_of_government", flat=True)) == {"local"}
    assert all(
        org.startswith(("Town of ", "County of ", "City of ", "Village of "))
        for org in local.values_list("organisation", flat=True)
    )


@pytest.mark.django_db
def test_statements_per_category_and_their_participants():
    sample_data_load(with_demo_accounts=False)

    state = Workshop.objects.get(kind="state")
    for purpose, low, high in (("values", 3, 5), ("concerns", 3, 6)):
        session = state.sessions.get(purpose=purpose)
        per_category = session.categories.annotate(n=Count("statements")).values_list(
            "n", flat=True
        )
        assert all(low <= n <= high for n in per_category), (purpose, list(per_category))
        assert not session.statements.filter(category__isnull=True).exists()
        assert not session.statements.exclude(category__session=session).exists()
    statements = Statement.objects.all()
    assert statements.count() == 70
    assert statements.filter(session__purpose="values").count() == 40
    assert statements.filter(session__purpose="concerns").count() == 30
    assert not statements.exclude(participant__workshop=state).exists()
    assert statements.filter(use="E").count() > 0
    assert statements.filter(use="I").count() > 0
    assert statements.filter(use="").count() > 0
    assert statements.filter(source="card").count() > statements.count() // 2
    assert not Statement.objects.filter(session__workshop__kind="local").exists()


@pytest.mark.django_db
def test_exactly_one_hidden_statement_with_a_reason():
    sample_data_load(with_demo_accounts=False)

    hidden = Statement.objects.get(hidden=True)
    assert hidden.hidden_reason == "Duplicate of another card"
    assert hidden.session.purpose == "concerns"
    assert hidden.session.workshop.kind == "state"


@pytest.mark.django_db
def test_every_voter_places_exactly_four_dots_in_each_voting_session():
    sample_data_load(with_demo_accounts=False)

    voting_sessions = PlenarySession.objects.filter(dots__isnull=False).distinct()
    assert sorted(voting_sessions.values_list("workshop__kind", "purpose")) == [
        ("local", "concerns"),
        ("local", "values"),
        ("state", "concerns"),
    ]
    for session in PlenarySession.objects.all():
        per_participant = (
            Dot.objects.filter(session=session)
            .values("participant")
            .annotate(total=Sum("count"))
            .values_list("participant", "total")
        )
        totals = dict(per_participant)
        assert all(total <= session.dots_per_participant for total in totals.values())
        if session in voting_sessions:
            assert set(totals) == set(session.workshop.participants.values_list("pk", flat=True))
            assert set(totals.values()) == {4}
        else:
            assert totals == {}
    assert set(Dot.objects.values_list("count", flat=True)) == {1}
    assert not Dot.objects.exclude(category__session=F("session")).exists()
    assert not Dot.objects.exclude(participant__workshop=F("session__workshop")).exists()


@pytest.mark.django_db
def test_state_concern_ranking_is_clear_with_a_tie():
    sample_data_load(with_demo_accounts=False)

    totals = _dot_totals(_session("state", "concerns"))
    assert totals == {
        "Resources": 19,
        "Legal and regulatory ramifications": 16,
        "Governance": 14,
        "Making a business case": 12,
        "Security": 12,
        "Accessibility": 8,
        "Perception": 7,
        "Information overload": 4,
    }
    values = list(totals.values())
    assert len(set(values)) == len(values) - 1


def _ranks(totals: dict[str, int]) -> dict[str, int]:
    """Competition ranking: equal totals share a rank, the next rank is skipped."""
    return {name: 1 + sum(t > total for t in totals.values()) for name, total in totals.items()}


@pytest.mark.django_db
def test_local_rankings_differ_from_the_state_one_in_a_few_places():
    sample_data_load(with_demo_accounts=False)

    local_concerns = _dot_totals(_session("local", "concerns"))
    assert local_concerns == {
        "Resources": 26,
        "Legal and regulatory ramifications": 16,
        "Governance": 18,
        "Making a business case": 13,
        "Security": 21,
        "Accessibility": 8,
        "Perception": 11,
        "Information overload": 7,
    }
    state_ranks = _ranks(_dot_totals(_session("state", "concerns")))
    local_ranks = _ranks(local_concerns)
    assert {n for n in CONCERNS if state_ranks[n] == local_ranks[n]} == {
        "Resources",
        "Governance",
        "Information overload",
    }
    assert (state_ranks["Security"], local_ranks["Security"]) == (4, 2)
    local_values = _dot_totals(_session("local", "values"))
    assert sum(local_values.values()) == 120
    assert max(local_values, key=local_values.get) == "Information dissemination and exchange"


@pytest.mark.django_db
def test_local_categories_are_presented_from_the_state_lists():
    sample_data_load(with_demo_accounts=False)

    local = Category.objects.filter(session__workshop__kind="local").select_related(
        "session", "presented_from__session__workshop"
    )
    assert local.count() == 19
    for category in local:
        source = category.presented_from
        assert source is not None
        assert source.session.workshop.kind == "state"
        assert source.session.purpose == category.session.purpose
        assert (source.reference_number, source.name, source.description) == (
            category.reference_number,
            category.name,
            category.description,
        )
    assert not Category.objects.filter(
        session__workshop__kind="state", presented_from__isnull=False
    ).exists()


@pytest.mark.django_db
def test_running_twice_changes_nothing():
    first = sample_data_load(with_demo_accounts=False)
    keys = set(Statement.objects.values_list("idempotency_key", flat=True))

    second = sample_data_load(with_demo_accounts=False)

    assert second.created is False
    assert second.phase == first.phase
    assert second.counts == first.counts
    assert _counts() == EXPECTED_COUNTS
    assert set(Statement.objects.values_list("idempotency_key", flat=True)) == keys


@pytest.mark.django_db
def test_reset_reloads_the_same_data():
    sample_data_load(with_demo_accounts=True)
    first_phase_pk = ProjectPhase.objects.get().pk

    def snapshot() -> tuple[list, list]:
        statements = list(
            Statement.objects.order_by("pk").values_list(
                "idempotency_key", "text", "use", "source", "category__name", "hidden"
            )
        )
        # Who dotted what, with participants numbered by their position in their workshop.
        index = {
            pk: n
            for n, pk in enumerate(Participant.objects.order_by("pk").values_list("pk", flat=True))
        }
        dots = sorted(
            (index[p], kind, purpose, name)
            for p, kind, purpose, name in Dot.objects.values_list(
                "participant", "session__workshop__kind", "session__purpose", "category__name"
            )
        )
        return statements, dots

    before = snapshot()
    result = sample_data_load(with_demo_accounts=True, reset=True)

    assert result.created is True
    assert result.reset is True
    assert ProjectPhase.objects.get().pk != first_phase_pk
    assert _counts() == {**EXPECTED_COUNTS, "users": 2}
    assert snapshot() == before


@pytest.mark.django_db
def test_reset_with_command_reloads_to_the_same_counts():
    _run_command()
    assert _counts() == EXPECTED_COUNTS

    out = _run_command("--reset")

    assert "Reloaded sample data" in out
    assert _counts() == EXPECTED_COUNTS


@pytest.mark.django_db
def test_without_demo_accounts_no_users_are_created():
    result = sample_data_load(with_demo_accounts=False)

    assert result.demo_logins == ()
    assert get_user_model().objects.count() == 0
    assert not Workshop.facilitators.through.objects.exists()


@pytest.mark.django_db
def test_demo_accounts_see_what_their_role_allows():
    result = sample_data_load(with_demo_accounts=True)

    assert [(d.role, d.username, d.password) for d in result.demo_logins] == [
        ("facilitator", "facilitator", "facilitate-2009"),
        ("staff", "staff", "report-2009"),
    ]
    users = get_user_model().objects
    facilitator = users.get(username="facilitator")
    staff = users.get(username="staff")
    assert (facilitator.first_name, facilitator.last_name) == ("Dana", "Facilitator")
    assert (staff.first_name, staff.last_name) == ("Sam", "Analyst")
    assert facilitator.check_password("facilitate-2009")
    assert staff.check_password("report-2009")
    assert list(facilitator.groups.values_list("name", flat=True)) == ["Facilitators"]
    assert list(staff.groups.values_list("name", flat=True)) == ["Staff"]
    assert (facilitator.is_staff, staff.is_staff) == (False, True)

    assert sorted(workshops_visible_to(facilitator).values_list("kind", flat=True)) == [
        "local",
        "state",
    ]
    assert sorted(workshops_visible_to(staff).values_list("kind", flat=True)) == [
        "internal",
        "local",
        "state",
    ]


@pytest.mark.django_db
def test_demo_passwords_are_set_again_on_each_run():
    sample_data_load(with_demo_accounts=True)
    users = get_user_model().objects
    for user in users.all():
        user.set_password("changed-elsewhere")
        user.save()

    result = sample_data_load(with_demo_accounts=True)

    assert result.created is False
    assert users.count() == 2
    assert users.get(username="facilitator").check_password("facilitate-2009")
    assert users.get(username="staff").check_password("report-2009")
    assert _counts() == {**EXPECTED_COUNTS, "users": 2}


@pytest.mark.django_db
def test_demo_accounts_added_to_an_existing_phase_get_their_workshops():
    sample_data_load(with_demo_accounts=False)

    sample_data_load(with_demo_accounts=True)

    facilitator = get_user_model().objects.get(username="facilitator")
    assert sorted(workshops_visible_to(facilitator).values_list("kind", flat=True)) == [
        "local",
        "state",
    ]


@pytest.mark.django_db
def test_command_prints_demo_logins_only_with_debug():
    with override_settings(DEBUG=True):
        out = _run_command()

    assert "Loaded sample data" in out
    assert "3 workshops, 5 sessions, 53 participants" in out
    assert "Demo facilitator: facilitator / facilitate-2009" in out
    assert "Demo staff: staff / report-2009" in out
    assert "only created with DEBUG=true" not in out

    with override_settings(DEBUG=True):
        again = _run_command()

    assert "already loaded" in again
    assert "Demo facilitator: facilitator / facilitate-2009" in again
    assert _counts() == {**EXPECTED_COUNTS, "users": 2}


@pytest.mark.django_db
def test_command_without_debug_creates_no_accounts():
    with override_settings(DEBUG=False):
        out = _run_command()
        again = _run_command()

    assert "Loaded sample data" in out
    assert "Demo accounts are only created with DEBUG=true." in out
    assert "facilitate-2009" not in out
    assert "report-2009" not in out
    assert "already loaded" in again
    assert "nothing was changed" in again
    assert get_user_model().objects.count() == 0
    assert _counts() == EXPECTED_COUNTS


@pytest.mark.django_db
def test_load_uses_a_bounded_number_of_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        sample_data_load(with_demo_accounts=False)
