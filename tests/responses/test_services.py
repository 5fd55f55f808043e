import uuid

import pytest

from responses.models import Dot, Statement
from responses.selectors import dot_counts
from responses.services import (
    ParticipationRefused,
    Profile,
    dot_place,
    dot_remove,
    participant_join,
    participant_profile_set,
    statement_edit,
    statement_submit,
    statement_withdraw,
)
from sessions.services import session_phase_set
from tests.factories import CategoryFactory, ParticipantFactory, PlenarySessionFactory

pytestmark = pytest.mark.django_db


def submit(session, participant, text="Reach people where they are", key=None, use=""):
    return statement_submit(
        session=session,
        participant=participant,
        text=text,
        use=use,
        idempotency_key=key or uuid.uuid4(),
    )


def test_join_creates_one_anonymous_participant_per_browser_and_workshop(collecting_session):
    workshop = collecting_session.workshop
    first = participant_join(workshop=workshop, browser_token="tok")
    again = participant_join(workshop=workshop, browser_token="tok")
    assert first == again
    assert (first.name, first.consent_to_be_named, first.consent_recorded_at) == ("", False, None)


def test_profile_records_consent_with_its_time(collecting_session):
    participant = participant_join(
        workshop=collecting_session.workshop,
        browser_token="tok",
        profile=Profile(
            name="  Pat Doe ", organisation="Office of Mental Health", consent_to_be_named=True
        ),
    )
    assert participant.name == "Pat Doe"
    assert participant.consent_recorded_at is not None
    withdrawn = participant_profile_set(participant=participant, profile=Profile(name="Pat Doe"))
    assert withdrawn.consent_to_be_named is False
    assert withdrawn.consent_recorded_at >= participant.consent_recorded_at


def test_statement_is_stored_once_per_idempotency_key(collecting_session, participant_in):
    participant = participant_in(collecting_session)
    key = uuid.uuid4()
    first = submit(collecting_session, participant, key=key)
    second = submit(collecting_session, participant, key=key, text="a different retry body")
    assert (first.created, second.created) == (True, False)
    assert second.statement.pk == first.statement.pk
    assert Statement.objects.filter(idempotency_key=key).count() == 1


def test_retry_of_a_stored_card_is_acknowledged_after_writing_closed(
    collecting_session, participant_in
):
    participant = participant_in(collecting_session)
    key = uuid.uuid4()
    stored = submit(collecting_session, participant, key=key).statement
    session_phase_set(session=collecting_session, phase="clustering")
    retry = submit(collecting_session, participant, key=key)
    assert (retry.created, retry.statement.pk) == (False, stored.pk)


def test_another_participants_key_is_never_answered_with_their_card(
    collecting_session, participant_in
):
    key = uuid.uuid4()
    submit(collecting_session, participant_in(collecting_session), key=key, text="mine")
    with pytest.raises(ParticipationRefused) as refusal:
        submit(collecting_session, participant_in(collecting_session), key=key)
    assert refusal.value.code == "key_conflict"


@pytest.mark.parametrize(
    "text, code",
    [("   \n\t ", "empty"), ("x" * 501, "too_long"), ("\x00\u202e", "empty")],
    ids=["blank", "too long", "only control characters"],
)
def test_statement_text_is_checked_after_tidying(collecting_session, participant_in, text, code):
    with pytest.raises(ParticipationRefused) as refusal:
        submit(collecting_session, participant_in(collecting_session), text=text)
    assert refusal.value.code == code
    assert not Statement.objects.exists()


def test_too_long_message_says_the_limit_and_the_length(collecting_session, participant_in):
    with pytest.raises(ParticipationRefused) as refusal:
        submit(collecting_session, participant_in(collecting_session), text="y" * 612)
    assert refusal.value.message.startswith(
        "A card holds at most 500 characters; this one has 612."
    )


def test_statement_text_is_tidied_before_storing(collecting_session, participant_in):
    stored = submit(
        collecting_session, participant_in(collecting_session), text="  Cost\r\n\r\n\r\nsavings  "
    ).statement
    assert stored.text == "Cost\n\nsavings"


@pytest.mark.parametrize(
    "phase, message",
    [
        ("draft", "This session has not opened yet."),
        ("clustering", "Writing has ended: no more cards can be added or changed."),
        ("voting", "Writing has ended: no more cards can be added or changed."),
        ("closed", "This session has closed."),
    ],
)
def test_cards_are_refused_outside_collecting_with_a_clear_message(participant_in, phase, message):
    session = PlenarySessionFactory(phase=phase)
    with pytest.raises(ParticipationRefused, match=message):
        submit(session, participant_in(session))


def test_participant_of_another_workshop_cannot_write_here(collecting_session):
    with pytest.raises(ParticipationRefused) as refusal:
        submit(collecting_session, ParticipantFactory())
    assert refusal.value.code == "workshop"


def test_own_card_can_be_edited_and_withdrawn_while_collecting(collecting_session, participant_in):
    participant = participant_in(collecting_session)
    card = submit(collecting_session, participant).statement
    edited = statement_edit(
        session=collecting_session, participant=participant, pk=card.pk, text=" Better ", use="I"
    )
    assert (edited.text, edited.use) == ("Better", "I")
    statement_withdraw(session=collecting_session, participant=participant, pk=card.pk)
    assert not Statement.objects.filter(pk=card.pk).exists()


def test_others_cards_and_closed_sessions_cannot_be_changed(collecting_session, participant_in):
    owner, other = participant_in(collecting_session), participant_in(collecting_session)
    card = submit(collecting_session, owner).statement
    with pytest.raises(ParticipationRefused, match="not one of yours"):
        statement_withdraw(session=collecting_session, participant=other, pk=card.pk)
    session_phase_set(session=collecting_session, phase="clustering")
    with pytest.raises(ParticipationRefused, match="Writing has ended"):
        statement_edit(
            session=collecting_session, participant=owner, pk=card.pk, text="late", use=""
        )
    assert Statement.objects.get(pk=card.pk).text == card.text


def test_four_dots_are_placed_and_the_fifth_is_refused(voting_session, participant_in):
    participant = participant_in(voting_session)
    categories = list(voting_session.categories.all())
    for category in categories[:4]:
        dot_place(session=voting_session, participant=participant, category_id=category.pk)
    with pytest.raises(ParticipationRefused) as refusal:
        dot_place(session=voting_session, participant=participant, category_id=categories[4].pk)
    assert refusal.value.message == (
        "You have placed all 4 of your dots. To move one, first take it off another category."
    )
    assert dot_counts(session=voting_session, participant=participant, category=categories[0]) == (
        4,
        1,
    )


def test_dots_do_not_stack_unless_the_session_allows_it(voting_session, participant_in):
    participant = participant_in(voting_session)
    category = voting_session.categories.first()
    dot_place(session=voting_session, participant=participant, category_id=category.pk)
    with pytest.raises(ParticipationRefused) as refusal:
        dot_place(session=voting_session, participant=participant, category_id=category.pk)
    assert refusal.value.code == "no_stacking"

    voting_session.dots_may_stack = True
    voting_session.save()
    dot_place(session=voting_session, participant=participant, category_id=category.pk)
    assert Dot.objects.get(participant=participant, category=category).count == 2


def test_a_dot_can_be_moved_by_taking_it_off_first(voting_session, participant_in):
    participant = participant_in(voting_session)
    first, *rest = list(voting_session.categories.all())
    for category in [first, *rest[:3]]:
        dot_place(session=voting_session, participant=participant, category_id=category.pk)
    dot_remove(session=voting_session, participant=participant, category_id=first.pk)
    dot_place(session=voting_session, participant=participant, category_id=rest[3].pk)
    placed = set(Dot.objects.filter(participant=participant).values_list("category", flat=True))
    assert placed == {category.pk for category in rest}


def test_dots_on_another_sessions_category_are_refused(voting_session, participant_in):
    elsewhere = CategoryFactory(session=PlenarySessionFactory(phase="voting"))
    with pytest.raises(ParticipationRefused) as refusal:
        dot_place(
            session=voting_session,
            participant=participant_in(voting_session),
            category_id=elsewhere.pk,
        )
    assert refusal.value.code == "category"
    assert not Dot.objects.exists()


@pytest.mark.parametrize("phase", ["draft", "collecting", "clustering", "closed"])
def test_dots_are_refused_outside_voting(voting_session, participant_in, phase):
    session_phase_set(session=voting_session, phase=phase)
    with pytest.raises(ParticipationRefused) as refusal:
        dot_place(
            session=voting_session,
            participant=participant_in(voting_session),
            category_id=voting_session.categories.first().pk,
        )
    assert refusal.value.code == "phase:vote"


def test_taking_off_a_dot_that_is_not_there_is_refused(voting_session, participant_in):
    with pytest.raises(ParticipationRefused, match="no dot of yours"):
        dot_remove(
            session=voting_session,
            participant=participant_in(voting_session),
            category_id=voting_session.categories.first().pk,
        )


def test_phase_change_notes_its_time_and_refuses_unknown_phases(collecting_session):
    before = collecting_session.phase_changed_at
    session_phase_set(session=collecting_session, phase="voting")
    assert collecting_session.phase_changed_at > before
    with pytest.raises(ValueError, match="unknown phase"):
        session_phase_set(session=collecting_session, phase="paused")
