import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from sessions.models import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, PlenarySession, Workshop
from tests.factories import (
    NoteRevisionFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused(factory, **kwargs) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_workshop_end_time_must_follow_start_time():
    assert_refused(WorkshopFactory, start_time=dt.time(10, 30), end_time=dt.time(8, 30))


def test_workshop_times_may_be_left_open():
    workshop = WorkshopFactory(start_time=None, end_time=None)
    assert workshop.pk is not None


@pytest.mark.parametrize("field, value", [("kind", "regional"), ("status", "paused")])
def test_workshop_refuses_unknown_choices(field, value):
    assert_refused(WorkshopFactory, **{field: value})


def test_phase_must_end_after_it_starts():
    assert_refused(ProjectPhaseFactory, starts_on=dt.date(2009, 9, 1), ends_on=dt.date(2009, 8, 1))


def test_session_defaults_follow_the_phase_one_method():
    session = PlenarySessionFactory()
    assert (session.writing_minutes, session.dots_per_participant, session.dots_may_stack) == (
        5,
        4,
        False,
    )
    assert session.phase == PlenarySession.Phase.DRAFT
    assert session.results_revealed is False


def test_session_join_code_is_short_unambiguous_and_unique():
    codes = {PlenarySessionFactory().join_code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == JOIN_CODE_LENGTH
        assert set(code) <= set(JOIN_CODE_ALPHABET)
        assert not set(code) & set("O0I1")


def test_session_positions_are_unique_within_a_workshop():
    workshop = WorkshopFactory()
    PlenarySessionFactory(workshop=workshop, position=1)
    assert_refused(PlenarySessionFactory, workshop=workshop, position=1)
    assert PlenarySessionFactory(position=1).position == 1  # another workshop may use 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("position", 0),
        ("dots_per_participant", 0),
        ("dots_per_participant", 21),
        ("writing_minutes", 0),
        ("writing_minutes", 121),
        ("purpose", "brainstorm"),
        ("phase", "paused"),
    ],
)
def test_session_refuses_values_outside_the_method(field, value):
    assert_refused(PlenarySessionFactory, **{field: value})


def test_note_revisions_are_numbered_once_per_session():
    session = PlenarySessionFactory()
    NoteRevisionFactory(session=session, number=1)
    assert_refused(NoteRevisionFactory, session=session, number=1)


def test_note_revision_must_be_based_on_an_earlier_revision():
    session = PlenarySessionFactory()
    assert_refused(NoteRevisionFactory, session=session, number=2, based_on=2)
    assert NoteRevisionFactory(session=session, number=2, based_on=1).based_on == 1


def test_workshop_lists_its_sessions_in_order():
    workshop = WorkshopFactory()
    second = PlenarySessionFactory(workshop=workshop, position=2)
    first = PlenarySessionFactory(workshop=workshop, position=1)
    assert list(workshop.sessions.all()) == [first, second]


def test_workshop_kinds_match_the_three_activities_of_a_phase():
    assert [kind for kind, _ in Workshop.Kind.choices] == ["internal", "state", "local"]
