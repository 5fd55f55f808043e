import pytest

from sessions.models import NoteRevision, PlenarySession
from sessions.services import (
    note_save,
    session_create,
    session_move,
    session_results_reveal,
    workshop_create,
)
from tests.factories import PlenarySessionFactory, ProjectPhaseFactory, UserFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def test_creator_is_assigned_to_the_new_workshop(facilitator):
    workshop = workshop_create(
        creator=facilitator,
        phase=ProjectPhaseFactory(),
        title="Local government workshop",
        kind="local",
        date="2009-10-20",
    )
    assert list(workshop.facilitators.all()) == [facilitator]


def test_new_sessions_go_to_the_end_of_the_agenda():
    workshop = WorkshopFactory()
    first = session_create(workshop=workshop, title="Values", prompt="?", purpose="values")
    second = session_create(workshop=workshop, title="Concerns", prompt="?", purpose="concerns")
    assert (first.position, second.position) == (1, 2)


def test_sessions_are_reordered_by_swapping_neighbours():
    workshop = WorkshopFactory()
    a, b, c = (PlenarySessionFactory(workshop=workshop, position=n) for n in (1, 2, 3))
    session_move(session=c, direction="up")
    session_move(session=a, direction="up")  # already first: nothing moves
    order = list(PlenarySession.objects.filter(workshop=workshop).values_list("pk", flat=True))
    assert order == [a.pk, c.pk, b.pk]
    with pytest.raises(ValueError):
        session_move(session=a, direction="sideways")


def test_reveal_and_hide_results():
    session = PlenarySessionFactory()
    assert session_results_reveal(session=session, revealed=True).results_revealed is True
    session.refresh_from_db()
    assert session.results_revealed is True


def test_notes_keep_every_revision():
    session = PlenarySessionFactory()
    dana = UserFactory()
    first = note_save(session=session, author=dana, text="Gaps in the literature", based_on=None)
    second = note_save(session=session, author=dana, text="Gaps, and expertise", based_on=1)
    assert (first.revision.number, second.revision.number) == (1, 2)
    assert (first.conflict_with, second.conflict_with) == (None, None)
    assert list(session.note_revisions.values_list("number", "based_on", "text")) == [
        (2, 1, "Gaps, and expertise"),
        (1, None, "Gaps in the literature"),
    ]


def test_two_facilitators_saving_from_the_same_revision_keep_both_texts():
    session = PlenarySessionFactory()
    dana, sam = UserFactory(first_name="Dana"), UserFactory(first_name="Sam")
    note_save(session=session, author=dana, text="Agreed: focus on governance.", based_on=None)

    dana_save = note_save(
        session=session, author=dana, text="Agreed: focus on governance and records.", based_on=1
    )
    sam_save = note_save(
        session=session,
        author=sam,
        text="Agreed: focus on governance; Sam adds security.",
        based_on=1,
    )

    assert dana_save.conflict_with is None
    assert sam_save.conflict_with == dana_save.revision
    texts = set(NoteRevision.objects.filter(session=session).values_list("text", flat=True))
    assert {
        "Agreed: focus on governance and records.",
        "Agreed: focus on governance; Sam adds security.",
    } <= texts
    assert sam_save.revision.number == 3
    assert sam_save.revision.based_on == 1


def test_saving_unchanged_text_adds_no_revision():
    session = PlenarySessionFactory()
    user = UserFactory()
    note_save(session=session, author=user, text="Same", based_on=None)
    again = note_save(session=session, author=user, text="Same", based_on=1)
    assert again.revision.number == 1
    assert session.note_revisions.count() == 1


def test_a_made_up_base_revision_is_treated_as_a_conflict_not_an_error():
    session = PlenarySessionFactory()
    dana, sam = UserFactory(), UserFactory()
    note_save(session=session, author=dana, text="First", based_on=None)
    saved = note_save(session=session, author=sam, text="Tampered", based_on=99)
    assert saved.revision.number == 2
    assert saved.revision.based_on is None
    assert saved.conflict_with.number == 1


def test_opening_a_session_marks_a_planned_workshop_running():
    from sessions.services import session_phase_set

    session = PlenarySessionFactory(workshop=WorkshopFactory(status="planned"))
    session_phase_set(session=session, phase="draft")
    session.workshop.refresh_from_db()
    assert session.workshop.status == "planned"
    session_phase_set(session=session, phase="collecting")
    session.workshop.refresh_from_db()
    assert session.workshop.status == "running"
