"""The clustering page keeps the facilitator's place: where the focus goes after each change, what
the live region says, the moved statement marked; the statements above the "present" box; paper
cards corrected (and only those), with the change in the history."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from responses.models import Category, Statement
from sessions.models import AuditEvent
from tests.factories import (
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def url(name, session, query=""):
    return reverse(f"facilitation:{name}", args=[session.workshop_id, session.pk]) + query


def correct_url(statement, query=""):
    session = statement.session
    return (
        reverse("facilitation:card_correct", args=[session.workshop_id, session.pk, statement.pk])
        + query
    )


@pytest.fixture
def mine(client, facilitator):
    client.force_login(facilitator)
    workshop = WorkshopFactory(facilitators=[facilitator])
    return PlenarySessionFactory(workshop=workshop, position=1, phase="clustering")


@pytest.fixture
def security(mine):
    return CategoryFactory(session=mine, reference_number=3, name="Security")


@pytest.fixture
def pile(mine):
    """Six uncategorised statements, in this order on the page."""
    start = timezone.now()
    return [
        StatementFactory(session=mine, text=f"Card {n}", created_at=start + dt.timedelta(seconds=n))
        for n in range(6)
    ]


def status_of(page) -> str:
    """The text of the page's live region."""
    html = page.content.decode()
    region = re.search(r'<div id="clustering-status" role="status"[^>]*>(.*?)</div>', html, re.S)
    assert region, "no live region"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", region.group(1))).strip()


def autofocused(page) -> list[str]:
    return re.findall(r'id="([^"]+)"[^>]*\sautofocus', page.content.decode())


def test_moving_one_goes_on_at_the_next_card_and_says_what_moved(client, mine, security, pile):
    response = client.post(
        url("statements_move", mine), {f"to-{pile[0].pk}": "3", "statement": pile[0].pk}
    )
    assert response["Location"] == url("session_clustering", mine, f"?next={pile[1].pk}")
    page = client.get(response["Location"])
    assert status_of(page) == "Moved “Card 0” to 3. Security. Show the moved statement"
    assert autofocused(page) == [f"move-{pile[1].pk}"]
    html = page.content.decode()
    # The focused box is described by the live region; the moved statement is marked.
    assert re.search(rf'id="move-{pile[1].pk}"[^>]*aria-describedby="clustering-status"', html)
    assert re.search(
        rf'class="[^"]*just-moved[^"]*" draggable="true" id="statement-{pile[0].pk}"', html
    )
    assert f'href="#statement-{pile[0].pk}"' in html
    # Said once: not also in the site's messages.
    assert html.count("Moved “Card 0”") == 1


def test_moving_the_last_of_a_list_goes_to_the_moved_card(client, mine, security, pile):
    Statement.objects.filter(pk__in=[s.pk for s in pile[:-1]]).update(category=security)
    response = client.post(
        url("statements_move", mine), {f"to-{pile[-1].pk}": "3", "statement": pile[-1].pk}
    )
    assert response["Location"] == url("session_clustering", mine, f"?next={pile[-1].pk}")
    page = client.get(response["Location"])
    assert autofocused(page) == [f"move-{pile[-1].pk}"]
    assert "Uncategorised (0)" in page.content.decode()


@pytest.mark.parametrize(
    ("boxes", "said"),
    [
        (5, "Moved 5 statements to 3. Security."),
        (2, "Moved 2 statements to 3. Security."),
    ],
)
def test_moving_several_says_how_many_with_plural_forms(client, mine, security, pile, boxes, said):
    data = {f"to-{s.pk}": "3" for s in pile[:boxes]} | {"statement": pile[0].pk}
    page = client.post(url("statements_move", mine), data, follow=True)
    assert status_of(page) == said
    html = page.content.decode()
    assert html.count("just-moved") == boxes


def test_moving_to_two_categories_names_both(client, mine, security, pile):
    CategoryFactory(session=mine, reference_number=1, name="Resources")
    data = {f"to-{pile[0].pk}": "1", f"to-{pile[1].pk}": "3", "statement": pile[0].pk}
    page = client.post(url("statements_move", mine), data, follow=True)
    assert status_of(page) == "Moved 2 statements to 1. Resources and 3. Security."


def test_creating_a_category_focuses_it(client, mine, pile):
    response = client.post(url("category_create", mine), {"name": "Security"})
    category = Category.objects.get(session=mine, name="Security")
    assert response["Location"] == url("session_clustering", mine, f"#category-{category.pk}")
    page = client.get(response["Location"])
    assert status_of(page) == "Created category 1. Security."
    html = page.content.decode()
    # Focusable, so the browser focuses it at #category-<id>, and described by the message.
    assert re.search(
        rf'id="category-{category.pk}"[^>]*tabindex="-1" aria-describedby="clustering-status"',
        html,
    )
    assert autofocused(page) == []


def test_merging_focuses_the_category_merged_into(client, mine, security, pile):
    staff = CategoryFactory(session=mine, reference_number=1, name="Staff time")
    Statement.objects.filter(pk__in=[pile[0].pk, pile[1].pk]).update(category=staff)
    response = client.post(url("category_merge", mine), {"category": staff.pk, "into_number": "3"})
    assert response["Location"] == url("session_clustering", mine, f"#category-{security.pk}")
    page = client.get(response["Location"])
    assert status_of(page) == "Merged “Staff time” into 3. Security: 2 statements moved."


def test_splitting_focuses_the_new_category_and_marks_its_statements(client, mine, security, pile):
    Statement.objects.filter(pk__in=[s.pk for s in pile[:3]]).update(category=security)
    response = client.post(
        url("category_split", mine),
        {"category": security.pk, "statement": [pile[0].pk], "name": "Passwords"},
    )
    new = Category.objects.get(session=mine, name="Passwords")
    assert response["Location"] == url("session_clustering", mine, f"#category-{new.pk}")
    page = client.get(response["Location"])
    assert status_of(page) == "Split 1 statement off into the new category 4. Passwords."
    assert page.content.decode().count("just-moved") == 1


def test_the_mark_is_shown_once(client, mine, security, pile):
    client.post(url("statements_move", mine), {f"to-{pile[0].pk}": "3", "statement": pile[0].pk})
    client.get(url("session_clustering", mine))
    again = client.get(url("session_clustering", mine))
    assert "just-moved" not in again.content.decode()
    assert status_of(again) == ""


def test_a_refusal_is_an_alert_not_in_the_live_region(client, mine, security, pile):
    page = client.post(
        url("statements_move", mine),
        {f"to-{pile[0].pk}": "9", "statement": pile[0].pk},
        follow=True,
    )
    assert status_of(page) == ""
    assert re.search(
        r'role="alert"><p class="alert alert-danger mb-2">“Card 0” was not moved',
        page.content.decode(),
    )


def test_split_tick_boxes_are_labelled_with_their_statement(client, mine, security, pile):
    Statement.objects.filter(pk=pile[0].pk).update(category=security)
    html = client.get(url("session_clustering", mine, f"?edit={security.pk}")).content.decode()
    assert re.search(
        rf'<input class="form-check-input" type="checkbox" name="statement" value="{pile[0].pk}"'
        rf'[^>]*id="tick-{pile[0].pk}">'
        rf'<label class="form-check-label statement-text" for="tick-{pile[0].pk}">'
        rf'<span class="visually-hidden">Split off: </span><span id="text-{pile[0].pk}">Card 0',
        html,
    )


@pytest.fixture
def other_list(facilitator):
    """Another session's categories, which this facilitator may present."""
    other = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[facilitator]), position=1, title="State values"
    )
    CategoryFactory(session=other, reference_number=1, name="Cost savings")
    return other


def test_the_statements_come_before_the_present_box_which_is_folded(client, mine, pile, other_list):
    html = client.get(url("session_clustering", mine)).content.decode()
    assert html.index('id="uncategorised"') < html.index('id="present"')
    assert '<details class="card card-body mb-4" id="present">' in html  # folded
    assert "Present the list of" in html


def test_the_present_box_is_open_on_an_empty_page(client, mine, other_list):
    html = client.get(url("session_clustering", mine)).content.decode()
    assert '<details class="card card-body mb-4" id="present" open>' in html


# --- Correcting a paper card ------------------------------------------------------------------


def test_a_paper_card_is_corrected_and_the_history_keeps_it(client, mine, facilitator):
    card = StatementFactory(session=mine, source="card", text="Recriut younger staf", use="")
    response = client.post(
        correct_url(card, "?from=clustering"), {"text": "Recruit younger staff", "use": "E"}
    )
    assert response["Location"] == url("session_clustering", mine, f"#statement-{card.pk}")
    card.refresh_from_db()
    assert (card.text, card.use) == ("Recruit younger staff", "E")
    event = AuditEvent.objects.get(target="statement", target_id=card.pk, action="changed")
    assert event.actor == facilitator
    assert event.session == mine
    assert event.changes == {
        "text": ["Recriut younger staf", "Recruit younger staff"],
        "use": ["", "E"],
    }


def test_correcting_from_the_cards_page_goes_back_there(client, mine):
    card = StatementFactory(session=mine, source="facilitator", text="Typo")
    response = client.post(correct_url(card), {"text": "Typed", "use": ""})
    assert response["Location"] == url("session_cards", mine)


def test_an_unchanged_correction_records_nothing(client, mine):
    card = StatementFactory(session=mine, source="card", text="Right", use="I")
    client.post(correct_url(card), {"text": "Right", "use": "I"})
    assert not AuditEvent.objects.filter(target_id=card.pk, action="changed").exists()


def test_an_online_card_cannot_be_corrected(client, mine):
    card = StatementFactory(
        session=mine, participant=ParticipantFactory(workshop=mine.workshop), text="Mine"
    )
    response = client.post(correct_url(card), {"text": "Not mine", "use": ""})
    assert response["Location"] == url("session_clustering", mine)
    card.refresh_from_db()
    assert card.text == "Mine"
    assert client.get(correct_url(card)).status_code == 302


def test_an_empty_correction_opens_at_the_error_summary(client, mine):
    card = StatementFactory(session=mine, source="card", text="Right")
    response = client.post(correct_url(card), {"text": "   ", "use": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'action="#form-errors"' in html
    assert re.search(r'id="form-errors" tabindex="-1">.*<a href="#id_text">', html, re.S)
    card.refresh_from_db()
    assert card.text == "Right"


def test_paper_cards_have_a_correct_link_online_ones_do_not(client, mine):
    paper = StatementFactory(session=mine, source="card", text="On paper")
    online = StatementFactory(
        session=mine, participant=ParticipantFactory(workshop=mine.workshop), text="Online"
    )
    html = client.get(url("session_clustering", mine)).content.decode()
    assert correct_url(paper, "?from=clustering") in html
    assert f"/cards/{online.pk}/correct/" not in html
    cards = client.get(url("session_cards", mine)).content.decode()
    assert correct_url(paper) in cards
