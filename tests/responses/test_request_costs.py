"""What each request of the participant's page costs, and the behaviours that keep it small:
the status poll answered from the cache, the page's content swapped in place, a dot answered
with its own line, one round trip for the rate limits, the idempotent insert, the join that a
retry cannot double, and load shedding. bench/request_costs.py measures the same requests'
CPU time; docs/performance.md has both."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from ctg_workshops.middleware import queue_wait
from responses.models import Dot, DotChange, Participant, Statement
from responses.views import status_key
from sessions.services import session_phase_set, session_results_reveal
from sessions.updates import model_insert_once
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def statements():
    """Counts the SQL statements a block sends, as production sends them: the test's own
    transaction turns each request's transaction into a savepoint, which is left out."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def expect(number):
        with CaptureQueriesContext(connection) as captured:
            yield
        sent = [
            q["sql"]
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        ]
        assert len(sent) == number, "\n\n".join(sent)

    return expect


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def page(session, name="responses:session"):
    return reverse(name, args=[session.join_code])


def joined(client, session):
    participant = ParticipantFactory(workshop=session.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    return participant


def poll(client, session, phase, revealed="0", **extra):
    return client.get(
        page(session, "responses:session_status"),
        {"phase": phase, "revealed": revealed, "k": status_key(session.join_code)},
        **extra,
    )


# --- The status poll --------------------------------------------------------------------------


def test_an_unchanged_poll_is_answered_from_the_cache_without_the_database(
    client, collecting_session, django_assert_num_queries
):
    joined(client, collecting_session)
    assert poll(client, collecting_session, "collecting", **HTMX).status_code == 204  # cached
    with django_assert_num_queries(0):
        for _ in range(5):
            assert poll(client, collecting_session, "collecting", **HTMX).status_code == 204


def test_a_phase_change_reaches_the_cached_poll_at_once(client, collecting_session):
    joined(client, collecting_session)
    assert poll(client, collecting_session, "collecting", **HTMX).status_code == 204
    session_phase_set(session=collecting_session, phase="voting")
    response = poll(client, collecting_session, "collecting", **HTMX)
    assert response.status_code == 200
    session_results_reveal(session=collecting_session, revealed=True)
    assert poll(client, collecting_session, "voting", **HTMX).status_code == 200
    assert poll(client, collecting_session, "voting", "1", **HTMX).status_code == 204


def test_a_changed_poll_brings_the_new_content_to_swap_in_place(
    client, voting_session, django_assert_num_queries
):
    participant = joined(client, voting_session)
    Statement.objects.create(
        session=voting_session, participant=participant, text="Mine", use="", source="online"
    )
    # state (cached after this), session with participant, own cards, categories, their dots
    with django_assert_num_queries(5):
        response = poll(client, voting_session, "collecting", **HTMX)
    assert response.status_code == 200
    assert "HX-Refresh" not in response
    assert response.templates[0].name == "responses/_session_content.html"
    body = response.content.decode()
    assert body.lstrip().startswith("<div") and "<html" not in body
    assert 'id="session-content"' in body and "Mine" in body
    # The new poll asks about the new phase, so the next one is a 204.
    assert "?phase=voting&amp;revealed=0&amp;k=" in body
    assert body.count('name="key"') == 5  # a fresh key for each category's dot form
    assert poll(client, voting_session, "voting", **HTMX).status_code == 204


def test_a_poll_without_htmx_or_from_a_browser_not_joined_reloads(client, voting_session):
    response = poll(client, voting_session, "collecting", **HTMX)  # no participant cookie
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    joined(client, voting_session)
    response = poll(client, voting_session, "collecting")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"


# --- Cards ------------------------------------------------------------------------------------


def test_a_card_costs_five_statements_and_one_round_trip(
    client, collecting_session, statements, monkeypatch
):
    joined(client, collecting_session)
    from responses import ratelimit

    calls = []
    real = ratelimit._count_in_order
    monkeypatch.setattr(
        ratelimit, "_count_in_order", lambda counters: calls.append(counters) or real(counters)
    )
    # session with participant, the lock, the count, the insert, the history event
    with statements(5):
        response = client.post(
            page(collecting_session, "responses:statement_create"),
            {"text": "One card", "use": "", "idempotency_key": str(uuid.uuid4())},
            **JSON,
        )
    assert response.status_code == 201
    # All four limits (address cards, participant, address writes, session) in one call.
    assert len(calls) == 1 and len(calls[0]) == 4


def test_the_same_card_twice_is_stored_once_without_a_second_insert_attempt_failing(
    client, collecting_session
):
    joined(client, collecting_session)
    key = str(uuid.uuid4())
    url = page(collecting_session, "responses:statement_create")
    first = client.post(url, {"text": "Twice", "use": "", "idempotency_key": key}, **JSON)
    again = client.post(url, {"text": "Twice", "use": "", "idempotency_key": key}, **JSON)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["statement"]["id"] == again.json()["statement"]["id"]
    assert Statement.objects.count() == 1


def test_insert_once_reports_a_key_already_stored(collecting_session):
    participant = ParticipantFactory(workshop=collecting_session.workshop)
    key = uuid.uuid4()
    first = DotChange(key=key, participant=participant)
    assert model_insert_once(first) is True
    assert model_insert_once(DotChange(key=key, participant=participant)) is False
    statement = Statement(session=collecting_session, participant=participant, text="x")
    assert model_insert_once(statement) is True and statement.pk is not None
    assert Statement.objects.get(pk=statement.pk).text == "x"


# --- Dots -------------------------------------------------------------------------------------


def dot(client, session, category, key=None, action="place", **extra):
    data = {"category": category.pk, "action": action}
    if key is not None:
        data["key"] = str(key)
    return client.post(page(session, "responses:dot_change"), data, **extra)


def test_a_dot_is_answered_with_its_line_in_six_statements(client, voting_session, statements):
    joined(client, voting_session)
    category = voting_session.categories.first()
    # session with participant, category, lock, counts, key, the dot
    with statements(6):
        response = dot(client, voting_session, category, uuid.uuid4(), **HTMX)
    body = response.content.decode()
    assert response.templates[0].name == "responses/_dot_answer.html"
    assert f'id="ballot-line-{category.pk}"' in body
    assert body.count('class="card mb-3"') == 1  # one line, not the ballot
    assert 'id="dots-left"' in body and "You have 3 of 4 dots left." in body
    assert 'role="alert"' not in body


def test_a_dot_sent_again_with_its_key_is_placed_once(client, voting_session):
    participant = joined(client, voting_session)
    voting_session.dots_may_stack = True
    voting_session.save()
    category = voting_session.categories.first()
    key = uuid.uuid4()
    answers = [dot(client, voting_session, category, key, **HTMX) for _ in range(3)]
    assert all(a.status_code == 200 and 'role="alert"' not in a.content.decode() for a in answers)
    assert Dot.objects.get(participant=participant).count == 1
    assert answers[-1].context["state"].repeated is True
    dot(client, voting_session, category, uuid.uuid4(), **HTMX)  # a new tap: a second dot
    assert Dot.objects.get(participant=participant).count == 2
    # Taken off with a key, sent twice: one dot off.
    off = uuid.uuid4()
    dot(client, voting_session, category, off, action="remove", **HTMX)
    dot(client, voting_session, category, off, action="remove", **HTMX)
    assert Dot.objects.get(participant=participant).count == 1


def test_a_dot_for_no_category_of_the_session_gets_the_whole_ballot(client, voting_session):
    joined(client, voting_session)
    response = client.post(
        page(voting_session, "responses:dot_change"),
        {"category": 999999, "action": "place"},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#ballot"
    assert "That category is not on this session&#x27;s list." in response.content.decode()


# --- Joining ----------------------------------------------------------------------------------


def test_a_join_sent_twice_is_one_participant(client, collecting_session):
    url = page(collecting_session)
    form = client.get(url)
    token = form.cookies[settings.PARTICIPANT_COOKIE_NAME].value
    assert token and not Participant.objects.exists()
    # The answer to the first join is lost; the browser sends it again with the same cookie.
    client.post(url, {"anonymous": "1"})
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = token
    client.post(url, {"anonymous": "1"})
    assert list(Participant.objects.values_list("token", flat=True)) == [token]


# --- Load shedding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, waited",
    [
        ("t=1700000000.500", 1.5),
        ("t=1700000000500", 1.5),
        ("t=1700000000500000", 1.5),
        ("", None),
        ("t=soon", None),
        ("t=1" + "0" * 40, None),
        ("t=1700000003.0", None),  # from the future
    ],
)
def test_queue_wait_reads_the_proxys_header(header, waited):
    assert queue_wait(header, now=1_700_000_002.0) == waited


@pytest.mark.parametrize("behind_proxy, shed", [(True, True), (False, False)])
def test_a_request_that_waited_too_long_is_answered_503_at_once(
    client, collecting_session, statements, behind_proxy, shed
):
    import time

    joined(client, collecting_session)
    stale = f"t={time.time() - 3:.3f}"
    with override_settings(BEHIND_PROXY=behind_proxy, SHED_QUEUE_MS=1000):
        with statements(0 if shed else 5):
            response = client.post(
                page(collecting_session, "responses:statement_create"),
                {"text": "Late", "use": "", "idempotency_key": str(uuid.uuid4())},
                HTTP_X_REQUEST_START=stale,
                **JSON,
            )
        fresh = client.get(page(collecting_session), HTTP_X_REQUEST_START=f"t={time.time():.3f}")
        health = client.get("/healthz", HTTP_X_REQUEST_START=stale)
    if shed:
        assert response.status_code == 503
        assert 2 <= int(response["Retry-After"]) <= 6
        assert response.json()["status"] == "busy"
        assert not Statement.objects.exists()
    else:
        assert response.status_code == 201
    assert fresh.status_code == 200
    assert health.status_code == 200
