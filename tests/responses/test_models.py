import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from responses.models import Statement
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused(factory, **kwargs) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_participant_is_anonymous_by_default_with_a_private_token():
    participant = ParticipantFactory()
    assert participant.name == ""
    assert participant.consent_to_be_named is False
    assert len(participant.token) >= 32
    assert str(participant) == f"Anonymous participant {participant.pk}"


def test_participant_consent_must_carry_its_time():
    assert_refused(ParticipantFactory, consent_to_be_named=True, consent_recorded_at=None)
    named = ParticipantFactory(
        name="Pat Doe", consent_to_be_named=True, consent_recorded_at=timezone.now()
    )
    assert str(named) == "Pat Doe"


def test_participant_token_is_unique_within_a_workshop_only():
    first = ParticipantFactory()
    assert_refused(ParticipantFactory, workshop=first.workshop, token=first.token)
    assert ParticipantFactory(token=first.token).token == first.token


def test_statement_idempotency_key_is_stored_once():
    key = uuid.uuid4()
    StatementFactory(idempotency_key=key)
    assert_refused(StatementFactory, idempotency_key=key)
    assert Statement.objects.filter(idempotency_key=key).count() == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": ""},
        {"use": "X"},
        {"source": "email"},
        {"hidden": True, "hidden_reason": ""},
    ],
    ids=["empty text", "unknown use mark", "unknown source", "hidden without a reason"],
)
def test_statement_refuses_invalid_records(kwargs):
    assert_refused(StatementFactory, **kwargs)


def test_hidden_statement_keeps_its_text_and_reason():
    statement = StatementFactory(hidden=True, hidden_reason="Duplicate card")
    statement.refresh_from_db()
    assert (statement.hidden, statement.hidden_reason) == (True, "Duplicate card")
    assert statement.text


def test_statement_leaving_category_or_participant_keeps_the_statement():
    category = CategoryFactory()
    participant = ParticipantFactory(workshop=category.session.workshop)
    statement = StatementFactory(
        session=category.session, category=category, participant=participant
    )
    category.delete()
    participant.delete()
    statement.refresh_from_db()
    assert (statement.category, statement.participant) == (None, None)


def test_category_numbers_and_names_are_unique_within_a_session():
    session = PlenarySessionFactory()
    CategoryFactory(session=session, reference_number=1, name="Security")
    assert_refused(CategoryFactory, session=session, reference_number=1, name="Governance")
    assert_refused(CategoryFactory, session=session, reference_number=2, name="Security")


def test_category_is_presented_at_most_once_into_a_session():
    origin = CategoryFactory(name="Resources")
    ranking = PlenarySessionFactory()
    CategoryFactory(session=ranking, presented_from=origin, name="Resources")
    assert_refused(CategoryFactory, session=ranking, presented_from=origin, name="Resources 2")


def test_presented_category_protects_its_origin():
    from django.db.models import ProtectedError

    origin = CategoryFactory()
    CategoryFactory(presented_from=origin)
    with pytest.raises(ProtectedError):
        origin.delete()


@pytest.mark.parametrize("count", [0, 21])
def test_dot_count_must_be_between_1_and_20(count):
    assert_refused(DotFactory, count=count)


def test_one_dot_row_per_participant_and_category():
    dot = DotFactory()
    assert_refused(
        DotFactory, category=dot.category, participant=dot.participant, session=dot.session
    )


def test_statement_too_long_for_a_card_is_refused_by_the_database():
    assert_refused(StatementFactory, text="x" * 501)
    assert len(StatementFactory(text="x" * 500).text) == 500


def test_statement_category_and_participant_must_belong_to_its_session():
    from django.core.exceptions import ValidationError

    statement = StatementFactory.build(
        session=PlenarySessionFactory(),
        category=CategoryFactory(),
        participant=ParticipantFactory(),
    )
    with pytest.raises(ValidationError) as error:
        statement.full_clean()
    assert set(error.value.message_dict) == {"category", "participant"}


def test_dot_category_and_participant_must_belong_to_its_session():
    from django.core.exceptions import ValidationError

    dot = DotFactory()
    dot.full_clean()  # a consistent dot passes
    dot.category = CategoryFactory()
    with pytest.raises(ValidationError, match="another session"):
        dot.full_clean()
