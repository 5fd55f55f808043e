"""A participant's journey on a phone: join, write, survive reloads and lost connections, vote."""

import re

import pytest
from playwright.sync_api import expect

from responses.models import Dot, Participant, Statement
from sessions.services import session_phase_set
from tests.e2e.conftest import PHONE
from tests.factories import CategoryFactory, PlenarySessionFactory, WorkshopFactory

pytestmark = pytest.mark.e2e

CONCERNS = [
    "Resources",
    "Legal and regulatory ramifications",
    "Governance",
    "Security",
    "Perception",
]


@pytest.fixture
def session(transactional_db):
    workshop = WorkshopFactory(title="State agency workshop")
    session = PlenarySessionFactory(
        workshop=workshop,
        position=1,
        title="Concerns",
        purpose="concerns",
        phase="collecting",
        prompt="What are the most pressing concerns about social media?",
    )
    for number, name in enumerate(CONCERNS, start=1):
        CategoryFactory(
            session=session, reference_number=number, name=name, description=f"About {name}."
        )
    return session


def join(page, session) -> None:
    page.goto("/")
    page.get_by_label("Session code").fill(session.join_code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("You take part anonymously")).to_be_visible()
    page.get_by_role("button", name="Join anonymously").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(session.prompt)


def send_card(page, text: str, use: str | None = None) -> None:
    page.get_by_label("Your answer").fill(text)
    if use:
        page.get_by_label(use).check()
    page.get_by_role("button", name="Send card").click()


def my_cards(page):
    return page.locator("#my-statements .statement-text")


def test_participant_joins_by_code_and_sends_three_cards(session, open_browser, audit):
    page = open_browser(viewport=PHONE).page
    join(page, session)
    expect(page.get_by_text(re.compile(r"Writing time: 5 minutes"))).to_be_visible()
    expect(page.locator(".timer-remaining")).to_have_text(re.compile(r"\(4:5\d left\)"))

    send_card(page, "Staff time to keep accounts current", use="Internal (I): inside government")
    expect(page.locator("#send-status")).to_have_text("Received: your card is stored.")
    send_card(page, "Records retention for public comments")
    send_card(page, "Who may speak for the agency online?")
    expect(my_cards(page)).to_have_text(
        [
            "Staff time to keep accounts current",
            "Records retention for public comments",
            "Who may speak for the agency online?",
        ]
    )
    expect(page.get_by_label("Your answer")).to_have_value("")
    assert list(Statement.objects.order_by("pk").values_list("text", "use", "source")) == [
        ("Staff time to keep accounts current", "I", "online"),
        ("Records retention for public comments", "", "online"),
        ("Who may speak for the agency online?", "", "online"),
    ]
    assert Participant.objects.get().name == ""
    audit(page, name="responses:session")

    page.reload()  # what the server rendered matches what the script showed
    expect(my_cards(page)).to_have_count(3)


def test_typed_text_survives_a_reload(session, open_browser):
    page = open_browser(viewport=PHONE).page
    join(page, session)
    page.get_by_label("Your answer").fill("Half-written thought about gove")
    page.get_by_label("External (E): with the public").check()
    page.reload()
    expect(page.get_by_label("Your answer")).to_have_value("Half-written thought about gove")
    expect(page.get_by_label("External (E): with the public")).to_be_checked()
    assert not Statement.objects.exists()


def test_card_sent_offline_is_stored_once_when_the_network_returns(session, open_browser):
    person = open_browser(viewport=PHONE)
    page = person.page
    join(page, session)

    person.context.set_offline(True)
    send_card(page, "Sent from the basement with no signal")
    expect(page.locator("#send-status")).to_contain_text("No connection")
    expect(page.locator("#outbox")).to_be_visible()
    expect(page.locator("#outbox-list .statement-text")).to_have_text(
        "Sent from the basement with no signal"
    )
    page.wait_for_timeout(1500)  # a retry or two while offline
    assert not Statement.objects.exists()

    person.context.set_offline(False)
    expect(page.locator("#send-status")).to_have_text(
        "Received: your card is stored.", timeout=15_000
    )
    expect(page.locator("#outbox")).to_be_hidden()
    expect(my_cards(page)).to_have_text(["Sent from the basement with no signal"])
    assert list(Statement.objects.values_list("text", flat=True)) == [
        "Sent from the basement with no signal"
    ]


def test_lost_acknowledgement_is_retried_without_a_duplicate(session, open_browser):
    page = open_browser(viewport=PHONE).page
    join(page, session)
    dropped = []

    def drop_first_answer(route):
        route.fetch()  # the server stores the card...
        if not dropped:
            dropped.append(True)
            route.abort()  # ...but its answer never reaches the phone
        else:
            route.continue_()

    page.route(re.compile(r".*/statements/$"), drop_first_answer)
    send_card(page, "Stored once even though the answer was lost")
    expect(page.locator("#send-status")).to_have_text(
        "Received: your card is stored.", timeout=15_000
    )
    assert dropped == [True]
    assert Statement.objects.count() == 1


def test_expired_csrf_token_is_renewed_and_the_card_sent(session, open_browser):
    person = open_browser(viewport=PHONE)
    page = person.page
    join(page, session)
    person.context.clear_cookies(name="csrftoken")
    page.evaluate(
        "document.querySelectorAll('input[name=csrfmiddlewaretoken]')"
        ".forEach(field => field.value = 'expired')"
    )
    send_card(page, "Sent after the token expired")
    expect(page.locator("#send-status")).to_have_text("Received: your card is stored.")
    assert Statement.objects.get().text == "Sent after the token expired"


def test_refused_card_comes_back_to_the_text_box(session, open_browser):
    page = open_browser(viewport=PHONE).page
    join(page, session)
    session_phase_set(session=session, phase="clustering")
    page.get_by_label("Your answer").fill("Too late")
    page.get_by_role("button", name="Send card").click()
    expect(page.locator("#send-status")).to_have_text(
        "Writing has ended: no more cards can be added or changed."
    )
    expect(page.get_by_label("Your answer")).to_have_value("Too late")


def test_page_follows_the_phase_and_four_dots_are_placed_then_moved(session, open_browser, audit):
    page = open_browser(viewport=PHONE).page
    join(page, session)
    page.evaluate("window.samePage = true")
    session_phase_set(session=session, phase="voting")
    expect(page.get_by_role("heading", name="Place your dots")).to_be_visible(timeout=8_000)
    expect(page.locator("#dots-left")).to_contain_text("You have 4 of 4 dots left.")
    # The new phase was swapped in place, not reloaded, and the keyboard is at its message.
    assert page.evaluate("window.samePage === true")
    expect(page.locator(".phase-banner")).to_be_focused()
    expect(page.locator(".phase-banner")).to_contain_text("Voting is open")

    for placed, name in enumerate(CONCERNS[:3], start=1):
        page.get_by_role("button", name=f"Place a dot on {name}").click()
        expect(page.locator("#dots-left")).to_contain_text(f"You have {4 - placed} of 4 dots left.")
        # One dot per category: its "Place a dot" is disabled now, so focus stays on the
        # category's other button, for the next Tab.
        expect(page.get_by_role("button", name=f"Place a dot on {name}")).to_be_disabled()
        expect(page.get_by_role("button", name=f"Take a dot off {name}")).to_be_focused()
    page.get_by_role("button", name=f"Place a dot on {CONCERNS[3]}").click()
    # The last dot: every line changes, and the keyboard is at the news.
    done = page.locator("#dots-left")
    expect(done).to_have_text("All 4 of your dots are placed. You can take one off to move it.")
    expect(done).to_be_focused()
    expect(page.get_by_role("button", name=f"Place a dot on {CONCERNS[4]}")).to_be_disabled()
    assert Dot.objects.count() == 4
    audit(page, name="responses:session (voting)")

    page.get_by_role("button", name=f"Take a dot off {CONCERNS[0]}").click()
    expect(page.locator("#dots-left")).to_contain_text("You have 1 of 4 dots left.")
    expect(page.locator("#dots-left")).to_be_focused()
    page.get_by_role("button", name=f"Place a dot on {CONCERNS[4]}").click()
    expect(page.locator("#dots-left")).to_contain_text("All 4 of your dots are placed.")
    assert set(Dot.objects.values_list("category__name", flat=True)) == set(CONCERNS[1:])


def test_participant_takes_part_without_javascript(session, browser, live_server):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"/s/{session.join_code}/")
        page.get_by_role("button", name="Join anonymously").click()
        page.get_by_label("Your answer").fill("Works without scripts")
        page.get_by_role("button", name="Send card").click()
        expect(page.get_by_text("Received: your card is stored.")).to_be_visible()
        expect(my_cards(page)).to_have_text(["Works without scripts"])

        session_phase_set(session=session, phase="voting")
        page.reload()
        page.get_by_role("button", name=f"Place a dot on {CONCERNS[0]}").click()
        expect(page.get_by_text("Your dots are saved.")).to_be_visible()
        assert Dot.objects.get().category.name == CONCERNS[0]
    finally:
        context.close()


def test_text_typed_when_writing_ends_is_shown_not_lost(session, open_browser):
    page = open_browser(viewport=PHONE).page
    join(page, session)
    page.get_by_label("Your answer").fill("I was still typing this")
    session_phase_set(session=session, phase="clustering")
    unsent = page.get_by_label("Your unsent text")
    expect(unsent).to_have_value("I was still typing this", timeout=8_000)
    page.get_by_role("button", name="I have copied it: remove").click()
    expect(page.get_by_role("region", name="Writing ended before you sent this")).to_be_hidden()
    page.reload()
    expect(page.get_by_label("Your unsent text")).to_be_hidden()
    assert not Statement.objects.exists()


def test_a_refused_dot_that_is_not_a_ballot_still_shows_its_reason(
    session, open_browser, settings, rate_window
):
    settings.PARTICIPANT_WRITES_PER_MINUTE = 2
    page = open_browser(viewport=PHONE).page
    join(page, session)
    session_phase_set(session=session, phase="voting")
    expect(page.get_by_role("heading", name="Place your dots")).to_be_visible(timeout=8_000)
    for placed, name in enumerate(CONCERNS[:2], start=1):
        page.get_by_role("button", name=f"Place a dot on {name}").click()
        expect(page.locator("#dots-left")).to_contain_text(f"You have {4 - placed} of 4 dots left.")
    page.get_by_role("button", name=f"Place a dot on {CONCERNS[2]}").click()
    message = page.get_by_role("alert")
    expect(message).to_contain_text("That was a lot at once")
    expect(message).to_be_focused()
    assert Dot.objects.count() == 2
