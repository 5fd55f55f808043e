"""The session's live state in the cache: what the participants' status polls read."""

import pytest
from django.core.cache import caches

from sessions.live import session_state
from sessions.services import session_phase_set
from tests.factories import PlenarySessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def test_a_poll_that_read_the_old_phase_cannot_put_it_back_after_the_change(
    monkeypatch, django_capture_on_commit_callbacks
):
    """A poll misses the cache and reads the phase; the change commits before the poll stores
    what it read. The next polls must see the new phase (with a delete on commit and a plain
    set by the poll, they saw the old one for a minute)."""
    from sessions import live

    session = PlenarySessionFactory(phase="collecting")
    read = live._read

    def read_then_change(code):
        row = read(code)
        with django_capture_on_commit_callbacks(execute=True):
            session_phase_set(session=session, phase="voting")
        return row  # read before the change

    monkeypatch.setattr(live, "_read", read_then_change)
    assert session_state(session.join_code) == ("collecting", False)  # this poll's answer
    monkeypatch.undo()
    assert session_state(session.join_code) == ("voting", False)


def test_the_state_is_read_once_then_from_the_cache(django_assert_num_queries):
    session = PlenarySessionFactory(phase="clustering")
    with django_assert_num_queries(1):
        assert session_state(session.join_code) == ("clustering", False)
        assert session_state(session.join_code) == ("clustering", False)
    assert session_state("NOSUCH") is None
