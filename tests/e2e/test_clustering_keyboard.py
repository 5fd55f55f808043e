"""Clustering by keyboard alone: after each change the focus is where the facilitator goes on,
and the change is said in the page's live region; a mistyped paper card is corrected."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from responses.models import Category, Statement
from sessions.models import AuditEvent
from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.e2e

SCREEN = {"width": 1280, "height": 720}


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_clustering_by_keyboard_keeps_the_place(transactional_db, open_browser, audit):
    dana = UserFactory(username="dana", role="facilitator")
    workshop = WorkshopFactory(facilitators=[dana])
    session = PlenarySessionFactory(workshop=workshop, position=1, phase="clustering")
    # Another session's list, which this (uncategorised) session could present.
    other = PlenarySessionFactory(workshop=WorkshopFactory(facilitators=[dana]), position=1)
    CategoryFactory(session=other, reference_number=1, name="Cost savings")
    start = timezone.now()
    cards = [
        StatementFactory(
            session=session,
            text=f"Statement number {n}",
            created_at=start + dt.timedelta(seconds=n),
        )
        for n in range(7)
    ]
    paper = StatementFactory(
        session=session,
        source="card",
        text="Pasword rules for shared acounts",
        created_at=start + dt.timedelta(seconds=9),
    )
    clustering = f"/workshops/{workshop.pk}/sessions/{session.pk}/clustering/"
    desk = open_browser(viewport=SCREEN)
    desk.login_as(dana)
    page = desk.page
    page.goto(clustering)
    live = page.locator("#clustering-status")

    # The statements are above the fold; the other session's list is folded away below them.
    first = page.locator(f"#statement-{cards[0].pk}")
    assert first.bounding_box()["y"] + 40 < SCREEN["height"]
    expect(page.get_by_role("button", name=re.compile("Present the list of"))).to_be_hidden()
    audit(page, name="clustering by keyboard (start)")

    # Create two categories: each has the focus once created, and the live region says so.
    for number, name in [(1, "Security"), (2, "Staffing")]:
        page.get_by_label("Name of the new category").focus()
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        expect(live).to_have_text(f"Created category {number}. {name}.")
        category = page.locator(f"#category-{Category.objects.get(name=name).pk}")
        expect(category).to_be_focused()

    # Move five cards by number: the next card's box has the focus each time.
    page.locator(f"#move-{cards[0].pk}").focus()
    for n in range(5):
        expect(page.locator(f"#move-{cards[n].pk}")).to_be_focused()
        page.keyboard.type("1")
        page.keyboard.press("Enter")
        expect(live).to_contain_text(f"Moved “Statement number {n}” to 1. Security.")
        expect(page.locator(f"#statement-{cards[n].pk}")).to_have_class(re.compile("just-moved"))
    expect(page.locator(f"#move-{cards[5].pk}")).to_be_focused()
    audit(page, name="clustering by keyboard (after a move)")
    # One more to the second category, to have something to merge.
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(live).to_contain_text("Moved “Statement number 5” to 2. Staffing.")
    expect(page.locator(f"#move-{cards[6].pk}")).to_be_focused()

    # Merge Staffing into Security: the focus is on Security.
    staffing = Category.objects.get(name="Staffing")
    security = Category.objects.get(name="Security")
    page.locator(f"#category-{staffing.pk}").get_by_role(
        "link", name="Edit, split or merge"
    ).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.get_by_label("Merge into the category numbered").focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator(f"#category-{security.pk}")).to_be_focused()
    expect(live).to_have_text("Merged “Staffing” into 1. Security: 1 statement moved.")
    assert Statement.objects.filter(category=security).count() == 6

    # Split two statements off Security: the focus is on the new category.
    page.locator(f"#category-{security.pk}").get_by_role(
        "link", name="Edit, split or merge"
    ).focus()
    page.keyboard.press("Enter")
    audit(page, name="clustering by keyboard (splitting: labelled tick boxes)")
    for card in cards[:2]:
        tick = page.get_by_role("checkbox", name=re.compile(f"^Split off: {card.text}"))
        tick.focus()
        page.keyboard.press("Space")
        expect(tick).to_be_checked()
    page.get_by_label("Split the ticked statements into a new category named").focus()
    page.keyboard.type("Passwords")
    page.keyboard.press("Enter")
    expect(live).to_have_text("Split 2 statements off into the new category 2. Passwords.")
    passwords = Category.objects.get(name="Passwords")
    expect(page.locator(f"#category-{passwords.pk}")).to_be_focused()
    assert set(passwords.statements.values_list("pk", flat=True)) == {cards[0].pk, cards[1].pk}
    audit(page, name="clustering by keyboard (after a split)")

    # Correct the mistyped paper card; back at it, and the history has the change.
    page.locator(f"#statement-{paper.pk}").get_by_role("link", name="Correct").focus()
    page.keyboard.press("Enter")
    text = page.get_by_label("Card text")
    expect(text).to_be_focused()
    audit(page, name="correcting a paper card")
    text.fill("Password rules for shared accounts")
    page.get_by_label("Mark").select_option("I")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator(f"#statement-{paper.pk}")).to_be_focused()
    expect(page.get_by_text("Card corrected.")).to_be_visible()
    paper.refresh_from_db()
    assert (paper.text, paper.use) == ("Password rules for shared accounts", "I")
    event = AuditEvent.objects.get(action="changed", target="statement", target_id=paper.pk)
    assert event.actor == dana
    assert event.changes["text"] == [
        "Pasword rules for shared acounts",
        "Password rules for shared accounts",
    ]


def test_a_form_with_errors_opens_with_the_focus_on_its_summary(transactional_db, open_browser):
    dana = UserFactory(username="dana", role="facilitator")
    desk = open_browser(viewport=SCREEN)
    desk.login_as(dana)
    page = desk.page
    page.goto("/workshops/new/")
    page.get_by_role("button", name="Save workshop").click()
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Title")).click()
    expect(page.get_by_label("Title")).to_be_focused()
