import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from responses.models import Dot, Participant, Statement
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def session_url(session, name="responses:session", *args):
    return reverse(name, args=[session.join_code, *args])


def joined(client, session, **kwargs):
    """A browser that has joined the session's workshop; returns its participant."""
    participant = ParticipantFactory(workshop=session.workshop, **kwargs)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    return participant


def card(text="Faster answers to residents", key=None, use=""):
    return {"text": text, "use": use, "idempotency_key": str(key or uuid.uuid4())}


# --- Joining ---------------------------------------------------------------------------------


def test_join_accepts_a_code_typed_loosely(client, collecting_session):
    code = collecting_session.join_code
    loose = f" {code[:3].lower()}-{code[3:].lower()} "
    response = client.get(reverse("responses:join"), {"code": loose})
    assert response.status_code == 302
    assert response["Location"] == session_url(collecting_session)


@pytest.mark.parametrize(
    "code, message",
    [
        ("ABC", "A session code has 6 letters and numbers."),
        ("ZZZZZZ", "No session has the code ZZZZZZ. Check it against the screen and try again."),
    ],
)
def test_join_explains_a_wrong_code(client, db, code, message):
    response = client.get(reverse("responses:join"), {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [message]


def test_first_visit_offers_to_join_anonymously(client, collecting_session):
    response = client.get(session_url(collecting_session))
    assert response.status_code == 200
    assert response.templates[0].name == "responses/join_session.html"
    assert not Participant.objects.exists()


def test_joining_anonymously_sets_the_browser_cookie(client, collecting_session):
    response = client.post(session_url(collecting_session), {"anonymous": "1"})
    assert response.status_code == 302
    participant = Participant.objects.get()
    cookie = response.cookies[settings.PARTICIPANT_COOKIE_NAME]
    assert cookie.value == participant.token
    assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")
    assert (participant.name, participant.consent_to_be_named) == ("", False)
    assert client.get(session_url(collecting_session)).templates[0].name == "responses/session.html"


def test_joining_with_details_records_consent(client, collecting_session):
    client.post(
        session_url(collecting_session),
        {
            "profile": "1",
            "name": "Pat Doe",
            "organisation": "Department of Health",
            "level_of_government": "state",
            "role": "Webmaster",
            "email": "pat@example.org",
            "consent": "yes",
        },
    )
    participant = Participant.objects.get()
    assert (participant.name, participant.organisation, participant.consent_to_be_named) == (
        "Pat Doe",
        "Department of Health",
        True,
    )
    assert participant.consent_recorded_at is not None


def test_joining_with_details_needs_an_explicit_consent_choice(client, collecting_session):
    response = client.post(
        session_url(collecting_session), {"profile": "1", "name": "Pat Doe", "email": "bad"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"consent", "email"}
    assert form["name"].value() == "Pat Doe"  # nothing typed is lost
    assert not Participant.objects.exists()


def test_same_browser_is_the_same_participant_in_every_session_of_a_workshop(client):
    first = PlenarySessionFactory(phase="collecting")
    second = PlenarySessionFactory(workshop=first.workshop, phase="collecting")
    client.post(session_url(first), {"anonymous": "1"})
    response = client.get(session_url(second))
    assert response.templates[0].name == "responses/session.html"
    assert Participant.objects.count() == 1


def test_profile_can_be_changed_later(client, collecting_session):
    participant = joined(client, collecting_session)
    response = client.post(
        session_url(collecting_session, "responses:profile"),
        {
            "name": "Pat",
            "organisation": "",
            "level_of_government": "",
            "role": "",
            "email": "",
            "consent": "no",
        },
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert (participant.name, participant.consent_to_be_named) == ("Pat", False)


# --- Writing ---------------------------------------------------------------------------------


def test_card_without_javascript_is_stored_and_received_is_shown(client, collecting_session):
    participant = joined(client, collecting_session)
    response = client.post(
        session_url(collecting_session, "responses:statement_create"),
        card(use="E"),
        follow=True,
    )
    statement = Statement.objects.get()
    assert (statement.participant, statement.use, statement.source) == (participant, "E", "online")
    assert [str(m) for m in response.context["messages"]] == ["Received: your card is stored."]
    assert list(response.context["statements"]) == [statement]


def test_resubmitting_the_same_card_stores_it_once(client, collecting_session):
    joined(client, collecting_session)
    same = card()
    url = session_url(collecting_session, "responses:statement_create")
    first = client.post(url, same, **JSON)
    second = client.post(url, same, **JSON)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["statement"]["id"] == second.json()["statement"]["id"]
    assert second.json()["created"] is False
    assert Statement.objects.count() == 1


def test_json_acknowledgement_carries_the_stored_card(client, collecting_session):
    joined(client, collecting_session)
    key = uuid.uuid4()
    response = client.post(
        session_url(collecting_session, "responses:statement_create"),
        card(" Two\r\nlines ", key=key, use="I"),
        **JSON,
    )
    statement = Statement.objects.get()
    assert response.json() == {
        "status": "received",
        "created": True,
        "statement": {
            "id": statement.pk,
            "key": str(key),
            "text": "Two\nlines",
            "use": "I",
            "edit_url": session_url(collecting_session, "responses:statement_edit", statement.pk),
            "withdraw_url": session_url(
                collecting_session, "responses:statement_withdraw", statement.pk
            ),
        },
    }


def test_too_long_card_is_refused_and_its_text_kept(client, collecting_session):
    joined(client, collecting_session)
    long_text = "word " * 120
    response = client.post(
        session_url(collecting_session, "responses:statement_create"), card(long_text)
    )
    assert response.status_code == 400
    form = response.context["statement_form"]
    assert form["text"].value() == long_text
    assert form.errors["text"][0].startswith("A card holds at most 500 characters")
    assert not Statement.objects.exists()


def test_card_after_writing_closed_is_refused_with_409(client):
    session = PlenarySessionFactory(phase="voting")
    joined(client, session)
    response = client.post(session_url(session, "responses:statement_create"), card(), **JSON)
    assert response.status_code == 409
    assert response.json()["error"] == "Writing has ended: no more cards can be added or changed."


def test_card_from_a_browser_that_has_not_joined_is_refused(client, collecting_session):
    response = client.post(
        session_url(collecting_session, "responses:statement_create"), card(), **JSON
    )
    assert response.status_code == 403
    assert "Join the session first" in response.json()["error"]
    assert not Statement.objects.exists()


def test_missing_idempotency_key_is_a_clear_error(client, collecting_session):
    joined(client, collecting_session)
    response = client.post(
        session_url(collecting_session, "responses:statement_create"),
        {"text": "hello", "use": ""},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json()["status"] == "refused"


def test_card_can_be_changed_and_withdrawn(client, collecting_session):
    participant = joined(client, collecting_session)
    statement = StatementFactory(session=collecting_session, participant=participant)
    edit_url = session_url(collecting_session, "responses:statement_edit", statement.pk)
    assert client.get(edit_url).context["form"]["text"].value() == statement.text
    client.post(edit_url, {"text": "Changed", "use": "E"})
    statement.refresh_from_db()
    assert (statement.text, statement.use) == ("Changed", "E")
    client.post(session_url(collecting_session, "responses:statement_withdraw", statement.pk))
    assert not Statement.objects.exists()


def test_someone_elses_card_cannot_be_opened_or_withdrawn(client, collecting_session):
    joined(client, collecting_session)
    theirs = StatementFactory(
        session=collecting_session,
        participant=ParticipantFactory(workshop=collecting_session.workshop),
    )
    assert (
        client.get(
            session_url(collecting_session, "responses:statement_edit", theirs.pk)
        ).status_code
        == 404
    )
    client.post(session_url(collecting_session, "responses:statement_withdraw", theirs.pk))
    assert Statement.objects.filter(pk=theirs.pk).exists()


def test_statements_are_escaped_on_the_participant_page(client, collecting_session):
    participant = joined(client, collecting_session)
    StatementFactory(
        session=collecting_session, participant=participant, text="<script>alert(1)</script>"
    )
    content = client.get(session_url(collecting_session)).content
    assert b"<script>alert(1)</script>" not in content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content


@override_settings(PARTICIPANT_WRITES_PER_MINUTE=3)
def test_rate_limit_is_per_participant_not_per_address(client, collecting_session, rate_window):
    from django.test import Client

    joined(client, collecting_session)
    url = session_url(collecting_session, "responses:statement_create")
    statuses = [client.post(url, card(), **JSON).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = client.post(url, card(), **JSON)
    assert int(refused["Retry-After"]) > 0
    assert "nothing you typed is lost" in refused.json()["error"]

    neighbour = Client()  # same address, another browser in the room
    joined(neighbour, collecting_session)
    assert neighbour.post(url, card(), **JSON).status_code == 201


@override_settings(SESSION_WRITES_PER_MINUTE=2)
def test_rate_limit_per_session_protects_the_room(client, collecting_session, rate_window):
    from django.test import Client

    url = session_url(collecting_session, "responses:statement_create")
    browsers = [Client() for _ in range(3)]
    for browser in browsers:
        joined(browser, collecting_session)
    assert [b.post(url, card(), **JSON).status_code for b in browsers] == [201, 201, 429]


# --- Dots ------------------------------------------------------------------------------------


def dot(client, session, category, action="place", **extra):
    return client.post(
        session_url(session, "responses:dot_change"),
        {"category": category.pk, "action": action},
        **extra,
    )


def test_dots_without_javascript_redirect_with_a_message(client, voting_session):
    participant = joined(client, voting_session)
    category = voting_session.categories.first()
    response = dot(client, voting_session, category, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Your dots are saved."]
    assert Dot.objects.get().participant == participant


def test_fifth_dot_is_refused_in_the_updated_panel(client, voting_session):
    joined(client, voting_session)
    categories = list(voting_session.categories.all())
    for category in categories[:4]:
        assert dot(client, voting_session, category, **HTMX).context["dot_error"] == ""
    # The page had a "Place a dot" enabled that no longer works (another tab placed the last
    # dot): the whole ballot comes back, with every such button disabled, and the reason.
    response = dot(client, voting_session, categories[4], **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "responses/_ballot.html"
    assert response["HX-Retarget"] == "#ballot"
    assert response.context["dot_error"] == (
        "You have placed all 4 of your dots. To move one, first take it off another category."
    )
    assert response.context["ballot"].left == 0
    assert [line.mine for line in response.context["ballot"].lines] == [1, 1, 1, 1, 0]
    assert Dot.objects.count() == 4


def test_tampered_dot_form_is_refused(client, voting_session):
    joined(client, voting_session)
    foreign = CategoryFactory(session=PlenarySessionFactory(phase="voting"))
    response = dot(client, voting_session, foreign, **HTMX)
    assert response.context["dot_error"] == "That category is not on this session's list."
    response = client.post(
        session_url(voting_session, "responses:dot_change"),
        {"category": "1 OR 1=1", "action": "steal"},
        **HTMX,
    )
    assert "could not be placed" in response.context["dot_error"]
    assert not Dot.objects.exists()


def test_results_stay_hidden_until_revealed(client, voting_session):
    joined(client, voting_session)
    category = voting_session.categories.first()
    DotFactory.create_batch(3, category=category)
    page = client.get(session_url(voting_session))
    assert [line.total for line in page.context["ballot"].lines] == [None] * 5
    assert b"dots in all" not in page.content

    voting_session.results_revealed = True
    voting_session.save()
    page = client.get(session_url(voting_session))
    assert [line.total for line in page.context["ballot"].lines] == [3, 0, 0, 0, 0]
    assert b"3 dots in all" in page.content


# --- Phase changes, QR code ------------------------------------------------------------------


def test_status_answers_204_until_the_phase_changes(client, collecting_session):
    from responses.views import status_key

    url = session_url(collecting_session, "responses:session_status")
    key = status_key(collecting_session.join_code)
    unchanged = client.get(url, {"phase": "collecting", "revealed": "0", "k": key})
    assert unchanged.status_code == 204
    assert "csrftoken" in unchanged.cookies
    changed = client.get(url, {"phase": "draft", "revealed": "0", "k": key})
    assert (changed.status_code, changed["HX-Refresh"]) == (200, "true")
    # The page polls with the key it was given.
    joined(client, collecting_session)
    page = client.get(session_url(collecting_session)).content.decode()
    assert f"status/?phase=collecting&amp;revealed=0&amp;k={key}" in page


def test_status_without_the_pages_key_tells_nothing_about_the_code(client, collecting_session):
    # Without the key a real code and an invented one get the same answer, counted as a guess.
    url = session_url(collecting_session, "responses:session_status")
    assert client.get(url, {"phase": "collecting", "revealed": "0"}).status_code == 404
    assert client.get(url, {"phase": "x", "revealed": "0", "k": "0" * 16}).status_code == 404
    assert client.get("/s/ZZZZZZ/status/", {"phase": "x", "revealed": "0"}).status_code == 404


@pytest.mark.parametrize(
    "phase, message",
    [
        ("draft", "This session has not opened yet."),
        ("collecting", "Write your answers, one per card."),
        ("clustering", "Writing has ended. The facilitator is grouping the cards"),
        ("voting", "Voting is open: place your 4 dots"),
        ("closed", "This session has closed. Thank you for taking part."),
    ],
)
def test_each_phase_tells_the_participant_what_happens(client, phase, message):
    session = PlenarySessionFactory(phase=phase)
    joined(client, session)
    response = client.get(session_url(session))
    assert message in response.content.decode()
    assert (b'id="statement-form"' in response.content) == (phase == "collecting")


def test_qr_code_is_an_svg_of_the_join_link(client, collecting_session):
    response = client.get(session_url(collecting_session, "responses:join_qr"))
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.startswith("<svg")
    assert f"http://testserver/s/{collecting_session.join_code}/" in body


def test_unknown_session_code_is_not_found(client, db):
    assert client.get("/s/ZZZZZZ/").status_code == 404
    assert client.post("/s/ZZZZZZ/statements/", card()).status_code == 404


def test_lower_case_code_in_the_link_redirects_to_the_session(client, collecting_session):
    response = client.get(f"/s/{collecting_session.join_code.lower()}/")
    assert response["Location"] == session_url(collecting_session)


@pytest.mark.parametrize("count", [1, 3])
def test_participant_page_query_count_does_not_grow(client, django_assert_num_queries, count):
    session = PlenarySessionFactory(phase="voting")
    participant = joined(client, session)
    for number in range(1, count + 1):
        category = CategoryFactory(session=session, reference_number=number)
        StatementFactory(session=session, participant=participant, category=category)
        DotFactory(category=category, participant=participant)
    # session with the participant, own statements, categories, their dots
    with django_assert_num_queries(4):
        response = client.get(session_url(session))
    assert len(response.context["ballot"].lines) == count


def test_join_screen_is_for_the_workshops_facilitators(client, facilitator, other_facilitator):
    workshop = WorkshopFactory(facilitators=[facilitator])
    session = PlenarySessionFactory(workshop=workshop)
    url = reverse("workshop_sessions:session_join_screen", args=[workshop.pk, session.pk])
    client.force_login(other_facilitator)
    assert client.get(url).status_code == 404
    client.force_login(facilitator)
    response = client.get(url)
    assert response.context["join_url"] == f"http://testserver/s/{session.join_code}/"
    assert session.join_code in response.content.decode()


def test_a_closed_session_takes_no_new_participants(client):
    session = PlenarySessionFactory(phase="closed")
    page = client.get(session_url(session))
    assert page.context["closed"] is True
    assert b"Join anonymously" not in page.content
    client.post(session_url(session), {"anonymous": "1"})
    assert not Participant.objects.exists()
