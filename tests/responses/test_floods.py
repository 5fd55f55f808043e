"""Floods held: limits a new cookie does not reset, a cap on each participant's cards, and join
codes that cannot be guessed quickly; a room of 300 behind one address still passes."""

import uuid

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from responses.models import Dot, Participant, Statement
from responses.views import status_key
from sessions.models import PlenarySession
from tests.factories import CategoryFactory, ParticipantFactory, PlenarySessionFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def card(text: str) -> dict:
    return {"text": text, "use": "", "idempotency_key": str(uuid.uuid4())}


def join(session: PlenarySession, address: str = "203.0.113.7") -> Client:
    """A new browser joining anonymously, as the page's "Join anonymously" button does."""
    browser = Client(REMOTE_ADDR=address)
    response = browser.post(
        reverse("responses:session", args=[session.join_code]), {"anonymous": "1"}
    )
    assert response.status_code == 302, response.status_code
    return browser


def test_a_flood_of_cards_from_rejoined_identities_is_throttled(rate_window):
    # The outside review's flood: each time an identity is refused, join again with a new
    # cookie and go on; 1,521 cards in 30 s from 55 identities went through without a 429.
    session = PlenarySessionFactory(phase="collecting")
    url = reverse("responses:statement_create", args=[session.join_code])
    browser, statuses = join(session), []
    for number in range(1500):
        response = browser.post(url, card(f"flood {number}"), **JSON)
        statuses.append(response.status_code)
        if response.status_code != 201:
            browser = join(session)
    stored = Statement.objects.filter(session=session).count()
    assert stored < settings.ADDRESS_CARDS_PER_MINUTE
    assert statuses.count(201) == stored
    # From the ceiling on, every card from that address is refused until the minute is over.
    assert set(statuses[settings.ADDRESS_CARDS_PER_MINUTE :]) == {429}
    refused = browser.post(url, card("one more"), **JSON)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "nothing you typed is lost" in refused.json()["error"]
    # No identity held more than its share.
    per_participant = {
        p.statements.count() for p in Participant.objects.filter(workshop=session.workshop)
    }
    assert max(per_participant) == settings.STATEMENTS_PER_PARTICIPANT
    # Another address (another room) is not affected.
    assert join(session, "198.51.100.9").post(url, card("hello"), **JSON).status_code == 201


def test_a_room_of_300_behind_one_address_joins_writes_and_votes(rate_window):
    session = PlenarySessionFactory(phase="collecting", purpose="concerns")
    browsers = [join(session) for _ in range(300)]
    url = reverse("responses:statement_create", args=[session.join_code])
    statuses = [
        browser.post(url, card(f"card {n} of {i}"), **JSON).status_code
        for i, browser in enumerate(browsers)
        for n in range(3)
    ]
    assert statuses == [201] * 900
    categories = [
        CategoryFactory(session=session, reference_number=n, name=f"C{n}") for n in range(1, 5)
    ]
    PlenarySession.objects.filter(pk=session.pk).update(phase="voting")
    dots = reverse("responses:dot_change", args=[session.join_code])
    statuses = [
        browser.post(dots, {"category": category.pk, "action": "place"}).status_code
        for browser in browsers
        for category in categories
    ]
    assert statuses == [302] * 1200
    assert Statement.objects.count() == 900
    assert Dot.objects.filter(session=session).count() == 1200


@override_settings(STATEMENTS_PER_PARTICIPANT=3)
def test_a_participant_holds_at_most_the_cap_of_cards(client):
    session = PlenarySessionFactory(phase="collecting")
    participant = ParticipantFactory(workshop=session.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    url = reverse("responses:statement_create", args=[session.join_code])
    sent = [card(f"card {n}") for n in range(3)]
    assert [client.post(url, c, **JSON).status_code for c in sent] == [201, 201, 201]
    refused = client.post(url, card("a fourth"), **JSON)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("You have 3 cards in this session")
    # A retry of a stored card is still acknowledged, not refused.
    assert client.post(url, sent[0], **JSON).status_code == 200
    # Without JavaScript the text comes back in the form with the message.
    page = client.post(url, card("typed without JavaScript"))
    assert page.status_code == 400
    assert b"typed without JavaScript" in page.content
    # Withdrawing one makes room again.
    first = Statement.objects.filter(participant=participant).first()
    client.post(reverse("responses:statement_withdraw", args=[session.join_code, first.pk]))
    assert client.post(url, card("a fourth"), **JSON).status_code == 201


@override_settings(ADDRESS_JOINS_PER_10_MINUTES=3)
def test_joins_from_one_address_have_a_ceiling(rate_window):
    session = PlenarySessionFactory(phase="collecting")
    url = reverse("responses:session", args=[session.join_code])
    statuses = [
        Client(REMOTE_ADDR="203.0.113.7").post(url, {"anonymous": "1"}).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert Participant.objects.count() == 3
    other = Client(REMOTE_ADDR="2001:db8:1:2::5").post(url, {"anonymous": "1"})
    assert other.status_code == 302


@override_settings(ADDRESS_WRITES_PER_MINUTE=5)
def test_one_address_cannot_spend_the_sessions_whole_write_budget(rate_window):
    # 105 identities at one address withdrawing cards that do not exist used up the session's
    # 3,000 writes a minute; a participant elsewhere was then refused.
    session = PlenarySessionFactory(phase="collecting")
    url = reverse("responses:statement_withdraw", args=[session.join_code, 999_999])
    attackers = [join(session) for _ in range(3)]
    statuses = [a.post(url, **JSON).status_code for a in attackers for _ in range(3)]
    assert statuses == [409] * 5 + [429] * 4
    elsewhere = join(session, "198.51.100.9")
    create = reverse("responses:statement_create", args=[session.join_code])
    assert elsewhere.post(create, card("still heard"), **JSON).status_code == 201


def guesses(client: Client, count: int) -> list[int]:
    return [
        client.get(reverse("responses:join"), {"code": f"ZZZ{n:03d}"}).status_code
        for n in range(count)
    ]


def test_join_codes_cannot_be_guessed_quickly(rate_window):
    # About 90 guesses a second from one client were answered, none refused.
    session = PlenarySessionFactory(phase="collecting")
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    limit = settings.ADDRESS_CODE_MISSES_PER_MINUTE
    statuses = guesses(guesser, limit + 30)
    assert statuses[:limit] == [200] * limit  # the form explains each wrong code
    assert set(statuses[limit:]) == {429}
    # Over the limit even the right code answers 429 everywhere a code is looked up, so a
    # guesser learns nothing more this minute (a lower-case code included).
    code = session.join_code
    for url in (
        f"{reverse('responses:join')}?code={code}",
        reverse("responses:session", args=[code]),
        reverse("responses:session", args=[code.lower()]),
        reverse("responses:session_status", args=[code]),
        "/s/QQQQQQ/",
        "/s/QQQQQQ/status/",
    ):
        response = guesser.get(url)
        assert response.status_code == 429, url
        assert 0 < int(response["Retry-After"]) <= 60
    assert b"Too many wrong session codes" in guesser.get(f"/s/{code}/").content
    # Someone who has joined goes on as before: the page and its status polls (which carry
    # the page's key); the projector's QR code is made from the code alone and never refused.
    participant = ParticipantFactory(workshop=session.workshop)
    guesser.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    assert guesser.get(f"/s/{code}/").status_code == 200
    status = reverse("responses:session_status", args=[code])
    poll = {"phase": session.phase, "revealed": "0", "k": status_key(code)}
    assert guesser.get(status, poll).status_code == 204
    assert guesser.get(reverse("responses:join_qr", args=[code])).status_code == 200
    # Another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.9").get(f"/s/{code}/").status_code == 200


def test_wrong_codes_in_links_count_as_guesses(rate_window):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    limit = settings.ADDRESS_CODE_MISSES_PER_MINUTE
    statuses = [guesser.get(f"/s/ZZZ{n:03d}/status/").status_code for n in range(limit + 1)]
    assert statuses == [404] * limit + [429]


@override_settings(BEHIND_PROXY=True)
def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(rate_window):
    from responses.ratelimit import client_address, client_ip

    request = Client().get("/healthz").wsgi_request
    request.META["REMOTE_ADDR"] = "10.0.0.2"
    request.META["HTTP_X_FORWARDED_FOR"] = "1.2.3.4, 203.0.113.7"  # the client wrote 1.2.3.4
    assert client_ip(request) == "203.0.113.7"
    request.META["HTTP_X_FORWARDED_FOR"] = "2001:db8:1:2:3:4:5:6"
    assert client_address(request) == "2001:db8:1:2::/64"
    request.META["HTTP_X_FORWARDED_FOR"] = "not an address\x00"
    assert client_ip(request) is None and client_address(request) == "unknown"
