import pytest

from tests.factories import CategoryFactory, ParticipantFactory, PlenarySessionFactory


@pytest.fixture
def collecting_session(db):
    return PlenarySessionFactory(phase="collecting")


@pytest.fixture
def voting_session(db):
    session = PlenarySessionFactory(phase="voting", purpose="concerns")
    for number, name in enumerate(["Resources", "Security", "Governance", "Perception", "Legal"]):
        CategoryFactory(session=session, reference_number=number + 1, name=name)
    return session


@pytest.fixture
def participant_in(db):
    def _make(session, **kwargs):
        return ParticipantFactory(workshop=session.workshop, **kwargs)

    return _make
