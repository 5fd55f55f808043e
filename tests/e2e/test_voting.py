"""Voting that cannot trap anyone: the facilitator is warned before opening voting that would
leave dots nowhere to go, and fixes it with a button; on the phone, what cannot be done is
disabled with the reason beside it. And the participant's cards: withdrawn only after a
confirmation, a trailing (E) read as the mark."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from responses.models import Dot, Statement
from tests.e2e.conftest import PHONE
from tests.factories import (
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.e2e

CONCERNS = ["Resources", "Security", "Governance"]


@pytest.fixture
def facilitator(make_user):
    return make_user("dana", role="facilitator", first_name="Dana")


@pytest.fixture
def session(facilitator):
    """Three categories, four dots each, one per category."""
    workshop = WorkshopFactory(title="State agency workshop", facilitators=[facilitator])
    session = PlenarySessionFactory(
        workshop=workshop, position=1, title="Concerns", purpose="concerns", phase="clustering"
    )
    for number, name in enumerate(CONCERNS, start=1):
        CategoryFactory(session=session, reference_number=number, name=name)
    return session


def phone_of(open_browser, session):
    person = open_browser(viewport=PHONE)
    person.join_as(ParticipantFactory(workshop=session.workshop))
    person.page.goto(f"/s/{session.join_code}/")
    return person.page


def test_opening_voting_warns_and_fewer_dots_fit_the_categories(
    session, facilitator, open_browser, audit
):
    phone = phone_of(open_browser, session)
    person = open_browser()
    person.login_as(facilitator)
    page = person.page
    page.goto(session.workshop.get_absolute_url())
    page.get_by_label("Phase").first.select_option("voting")
    page.get_by_role("button", name="Change phase of Concerns").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Not every dot can be placed")
    expect(page.locator(".voting-warning")).to_contain_text(
        "“Concerns” has 3 categories, each participant has 4 dots"
    )
    audit(page, name="workshop_sessions:session_phase (voting warning)")
    session.refresh_from_db()
    assert session.phase == "clustering"  # nothing opened yet

    page.get_by_role("button", name="Use 3 dots").click()
    expect(
        page.get_by_text("“Concerns” is now in the phase: Voting. Each participant has 3 dots.")
    ).to_be_visible()
    session.refresh_from_db()
    assert (session.phase, session.dots_per_participant) == ("voting", 3)

    # On the phone: a dotted category's button is disabled with its reason, then all are.
    expect(phone.get_by_role("heading", name="Place your dots")).to_be_visible(timeout=8_000)
    expect(phone.locator("#dots-left")).to_contain_text("You have 3 of 3 dots left.")
    phone.get_by_role("button", name="Place a dot on Resources").click()
    expect(phone.locator("#dots-left")).to_contain_text("You have 2 of 3 dots left.")
    placed = phone.get_by_role("button", name="Place a dot on Resources")
    expect(placed).to_be_disabled()
    expect(placed).to_have_accessible_description("One dot per category")
    expect(phone.get_by_role("button", name="Take a dot off Resources")).to_be_focused()
    expect(phone.get_by_role("button", name="Take a dot off Security")).to_have_count(0)
    audit(phone, name="responses:session (voting, one dot placed)")

    for name in CONCERNS[1:]:
        phone.get_by_role("button", name=f"Place a dot on {name}").click()
        expect(phone.get_by_role("button", name=f"Take a dot off {name}")).to_be_visible()
    done = phone.locator("#dots-left")
    expect(done).to_have_text("All 3 of your dots are placed. You can take one off to move it.")
    expect(done).to_be_focused()
    for name in CONCERNS:
        button = phone.get_by_role("button", name=f"Place a dot on {name}")
        expect(button).to_be_disabled()
        expect(button).to_have_accessible_description("All your dots are placed")
    audit(phone, name="responses:session (voting, all dots placed)")

    # Taken back: the others come back too.
    phone.get_by_role("button", name="Take a dot off Security").click()
    expect(phone.locator("#dots-left")).to_contain_text("You have 1 of 3 dots left.")
    expect(phone.get_by_role("button", name="Place a dot on Security")).to_be_enabled()
    assert sorted(Dot.objects.values_list("category__name", flat=True)) == [
        "Governance",
        "Resources",
    ]


@pytest.mark.parametrize("fix, stack", [("Allow stacking", True), ("Open voting anyway", False)])
def test_the_warning_from_the_board_opens_voting_with_the_chosen_fix(
    session, facilitator, open_browser, fix, stack
):
    person = open_browser()
    person.login_as(facilitator)
    page = person.page
    page.goto(reverse("facilitation:session_board", args=[session.workshop_id, session.pk]))
    page.get_by_text("Facilitator controls").click()
    page.locator("#board-phase").select_option("voting")
    page.get_by_role("button", name="Change phase").click()
    page.get_by_role("button", name=fix).click()
    # Back on the board (which shows no messages: it is on the projector).
    expect(page.get_by_text("Facilitator controls")).to_be_visible()
    assert page.url.endswith("/board/")
    session.refresh_from_db()
    assert (session.phase, session.dots_may_stack, session.dots_per_participant) == (
        "voting",
        stack,
        4,
    )


def test_a_card_is_withdrawn_after_a_confirmation_and_a_trailing_mark_is_read(
    session, open_browser, audit
):
    session.phase = "collecting"
    session.save()
    page = phone_of(open_browser, session)
    for text in ["Who answers at night? (e)", "Records of comments"]:
        page.get_by_label("Your answer").fill(text)
        page.get_by_role("button", name="Send card").click()
        expect(page.locator("#send-status")).to_have_text("Received: your card is stored.")
    cards = page.locator("#my-statements > li")
    expect(cards.locator(".statement-text")).to_have_text(
        ["Who answers at night?", "Records of comments"]
    )
    expect(cards.first.locator(".badge")).to_have_text("External use")
    assert list(Statement.objects.order_by("pk").values_list("text", "use")) == [
        ("Who answers at night?", "E"),
        ("Records of comments", ""),
    ]

    cards.first.get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw this card?")
    expect(page.get_by_text("Who answers at night?")).to_be_visible()
    audit(page, name="responses:statement_withdraw")
    page.get_by_role("link", name="Keep it").click()
    expect(cards).to_have_count(2)

    cards.first.get_by_role("link", name="Withdraw").click()
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text("Your card is withdrawn.")).to_be_visible()
    expect(cards.locator(".statement-text")).to_have_text(["Records of comments"])
    # The other card keeps its "Received", as the script showed it.
    expect(cards.first.locator(".received-note")).to_have_text("Received")
    assert list(Statement.objects.values_list("text", flat=True)) == ["Records of comments"]

    # The message goes with the next action.
    page.get_by_label("Your answer").fill("Plain language on every post (I)")
    page.get_by_role("button", name="Send card").click()
    expect(page.locator("#send-status")).to_have_text("Received: your card is stored.")
    expect(page.get_by_text("Your card is withdrawn.")).to_have_count(0)
    expect(cards.locator(".received-note")).to_have_text(["Received", "Received"])
    assert Statement.objects.get(text="Plain language on every post").use == "I"
