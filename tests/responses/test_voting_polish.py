"""Voting that cannot trap anyone, and the participant's page's polish: the facilitator is
warned before opening voting that would leave dots nowhere to go; impossible dot buttons are
disabled with their reason; a card is withdrawn only after a confirmation; a trailing (E) or
(I) marks an online card as it marks a paper one."""

import re
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from responses.models import Dot, Statement
from responses.services import statement_edit, statement_submit
from responses.text import split_use_mark
from sessions.models import PlenarySession
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
JSON = {"HTTP_ACCEPT": "application/json"}


def joined(client, session):
    participant = ParticipantFactory(workshop=session.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    return participant


def participant_url(session, name="responses:session", *args):
    return reverse(name, args=[session.join_code, *args])


# --- (E) and (I) at the end of a card ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Reach more residents (E)", ("Reach more residents", "E")),
        ("Reach more residents (e)", ("Reach more residents", "E")),
        ("Train staff(I)", ("Train staff", "I")),
        ("Train staff ( i )  ", ("Train staff", "I")),
        ("Two lines\nof text (I)", ("Two lines\nof text", "I")),
        ("(E)", ("", "E")),
        ("Reach (E) more residents", ("Reach (E) more residents", "")),
        ("Emergency alerts (EI)", ("Emergency alerts (EI)", "")),
        ("No mark", ("No mark", "")),
    ],
)
def test_split_use_mark_reads_a_trailing_mark(text, expected):
    assert split_use_mark(text) == expected


def test_a_trailing_mark_on_an_online_card_sets_its_mark(collecting_session, participant_in):
    participant = participant_in(collecting_session)
    submission = statement_submit(
        session=collecting_session,
        participant=participant,
        text="Answer residents where they already are ( e )",
        idempotency_key=uuid.uuid4(),
    )
    statement = Statement.objects.get(pk=submission.statement.pk)
    assert (statement.text, statement.use) == ("Answer residents where they already are", "E")


def test_a_chosen_mark_wins_over_the_text(collecting_session, participant_in):
    participant = participant_in(collecting_session)
    submission = statement_submit(
        session=collecting_session,
        participant=participant,
        text="Shared calendars (E)",
        use="I",
        idempotency_key=uuid.uuid4(),
    )
    statement = Statement.objects.get(pk=submission.statement.pk)
    assert (statement.text, statement.use) == ("Shared calendars (E)", "I")


def test_a_card_that_is_only_a_mark_is_refused(collecting_session, participant_in, client):
    participant = participant_in(collecting_session)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    response = client.post(
        participant_url(collecting_session, "responses:statement_create"),
        {"text": " (I) ", "use": "", "idempotency_key": str(uuid.uuid4())},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Write something on the card first."
    assert not Statement.objects.exists()


def test_a_trailing_mark_in_a_changed_card_sets_its_mark(collecting_session, participant_in):
    participant = participant_in(collecting_session)
    card = StatementFactory(session=collecting_session, participant=participant, text="Old")
    statement_edit(
        session=collecting_session,
        participant=participant,
        pk=card.pk,
        text="Internal wiki for procedures (I)",
        use="",
    )
    card.refresh_from_db()
    assert (card.text, card.use) == ("Internal wiki for procedures", "I")


def test_the_phones_acknowledgement_shows_the_card_as_stored(client, collecting_session):
    joined(client, collecting_session)
    response = client.post(
        participant_url(collecting_session, "responses:statement_create"),
        {"text": "Live answers during storms (E)", "use": "", "idempotency_key": uuid.uuid4()},
        **JSON,
    )
    stored = response.json()["statement"]
    assert (stored["text"], stored["use"]) == ("Live answers during storms", "E")


# --- The ballot: impossible buttons disabled, with their reason ----------------------------------


def dot(client, session, category, action="place", **extra):
    return client.post(
        participant_url(session, "responses:dot_change"),
        {"category": category.pk, "action": action, "key": str(uuid.uuid4())},
        **extra,
    )


def line(body: str, category) -> str:
    found = re.search(rf'<li class="card mb-3" id="ballot-line-{category.pk}">.*?</li>', body, re.S)
    assert found, f"no line for {category}"
    return found.group(0)


def place_button(line_html: str) -> str:
    return re.search(r'<button[^>]*value="place"[^>]*>', line_html).group(0)


def test_a_dotted_category_says_one_dot_per_category(client, voting_session):
    participant = joined(client, voting_session)
    dotted, free = list(voting_session.categories.order_by("reference_number"))[:2]
    DotFactory(category=dotted, participant=participant)
    body = client.get(participant_url(voting_session)).content.decode()
    dotted_line, free_line = line(body, dotted), line(body, free)
    assert place_button(dotted_line) == (
        f'<button type="submit" name="action" value="place" class="btn btn-dark" disabled '
        f'aria-describedby="dot-reason-{dotted.pk}">'
    )
    assert f'id="dot-reason-{dotted.pk}">One dot per category</span>' in dotted_line
    assert 'value="remove"' in dotted_line
    assert "disabled" not in free_line and "dot-reason" not in free_line
    assert 'value="remove"' not in free_line


def test_stacking_keeps_a_dotted_categorys_button(client, voting_session):
    voting_session.dots_may_stack = True
    voting_session.save()
    participant = joined(client, voting_session)
    dotted = voting_session.categories.first()
    DotFactory(category=dotted, participant=participant)
    dotted_line = line(client.get(participant_url(voting_session)).content.decode(), dotted)
    assert "disabled" not in dotted_line and 'value="remove"' in dotted_line


def test_a_completed_ballot_says_so_and_disables_every_place_button(client, voting_session):
    participant = joined(client, voting_session)
    categories = list(voting_session.categories.order_by("reference_number"))
    for category in categories[:4]:
        DotFactory(category=category, participant=participant)
    body = client.get(participant_url(voting_session)).content.decode()
    assert "All 4 of your dots are placed. You can take one off to move it." in body
    assert "dots left" not in body
    for category in categories:
        assert " disabled " in place_button(line(body, category))
        assert f'id="dot-reason-{category.pk}">All your dots are placed</span>' in body
    assert body.count('value="remove"') == 4


def test_a_dot_in_the_middle_is_answered_with_its_line_only(client, voting_session):
    joined(client, voting_session)
    first = voting_session.categories.first()
    response = dot(client, voting_session, first, **HTMX)
    assert response.templates[0].name == "responses/_dot_answer.html"
    assert "HX-Retarget" not in response
    body = response.content.decode()
    assert body.count('class="card mb-3"') == 1
    assert f'id="dot-reason-{first.pk}">One dot per category</span>' in body
    assert 'role="alert"' not in body


def test_the_last_dot_is_answered_with_the_whole_ballot(client, voting_session):
    participant = joined(client, voting_session)
    categories = list(voting_session.categories.order_by("reference_number"))
    for category in categories[:3]:
        DotFactory(category=category, participant=participant)
    response = dot(client, voting_session, categories[3], **HTMX)
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#ballot", "outerHTML")
    body = response.content.decode()
    assert body.count('class="card mb-3"') == 5
    assert body.count(" disabled ") == 5
    assert "All 4 of your dots are placed. You can take one off to move it." in body
    assert 'role="alert"' not in body  # a success, for the load generator too
    assert Dot.objects.filter(participant=participant).count() == 4


def test_the_whole_ballot_costs_two_statements_more_than_a_line(client, voting_session):
    """The common answer (a line) is pinned at six statements in test_request_costs.py; the
    whole ballot, sent only when the dots run out or come back, reads the categories and the
    participant's dots as well."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    participant = joined(client, voting_session)
    categories = list(voting_session.categories.order_by("reference_number"))
    for category in categories[:3]:
        DotFactory(category=category, participant=participant)
    with CaptureQueriesContext(connection) as captured:
        response = dot(client, voting_session, categories[3], **HTMX)
    sent = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert response["HX-Retarget"] == "#ballot"
    assert len(sent) == 8, "\n\n".join(sent)


def test_taking_a_dot_off_a_full_ballot_enables_the_others_again(client, voting_session):
    participant = joined(client, voting_session)
    categories = list(voting_session.categories.order_by("reference_number"))
    for category in categories[:4]:
        DotFactory(category=category, participant=participant)
    response = dot(client, voting_session, categories[0], action="remove", **HTMX)
    assert response["HX-Retarget"] == "#ballot"
    body = response.content.decode()
    assert "You have 1 of 4 dots left." in body
    # Free now: the category taken off and the one never dotted; the other three, one each.
    assert " disabled " not in place_button(line(body, categories[0]))
    assert " disabled " not in place_button(line(body, categories[4]))
    assert body.count(">One dot per category</span>") == 3
    # A second dot off, with dots left already: only its line again.
    response = dot(client, voting_session, categories[1], action="remove", **HTMX)
    assert response.templates[0].name == "responses/_dot_answer.html"
    assert "HX-Retarget" not in response


def test_a_dot_refused_for_want_of_dots_brings_the_whole_ballot_with_its_reason(
    client, voting_session
):
    participant = joined(client, voting_session)
    categories = list(voting_session.categories.order_by("reference_number"))
    for category in categories[:4]:
        DotFactory(category=category, participant=participant)
    # A page from before the last dot (another tab): its fifth category's button was enabled.
    response = dot(client, voting_session, categories[4], **HTMX)
    assert response["HX-Retarget"] == "#ballot"
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "You have placed all 4 of your dots." in body
    assert body.count(" disabled ") == 5


def test_a_refused_second_dot_on_a_category_is_answered_with_its_line(client, voting_session):
    participant = joined(client, voting_session)
    category = voting_session.categories.first()
    DotFactory(category=category, participant=participant)
    response = dot(client, voting_session, category, **HTMX)
    assert response.templates[0].name == "responses/_dot_answer.html"
    assert 'role="alert"' in response.content.decode()


# --- The participant's cards ---------------------------------------------------------------------


def test_withdrawing_asks_first_and_keeping_changes_nothing(client, collecting_session):
    participant = joined(client, collecting_session)
    card = StatementFactory(
        session=collecting_session, participant=participant, text="Ask residents first"
    )
    url = participant_url(collecting_session, "responses:statement_withdraw", card.pk)
    page = client.get(participant_url(collecting_session)).content.decode()
    assert f'<a class="btn btn-sm btn-outline-danger" href="{url}">Withdraw' in page
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Withdraw this card?</h1>" in body
    assert "Ask residents first" in body
    assert '<button type="submit" class="btn btn-danger">Withdraw</button>' in body
    assert f'href="{participant_url(collecting_session)}">Keep it</a>' in body
    assert Statement.objects.filter(pk=card.pk).exists()
    response = client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Your card is withdrawn."]
    assert not Statement.objects.filter(pk=card.pk).exists()


def test_withdrawing_anothers_card_or_after_writing_is_not_offered(client, collecting_session):
    joined(client, collecting_session)
    theirs = StatementFactory(
        session=collecting_session,
        participant=ParticipantFactory(workshop=collecting_session.workshop),
    )
    url = participant_url(collecting_session, "responses:statement_withdraw", theirs.pk)
    assert client.get(url).status_code == 404
    mine = StatementFactory(
        session=collecting_session,
        participant=joined(client, collecting_session),
    )
    collecting_session.phase = "clustering"
    collecting_session.save()
    response = client.get(
        participant_url(collecting_session, "responses:statement_withdraw", mine.pk)
    )
    assert response.status_code == 302
    assert response["Location"] == participant_url(collecting_session)


def test_stored_cards_carry_the_same_received_label_as_sent_ones(client, collecting_session):
    participant = joined(client, collecting_session)
    StatementFactory.create_batch(2, session=collecting_session, participant=participant)
    body = client.get(participant_url(collecting_session)).content.decode()
    label = '<p class="small text-success mb-0 received-note">Received</p>'
    # Two stored cards, and the script's template for a card sent now.
    assert body.count(label) == 3


def test_a_message_is_shown_once_and_gone_on_the_next_page(client, collecting_session):
    participant = joined(client, collecting_session)
    card = StatementFactory(session=collecting_session, participant=participant)
    client.post(participant_url(collecting_session, "responses:statement_withdraw", card.pk))
    first = client.get(participant_url(collecting_session)).content.decode()
    again = client.get(participant_url(collecting_session)).content.decode()
    assert "Your card is withdrawn." in first
    assert "Your card is withdrawn." not in again


# --- The facilitator opens voting ----------------------------------------------------------------


@pytest.fixture
def short_session(facilitator):
    """Three categories, four dots each, no stacking: one dot each would be left over."""
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[facilitator]), phase="clustering"
    )
    for number, name in enumerate(["Resources", "Security", "Governance"], start=1):
        CategoryFactory(session=session, reference_number=number, name=name)
    return session


def phase_url(session):
    return reverse("workshop_sessions:session_phase", args=[session.workshop_id, session.pk])


def test_opening_voting_with_too_few_categories_warns_first(client, facilitator, short_session):
    client.force_login(facilitator)
    response = client.post(phase_url(short_session), {"phase": "voting", "next_page": "board"})
    assert response.status_code == 302
    assert response["Location"] == phase_url(short_session) + "?next_page=board"
    short_session.refresh_from_db()
    assert short_session.phase == "clustering"

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.templates[0].name == "workshop_sessions/session_voting_warning.html"
    assert "has 3 categories, each participant has 4 dots" in re.sub(r"\s+", " ", body)
    fixes = re.findall(r'name="fix" value="(\w+)"', body)
    assert fixes == ["dots", "stack", "anyway"]
    assert body.count('name="next_page" value="board"') == 3
    assert "Use 3 dots" in body and "Allow stacking" in body and "Open voting anyway" in body


@pytest.mark.parametrize(
    "fix, dots, stack, message",
    [
        ("dots", 3, False, "Each participant has 3 dots."),
        ("stack", 4, True, "Participants may put more than one dot on a category."),
        ("anyway", 4, False, ""),
    ],
)
def test_each_fix_opens_voting(client, facilitator, short_session, fix, dots, stack, message):
    client.force_login(facilitator)
    response = client.post(
        phase_url(short_session), {"phase": "voting", "fix": fix, "next_page": "board"}, follow=True
    )
    short_session.refresh_from_db()
    assert (short_session.phase, short_session.dots_per_participant) == ("voting", dots)
    assert short_session.dots_may_stack is stack
    assert [str(m) for m in response.context["messages"]] == [
        f"“{short_session.title}” is now in the phase: Voting. {message}".strip()
    ]
    assert response.redirect_chain[-1][0] == reverse(
        "facilitation:session_board", args=[short_session.workshop_id, short_session.pk]
    )


def test_without_categories_only_opening_anyway_is_offered(client, facilitator):
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[facilitator]), phase="clustering"
    )
    client.force_login(facilitator)
    body = client.get(phase_url(session)).content.decode()
    assert re.findall(r'name="fix" value="(\w+)"', body) == ["anyway"]
    assert "has no categories yet" in body
    # A fix that cannot help is not applied: the warning again.
    response = client.post(phase_url(session), {"phase": "voting", "fix": "dots"})
    assert response["Location"] == phase_url(session)
    session.refresh_from_db()
    assert (session.phase, session.dots_per_participant) == ("clustering", 4)


@pytest.mark.parametrize("categories, stack", [(4, False), (2, True)])
def test_voting_opens_at_once_when_every_dot_has_a_place(client, facilitator, categories, stack):
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[facilitator]),
        phase="clustering",
        dots_may_stack=stack,
    )
    CategoryFactory.create_batch(categories, session=session)
    client.force_login(facilitator)
    response = client.post(phase_url(session), {"phase": "voting"})
    assert response["Location"] == f"{session.workshop.get_absolute_url()}#session-{session.pk}"
    session.refresh_from_db()
    assert session.phase == "voting"
    # Nothing to warn about: the warning's URL goes back.
    assert client.get(phase_url(session)).status_code == 302


def test_other_phases_and_voting_already_open_are_not_warned_about(
    client, facilitator, short_session
):
    client.force_login(facilitator)
    client.post(phase_url(short_session), {"phase": "collecting"})
    short_session.refresh_from_db()
    assert short_session.phase == "collecting"
    PlenarySession.objects.filter(pk=short_session.pk).update(phase="voting")
    response = client.post(phase_url(short_session), {"phase": "voting"})
    assert response["Location"].endswith(f"#session-{short_session.pk}")
