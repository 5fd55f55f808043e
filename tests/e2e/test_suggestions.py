"""Clustering with suggestions, in a browser: the switch, filing three cards from their
suggestions, a proposed group dismissed and another accepted, a duplicate pointed out; the
workshop's history shows the accepted suggestions, and the report says how many statements were
filed from suggestions. Screenshots of the page at 1280×800 are left
in the test's temporary folder."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from responses.models import Category, Statement, SuggestionDismissal
from sessions.models import AuditEvent
from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.e2e

SCREEN = {"width": 1280, "height": 800}


def cards(session, *texts, category=None):
    start = timezone.now()
    return [
        StatementFactory(
            session=session,
            text=text,
            category=category,
            created_at=start + dt.timedelta(seconds=n),
        )
        for n, text in enumerate(texts)
    ]


def test_clustering_with_suggestions(transactional_db, open_browser, audit, tmp_path):
    dana = UserFactory(username="dana", role="facilitator", first_name="Dana", last_name="Reyes")
    workshop = WorkshopFactory(facilitators=[dana])
    concerns = PlenarySessionFactory(workshop=workshop, position=1, phase="clustering")
    security = CategoryFactory(session=concerns, reference_number=1, name="Security")
    staff = CategoryFactory(session=concerns, reference_number=2, name="Staff time")
    cards(concerns, "Hackers take over the account", "Passwords shared by staff", category=security)
    cards(concerns, "No time to answer comments", "Nobody monitors at weekends", category=staff)
    todo = cards(
        concerns,
        "Hackers post as the agency",
        "Answering comments takes hours",
        "Stolen passwords on shared laptops",
        "Cost savings",
        "cost saving!",
    )
    desk = open_browser(viewport=SCREEN)
    desk.login_as(dana)
    page = desk.page
    page.goto(f"/workshops/{workshop.pk}/sessions/{concerns.pk}/clustering/")
    expect(page.locator("#suggestions-state")).to_contain_text("Suggestions are off.")

    page.get_by_role("button", name="Turn suggestions on").click()
    expect(page.locator("#suggestions-state")).to_contain_text(
        "Suggestions are on: proposed by this server from the statements' words; "
        "nothing leaves the server."
    )
    expect(page.get_by_text("Looks like a duplicate of “Cost savings”.")).to_be_visible()
    page.screenshot(path=str(tmp_path / "suggestions-on.png"), full_page=True)
    audit(page, name="clustering with suggestions")

    for text, category in [
        ("Hackers post as the agency", "1. Security"),
        ("Answering comments takes hours", "2. Staff time"),
        ("Stolen passwords on shared laptops", "1. Security"),
    ]:
        page.get_by_role("button", name=f"File “{text}” under {category}").click()
        expect(page.locator("#clustering-status")).to_contain_text(
            f"Filed “{text}” under {category}, as suggested."
        )
    filed = Statement.objects.filter(pk__in=[s.pk for s in todo[:3]])
    assert sorted(filed.values_list("category__name", "filed_by_suggestion")) == [
        ("Security", True),
        ("Security", True),
        ("Staff time", True),
    ]

    page.get_by_role("button", name="Keep both: “cost saving!” and the earlier card").click()
    expect(page.locator("#clustering-status")).to_have_text("Both cards kept.")
    expect(page.get_by_text("Looks like a duplicate")).to_have_count(0)

    # A session with no category yet: proposed groups.
    values = PlenarySessionFactory(
        workshop=workshop, position=2, phase="clustering", suggestions_on=True
    )
    cards(
        values,
        "Hackers could take over our account",
        "Reach younger residents on their phones",
        "Hackers and stolen passwords",
        "Reach residents who never read the newspaper",
        "Passwords shared between staff accounts",
        "Residents read our posts on their phones",
    )
    page.goto(f"/workshops/{workshop.pk}/sessions/{values.pk}/clustering/")
    groups = page.locator(".proposed-group")
    expect(groups).to_have_count(2)
    page.screenshot(path=str(tmp_path / "proposed-groups.png"), full_page=True)
    audit(page, name="clustering with proposed groups")
    second = groups.nth(1).locator("label.form-check-label").all_inner_texts()

    page.get_by_role("button", name="Dismiss proposed group 2").click()
    expect(page.locator("#clustering-status")).to_have_text("Proposed group dismissed.")
    page.reload()
    expect(groups).to_have_count(1)
    assert SuggestionDismissal.objects.filter(session=values, kind="group").count() == 1

    page.get_by_label("Name of proposed group 1").fill("Security")
    page.get_by_role("button", name="Accept as a category: proposed group 1").click()
    expect(page.locator("#clustering-status")).to_have_text(
        "Created category 1. Security with 3 statements, as suggested."
    )
    category = Category.objects.get(session=values)
    assert sorted(category.statements.values_list("text", flat=True)) == [
        "Hackers and stolen passwords",
        "Hackers could take over our account",
        "Passwords shared between staff accounts",
    ]
    assert not set(second) & set(category.statements.values_list("text", flat=True))

    # The history names every accepted suggestion; the concerns session's are the three filed.
    page.goto(f"/workshops/{workshop.pk}/history/?session={concerns.pk}")
    rows = page.locator("tbody tr").filter(has_text="Accepted from a clustering suggestion")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=re.compile("1. Security"))).to_have_count(2)
    expect(rows.filter(has_text="2. Staff time")).to_have_count(1)
    # Three statements filed, the accepted group's category and its three statements.
    assert AuditEvent.objects.filter(changes__suggestion=[None, True]).count() == 3 + 1 + 3
    audit(page, name="history with accepted suggestions")

    # The report says how the categories were formed: 4 statements filed by hand, 3 filed from
    # suggestions in the concerns session, 3 by the accepted group in the values session.
    reader = open_browser(viewport=SCREEN)
    reader.login_as(UserFactory(username="sam", role="staff"))
    reader.page.goto(f"/reports/{workshop.phase.slug}/")
    expect(reader.page.locator("#method-note")).to_contain_text(
        "Facilitators formed the categories with the participants; 6 of 10 categorised "
        "statements were filed from suggestions accepted by a facilitator."
    )
