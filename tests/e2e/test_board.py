"""The live board on a projector: one layout per phase, filling the screen at 1920×1080,
1280×720 and 1024×768 with a dozen long category names and 150 cards, and live within two
seconds of a card sent or a statement moved; a board whose sign-in ended keeps its content."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from responses import facilitation
from responses.models import Category, Statement
from sessions.models import PlenarySession
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.e2e

SIZES = {
    "1920x1080": {"width": 1920, "height": 1080},
    "1280x720": {"width": 1280, "height": 720},
    "1024x768": {"width": 1024, "height": 768},
}
PHASES = ["draft", "collecting", "clustering", "voting", "revealed", "closed"]
PROMPT = (
    "What are the most pressing questions, concerns or challenges that your agency is facing "
    "in regards to social media tools?"
)
# The state workshop's concerns and four more, each name 60 characters long.
NAMES = [
    "Resources: staff time, budget and skills to run our accounts",
    "Legal and regulatory ramifications of posting for the states",
    "Governance: who approves, posts, answers and archives a post",
    "Making a business case that convinces the budget office, CIO",
    "Security of accounts, passwords and links sent to all staffs",
    "Accessibility for residents who use screen readers, captions",
    "Perception: how the public and the press see agencies online",
    "Information overload for staff who answer each channel daily",
    "Records retention: keeping posts and replies as our records.",
    "Staff training in tone, privacy, etiquette and what to avoid",
    "Measuring results that show value to agency heads and public",
    "Public trust when a post is wrong, late or answered by a bot",
]
CARD_TEXTS = [
    "Who approves what we post on behalf of the agency? (E)",
    "Staff time to answer comments in the evenings",
    "Keeping every post as a public record under the retention schedule (I)",
    "Accessibility of videos without captions for deaf residents",
    "Phishing links sent to staff through direct messages",
    "Is it worth it? We need numbers before the budget hearing (E)",
    "Too many channels to watch; important questions get lost",
]
# Dots per category: ties at ranks 3 and 6.
TOTALS = [14, 11, 9, 9, 7, 5, 5, 5, 3, 2, 1, 0]
VOTERS, JOINED = 17, 23


def test_the_names_are_60_characters_long():
    assert {len(name) for name in NAMES} == {60}


def build_board_world():
    """A facilitator's session with 12 categories of 60-character names, 150 cards (110 of
    them sorted into the categories), 23 participants of whom 17 voted."""
    dana = UserFactory(username="dana", role="facilitator", first_name="Dana", last_name="Lee")
    workshop = WorkshopFactory(facilitators=[dana], title="State agency workshop")
    session = PlenarySessionFactory(
        workshop=workshop, position=1, phase="collecting", title="Concerns", prompt=PROMPT
    )
    categories = [
        CategoryFactory(
            session=session,
            reference_number=number,
            name=name,
            description=f"What the cards about {name.split(':')[0].lower()} have in common.",
        )
        for number, name in enumerate(NAMES, start=1)
    ]
    for n in range(150):
        text = CARD_TEXTS[n % len(CARD_TEXTS)]
        category = categories[n % len(categories)] if n < 110 else None
        StatementFactory(session=session, text=f"{text} [{n + 1}]", category=category)
    participants = ParticipantFactory.create_batch(JOINED, workshop=workshop)
    voters = participants[:VOTERS]
    placed = 0  # each category's dots from the next voters in turn, so that all 17 vote
    for category, total in zip(categories, TOTALS, strict=True):
        for n in range(total):
            DotFactory(category=category, participant=voters[(placed + n) % VOTERS])
        placed += total
    return dana, session


def set_phase(session: PlenarySession, phase: str) -> None:
    session.results_revealed = phase in {"revealed", "closed"}
    session.phase = {"revealed": "voting"}.get(phase, phase)
    session.save()


def board_path(session: PlenarySession) -> str:
    return reverse("facilitation:session_board", args=[session.workshop_id, session.pk])


OVERFLOW = """() => {
  const root = document.documentElement;
  const problems = [];
  if (root.scrollWidth > innerWidth || root.scrollHeight > innerHeight) {
    problems.push(`page ${root.scrollWidth}x${root.scrollHeight}`);
  }
  // Every rendered element of the board lies within the viewport, unless a box of the board
  // clips it (the card list and the clustering tiles, which show their first items).
  const board = document.querySelector(".board");
  for (const element of board.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    if (box.left >= -1 && box.top >= -1 && box.right <= innerWidth + 1
        && box.bottom <= innerHeight + 1) continue;
    let clipped = false;
    for (let up = element.parentElement; up && up !== board; up = up.parentElement) {
      if (getComputedStyle(up).overflowY !== "visible") { clipped = true; break; }
    }
    if (!clipped) problems.push(`${element.tagName}.${element.className} ${JSON.stringify(box)}`);
  }
  return problems;
}"""

UNCLIPPED = """selector => [...document.querySelectorAll(selector)].flatMap(element => {
  const box = element.getBoundingClientRect();
  const out = box.bottom > innerHeight + 1 || box.right > innerWidth + 1;
  const cut = element.scrollHeight > element.clientHeight + 1
    || element.scrollWidth > element.clientWidth + 1;
  return out || cut ? [`${element.textContent.trim().slice(0, 40)}: ${JSON.stringify(box)}`] : [];
})"""


def join_box(page) -> dict | None:
    join = page.locator(".board-join")
    return join.bounding_box() if join.count() else None


@pytest.mark.parametrize("size", SIZES)
def test_each_phase_fills_the_screen_without_overflowing(
    transactional_db, open_browser, audit, size
):
    dana, session = build_board_world()
    viewport = SIZES[size]
    desk = open_browser(viewport=viewport)
    desk.login_as(dana)
    page = desk.page
    for phase in PHASES:
        set_phase(session, phase)
        page.goto(board_path(session))
        live = page.locator("#board-live")
        assert page.evaluate(OVERFLOW) == [], f"{phase} at {size}"
        board = page.locator(".board").bounding_box()
        assert (board["width"], board["height"]) == (viewport["width"], viewport["height"])
        join = join_box(page)
        if phase in {"draft", "collecting"}:
            expect(live).to_have_class("board-live board-live-cards board-live-join-large")
            assert join["width"] >= 0.3 * viewport["width"], phase
            assert join["height"] >= 0.6 * (viewport["height"] - join["y"]), phase
            expect(page.locator(".board-code")).to_have_text(session.join_code)
        elif phase == "closed":
            assert join is None
        else:
            assert join["width"] <= 0.3 * viewport["width"], phase
            assert join["height"] <= 0.2 * viewport["height"], phase
            assert join["x"] + join["width"] >= viewport["width"] - 40  # top right corner
            assert join["y"] <= 40
        if phase == "collecting":
            expect(page.locator("#board-feed")).to_contain_text("150 statements")
            first = page.locator("#board-statements .board-statement").first
            expect(first).to_have_text(f"{CARD_TEXTS[149 % len(CARD_TEXTS)]} [150]")
        if phase == "clustering":
            expect(page.locator(".board-categories .board-cluster")).to_have_count(12)
            expect(page.locator(".board-pile li")).to_have_count(40)
            assert page.evaluate(UNCLIPPED, ".board-cluster") == []
        if phase == "voting":
            expect(page.locator(".board-ballot-item")).to_have_count(12)
            expect(
                page.get_by_text(f"{VOTERS} of {JOINED} participants have voted")
            ).to_be_visible()
            assert page.evaluate(UNCLIPPED, ".board-ballot-item") == []
            assert page.evaluate(UNCLIPPED, ".board-ballot-name") == []
        if phase in {"revealed", "closed"}:
            ranks = page.locator(".board-rank").all_inner_texts()
            assert ranks == ["1", "2", "=3", "=3", "5", "=6", "=6", "=6", "9", "10", "11", "12"]
            assert page.evaluate(UNCLIPPED, ".board-tally") == []
            assert page.evaluate(UNCLIPPED, ".board-tally-name") == []
            expect(page.locator(".board-tally").first).to_contain_text(NAMES[0])
        expect(page.get_by_role("button", name="Full screen")).to_be_visible()
        if size == "1920x1080":
            audit(page, name=f"facilitation:session_board ({phase})")


def test_board_follows_the_room_live_and_survives_the_end_of_its_sign_in(
    transactional_db, open_browser, audit
):
    dana, session = build_board_world()
    desk = open_browser(viewport=SIZES["1280x720"])
    desk.login_as(dana)
    page = desk.page
    page.goto(board_path(session))
    cards = page.locator("#board-statements .board-statement")

    # A card sent from a phone (the participant's page, in its own browser) reaches the board
    # within 2 seconds of the phone saying it was received, on top, marked newest.
    phone = open_browser(viewport={"width": 390, "height": 844}).page
    phone.goto(f"/s/{session.join_code}/")
    phone.get_by_role("button", name="Join anonymously").click()
    phone.get_by_label("Your answer").fill("Sent from a phone just now")
    phone.get_by_role("button", name="Send card").click()
    expect(phone.get_by_text("Received: your card is stored.")).to_be_visible()
    expect(cards.first).to_have_text("Sent from a phone just now", timeout=2000)
    expect(page.locator("#board-feed")).to_contain_text("151 statements", timeout=2000)
    newest = cards.first.evaluate("card => getComputedStyle(card).backgroundColor")
    assert newest != cards.nth(1).evaluate("card => getComputedStyle(card).backgroundColor")

    # The facilitator opens clustering: the layout follows, the join panel moves to the corner.
    session.phase = "clustering"
    session.save()
    expect(page.locator("#board-live")).to_have_class(
        "board-live board-live-clusters board-live-join-corner", timeout=2000
    )
    audit(page, name="facilitation:session_board (clustering, live)")

    # A statement moved on the clustering page (in another tab, by its number box) appears in
    # its category on the board within 2 seconds.
    moved = Statement.objects.get(text="Sent from a phone just now")
    third = Category.objects.get(session=session, reference_number=3)
    clustering = desk.context.new_page()
    clustering.goto(
        reverse("facilitation:session_clustering", args=[session.workshop_id, session.pk])
    )
    clustering.locator(f"#move-{moved.pk}").fill("3")
    clustering.locator(f"#move-{moved.pk}").press("Enter")
    expect(clustering.locator("#clustering-status")).to_contain_text("Moved “Sent from a phone")
    tile = page.locator(".board-cluster", has=page.locator(f"#board-category-{third.pk}"))
    expect(tile.locator("li").first).to_have_text("Sent from a phone just now", timeout=2000)
    expect(page.locator(".board-pile")).not_to_contain_text("Sent from a phone just now")
    clustering.close()
    created = facilitation.category_create(session=session, actor=dana, name="Costs")
    expect(page.locator(f"#board-category-{created.pk}")).to_contain_text("13 Costs", timeout=2000)

    # The sign-in ends: the board keeps what it shows and says so; it never shows a form.
    desk.context.clear_cookies()
    notice = page.get_by_text("Signed out: sign in again to keep this board live")
    expect(notice).to_be_visible(timeout=3000)
    expect(page.locator("#board-signed-out").get_by_role("link", name="Sign in")).to_have_attribute(
        "href", f"{reverse('login')}?next={board_path(session)}"
    )
    page.wait_for_timeout(1500)  # more polls, all refused
    expect(page.locator("form input[name=password], form input[name=username]")).to_have_count(0)
    expect(tile.locator("li").first).to_have_text("Sent from a phone just now")
    expect(page.locator(".board-categories .board-cluster")).to_have_count(13)


def test_full_screen_by_button_and_key(transactional_db, open_browser):
    dana = UserFactory(username="dana", role="facilitator")
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[dana]), position=1, phase="collecting"
    )
    desk = open_browser(viewport=SIZES["1280x720"])
    desk.login_as(dana)
    page = desk.page
    page.goto(board_path(session))
    button = page.get_by_role("button", name="Full screen")
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_function("document.fullscreenElement !== null")
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement === null")
    page.locator("body").press("f")
    page.wait_for_function("document.fullscreenElement !== null")
    # The facilitator's controls stay reachable by keyboard.
    page.keyboard.press("f")
    page.get_by_text("Facilitator controls").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Phase")).to_be_visible()
