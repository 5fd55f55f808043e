"""A facilitator runs a workshop from the browser while a participant takes part on a phone."""

import re
import time

import pytest
from playwright.sync_api import expect

from responses.facilitation import statement_hide
from responses.models import Category, Dot, Statement
from sessions.models import PlenarySession
from tests.e2e.conftest import AXE_JS, AXE_TAGS, DESKTOP, PHONE
from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.e2e

CARDS = [
    "Cheaper than printed newsletters (E)",
    "Recruit younger staff (E)",
    "Share training videos across offices (I)",
    "Reach people during emergencies (E)",
    "Faster answers between agencies (I)",
]


def add_session(page, title: str, prompt: str, purpose: str) -> None:
    page.get_by_role("link", name="Add a session").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_label("Purpose").select_option(purpose)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("The session is added to the agenda.")).to_be_visible()


def test_facilitator_runs_a_session_from_plan_to_revealed_tallies(
    transactional_db, open_browser, audit
):
    ProjectPhaseFactory(title="Exploratory Social Media Project — Phase I")
    dana = UserFactory(username="dana", role="facilitator", first_name="Dana", last_name="Lee")
    # A tall desktop window: dragging a statement then needs no scrolling, which real drag and
    # drop in a headless browser does not survive reliably.
    desk = open_browser(viewport={"width": 1280, "height": 2400})
    desk.login_as(dana)
    page = desk.page

    # Plan: a workshop with two sessions.
    page.goto("/")
    page.get_by_role("link", name="New workshop").click()
    page.get_by_label("Project phase").select_option(
        label="Exploratory Social Media Project — Phase I"
    )
    page.get_by_label("Title").fill("State agency workshop")
    page.get_by_label("Kind").select_option("state")
    page.get_by_label("Date").fill("2009-09-17")
    page.get_by_label("Start time").fill("08:30")
    page.get_by_label("End time").fill("10:30")
    page.get_by_label("Venue").fill("CTG, Albany")
    page.get_by_role("button", name="Save workshop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("State agency workshop")
    add_session(page, "Values", "What value can your agency gain from social media?", "values")
    add_session(page, "Concerns", "What are your most pressing concerns?", "concerns")
    values = PlenarySession.objects.get(title="Values")

    # Run: open collecting and put the board up.
    page.get_by_label("Phase").first.select_option("collecting")
    page.get_by_role("button", name="Change phase of Values").click()
    expect(page.get_by_text("“Values” is now in the phase: Collecting statements.")).to_be_visible()
    page.locator(f"#session-{values.pk}").get_by_role("link", name="Live board").click()
    expect(page.locator(".board-code")).to_have_text(values.join_code)

    # A participant sends a card from a phone; it reaches the board within 2 seconds.
    phone = open_browser(viewport=PHONE).page
    phone.goto(f"/s/{values.join_code}/")
    phone.get_by_role("button", name="Join anonymously").click()
    phone.get_by_label("Your answer").fill("Talk with residents where they already are")
    phone.get_by_role("button", name="Send card").click()
    expect(phone.locator("#send-status")).to_have_text("Received: your card is stored.")
    received = time.monotonic()
    expect(page.get_by_text("Talk with residents where they already are")).to_be_visible(
        timeout=2_000
    )
    assert time.monotonic() - received < 2.0

    # Five paper cards, typed by keyboard.
    page.goto(f"/workshops/{values.workshop_id}/sessions/{values.pk}/cards/")
    page.get_by_label("Card text").focus()
    for text in CARDS:  # typed straight on, as fast as a keyboard goes: nothing may be lost
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="5 cards typed in")).to_be_visible()
    expect(page.get_by_label("Card text")).to_be_focused()
    expect(page.locator("#card-status")).to_have_text("Card saved. Type the next one.")
    assert sorted(Statement.objects.filter(source="card").values_list("text", flat=True)) == sorted(
        text.rsplit(" (", 1)[0] for text in CARDS
    )
    assert Statement.objects.get(text="Recruit younger staff").use == "E"

    # Cluster all six statements into three categories.
    page.get_by_role("link", name="Go to clustering").click()
    for number, name in enumerate(["Information dissemination", "Recruiting", "Collaboration"], 1):
        page.get_by_label("Name of the new category").fill(name)
        page.get_by_role("button", name="Create category").click()
        expect(page.get_by_text(f"Created category {number}. {name}.")).to_be_visible()
    # By keyboard alone: in each statement's number box, the category's number and Enter. After
    # each move the next statement's box has the focus, so the facilitator just goes on typing.
    plan = [
        ("Talk with residents where they already are", "1. Information dissemination"),
        ("Cheaper than printed newsletters", "1. Information dissemination"),
        ("Recruit younger staff", "2. Recruiting"),
        ("Share training videos across offices", "3. Collaboration"),
        ("Reach people during emergencies", "1. Information dissemination"),
    ]
    page.locator(".clustering-statement", has_text=plan[0][0]).get_by_role(
        "combobox", name=re.compile(r"^Move to no\.")
    ).focus()
    for text, category in plan:
        box = page.locator(".clustering-statement", has_text=text).get_by_role("combobox")
        expect(box).to_be_focused()
        page.keyboard.type(category.split(".")[0])
        page.keyboard.press("Enter")
        expect(page.get_by_text(f"Moved “{text}” to {category}.")).to_be_visible()
    # A number that is no category: the statement stays, the reason (quoting the number) is
    # beside its box, which has the focus to put it right.
    box = page.locator(".clustering-statement", has_text="Faster answers between agencies")
    box = box.get_by_role("combobox")
    expect(box).to_be_focused()
    page.keyboard.type("9")
    page.keyboard.press("Enter")
    expect(page.locator(".invalid-feedback")).to_have_text(
        "There is no category 9 in this session."
    )
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    assert Statement.objects.filter(category__isnull=True).count() == 1
    # The last one by drag and drop, onto the category's card.
    page.wait_for_load_state("load")
    page.locator(".clustering-statement", has_text="Faster answers between agencies").drag_to(
        page.locator(f"#category-{Category.objects.get(name='Collaboration').pk}"),
        source_position={"x": 12, "y": 12},  # on the text, not on the form controls
    )
    expect(
        page.get_by_text("Moved “Faster answers between agencies” to 3. Collaboration.")
    ).to_be_visible()
    expect(page.get_by_text("Uncategorised (0)")).to_be_visible()
    assert not Statement.objects.filter(category__isnull=True).exists()
    assert dict(Statement.objects.values_list("text", "category__reference_number")) == {
        "Talk with residents where they already are": 1,
        "Cheaper than printed newsletters": 1,
        "Reach people during emergencies": 1,
        "Recruit younger staff": 2,
        "Share training videos across offices": 3,
        "Faster answers between agencies": 3,
    }

    # Open voting; the participant's page follows and dots go on.
    page.goto(values.workshop.get_absolute_url())
    page.get_by_label("Phase").first.select_option("voting")
    page.get_by_role("button", name="Change phase of Values").click()
    # Three categories cannot take four dots one per category: the facilitator is warned.
    page.get_by_role("button", name="Allow stacking").click()
    expect(phone.get_by_role("heading", name="Place your dots")).to_be_visible(timeout=8_000)
    phone.get_by_role("button", name="Place a dot on Information dissemination").click()
    expect(phone.locator("#dots-left")).to_contain_text("You have 3 of 4 dots left.")
    phone.get_by_role("button", name="Place a dot on Collaboration").click()
    expect(phone.locator("#dots-left")).to_contain_text("You have 2 of 4 dots left.")
    assert Dot.objects.count() == 2

    # Reveal the tallies on the board.
    page.locator(f"#session-{values.pk}").get_by_role("link", name="Live board").click()
    expect(page.get_by_text("1 of 1 participants have voted")).to_be_visible()
    expect(page.locator(".board-tally")).to_have_count(0)
    page.get_by_text("Facilitator controls").click()
    page.get_by_role("button", name="Reveal the results").click()
    expect(page.locator(".board-tally")).to_have_count(3)
    expect(page.locator(".board-tally").first).to_contain_text(re.compile(r"1 dot"))
    audit(page, name="facilitation:session_board (revealed)")
    expect(phone.get_by_text("1 dot in all").first).to_be_visible(timeout=8_000)


def test_two_facilitators_editing_one_note_keep_both_texts(transactional_db, open_browser):
    from sessions.models import NoteRevision
    from tests.factories import PlenarySessionFactory, WorkshopFactory

    dana = UserFactory(username="dana", role="facilitator", first_name="Dana")
    sam = UserFactory(username="sam", role="facilitator", first_name="Sam")
    session = PlenarySessionFactory(workshop=WorkshopFactory(facilitators=[dana, sam]), position=1)
    NoteRevision.objects.create(
        session=session, number=1, text="Internal discussion: two questions."
    )
    notes = f"/workshops/{session.workshop_id}/sessions/{session.pk}/notes/"
    people = []
    for user in (dana, sam):
        person = open_browser()
        person.login_as(user)
        person.page.goto(notes)
        people.append(person.page)
    dana_page, sam_page = people

    dana_page.get_by_label("Notes").fill(
        "Internal discussion: two questions. Dana: gaps in literature."
    )
    expect(dana_page.locator("#note-status")).to_have_text("Saved as revision 2", timeout=10_000)
    sam_page.get_by_label("Notes").fill("Internal discussion: two questions. Sam: our expertise.")
    expect(sam_page.locator("#note-status")).to_have_text("Saved as revision 3", timeout=10_000)

    conflict = sam_page.locator("#note-conflict-live")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("theirs as revision 2 by Dana")
    expect(conflict.get_by_label("Their text")).to_have_value(
        "Internal discussion: two questions. Dana: gaps in literature."
    )
    texts = list(NoteRevision.objects.filter(session=session).values_list("text", flat=True))
    assert "Internal discussion: two questions. Dana: gaps in literature." in texts
    assert "Internal discussion: two questions. Sam: our expertise." in texts


def test_hiding_and_a_refused_move_on_the_clustering_page(
    transactional_db, browser, live_server, open_browser, html_checker
):
    """The states only a click or a refusal reaches pass the HTML and accessibility checks too."""
    dana = UserFactory(username="dana", role="facilitator")
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[dana]), position=1, phase="clustering"
    )
    CategoryFactory(session=session, reference_number=1, name="Resources")
    CategoryFactory(session=session, reference_number=2, name="Security")
    for text in ["Cheaper outreach", "Cheaper outreach (again)", "Who approves a post?"]:
        StatementFactory(session=session, text=text)
    clustering = f"/workshops/{session.workshop_id}/sessions/{session.pk}/clustering/"
    desk = open_browser()
    desk.login_as(dana)
    page = desk.page
    page.goto(clustering)

    # Hide opens the reason box under the statement; Escape closes it, Enter hides.
    again = page.locator(".clustering-statement", has_text="Cheaper outreach (again)")
    again.get_by_role("link", name="Hide").click()
    reason = again.get_by_label("Reason for hiding")
    expect(reason).to_be_focused()
    page.keyboard.press("Escape")
    expect(reason).to_be_hidden()
    expect(again.get_by_role("link", name="Hide")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type("Duplicate card")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Statement hidden. It is kept and can be restored.")).to_be_visible()
    assert list(Statement.objects.filter(hidden=True).values_list("text", "hidden_reason")) == [
        ("Cheaper outreach (again)", "Duplicate card")
    ]
    # The next statement's box has the focus.
    expect(
        page.locator(".clustering-statement", has_text="Who approves a post?").get_by_role(
            "combobox"
        )
    ).to_be_focused()

    # The same page in a context where axe may run (it is injected as a script, which the CSP
    # refuses), in the two states a plain visit does not show.
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(
            bypass_csp=True,
            storage_state=desk.context.storage_state(),
            viewport=viewport,
            base_url=live_server.url,
        )
        try:
            checked = context.new_page()
            checked.goto(clustering)
            box = checked.locator(".clustering-statement", has_text="Who approves").get_by_role(
                "combobox"
            )
            box.fill("7")
            box.press("Enter")
            expect(checked.locator(".invalid-feedback")).to_have_text(
                "There is no category 7 in this session."
            )
            assert html_checker.errors(checked.content()) == []
            assert _axe_violations(checked) == []
            checked.locator(".clustering-statement", has_text="Cheaper outreach").get_by_role(
                "link", name="Hide"
            ).click()
            expect(checked.get_by_label("Reason for hiding")).to_be_visible()
            assert _axe_violations(checked) == []
        finally:
            context.close()
    assert Statement.objects.filter(category__isnull=False).count() == 0


def _axe_violations(page) -> list[str]:
    page.add_script_tag(content=AXE_JS.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [f"{v['id']}: {v['help']}" for v in result["violations"]]


def test_board_adds_new_cards_to_the_top_and_keeps_the_list(transactional_db, open_browser):
    """Cards arriving faster than one answer carries all reach the board, added on top of the
    list it shows; a hidden card brings the whole board again; the list keeps 300 cards."""
    dana = UserFactory(username="dana", role="facilitator")
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[dana]), position=1, phase="collecting"
    )
    first = [StatementFactory(session=session, text=f"Early card {n}") for n in range(3)]
    desk = open_browser()
    desk.login_as(dana)
    page = desk.page
    page.goto(f"/workshops/{session.workshop_id}/sessions/{session.pk}/board/")
    cards = page.locator("#board-statements .board-statement")
    expect(cards).to_have_count(3)
    # Marks on the cards on screen: they survive only if the list is added to, not replaced.
    page.evaluate("document.querySelectorAll('.board-statement').forEach(c => c.dataset.was = 1)")

    burst = [StatementFactory(session=session, text=f"Burst card {n}") for n in range(250)]
    expect(cards).to_have_count(253)  # two answers: 200 cards, then 50
    expect(page.locator(".board-statement[data-was]")).to_have_count(3)
    expect(cards.first).to_have_text("Burst card 249")
    expect(page.locator("#board-feed")).to_contain_text("253 statements")
    shown = page.eval_on_selector_all(
        ".board-statement", "cards => cards.map(c => c.dataset.statement)"
    )
    assert shown == [str(s.pk) for s in reversed(first + burst)]

    statement_hide(statement=first[0], actor=None, reason="Duplicate")
    expect(page.locator(".board-statement[data-was]")).to_have_count(0)  # the whole board anew
    expect(cards).to_have_count(80)
    expect(page.get_by_text("Early card 0")).to_have_count(0)

    for n in range(250):
        StatementFactory(session=session, text=f"Late card {n}")
    expect(cards.first).to_have_text("Late card 249")
    expect(page.locator("#board-feed")).to_contain_text("502 statements")
    expect(cards).to_have_count(300)  # 80 + 250, the oldest trimmed by static/js/board.js
