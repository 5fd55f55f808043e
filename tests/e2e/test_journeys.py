"""Journeys through the site as people make them, by keyboard where a person would."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.factories import PlenarySessionFactory, StatementFactory, WorkshopFactory

pytestmark = pytest.mark.e2e


def test_facilitator_signs_in_by_keyboard_sees_own_workshops_and_signs_out(
    make_user, open_browser, audit, live_server
):
    facilitator = make_user("dana", role="facilitator", first_name="Dana", last_name="Lee")
    mine = WorkshopFactory(title="State agency workshop", facilitators=[facilitator])
    PlenarySessionFactory(workshop=mine, position=1, title="Values")
    StatementFactory.create_batch(2, session=mine.sessions.get())
    WorkshopFactory(title="Internal discussion")  # not assigned to Dana
    person = open_browser()
    page = person.page

    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_title(re.compile("Sign in"))
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your workshops")
    expect(page.get_by_text("Signed in as Dana Lee")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("State agency workshop"))
    expect(row.get_by_role("cell").nth(-1)).to_have_text("2")
    expect(page.get_by_text("Internal discussion")).to_have_count(0)
    audit(page, name="home")

    page.get_by_role("link", name="State agency workshop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("State agency workshop")
    expect(page.get_by_role("heading", name="1. Values")).to_be_visible()
    audit(page, name="workshop_sessions:workshop_detail")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Run workshops. Report what was heard."
    )
    page.goto(mine.get_absolute_url())
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_wrong_password_is_refused_with_a_clear_message_and_username_kept(make_user, open_browser):
    make_user("dana", role="facilitator")
    page = open_browser(viewport=PHONE).page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_value("dana")


def test_facilitator_cannot_open_another_facilitators_workshop(make_user, open_browser):
    dana = make_user("dana", role="facilitator")
    theirs = WorkshopFactory(title="Local government workshop")
    person = open_browser()
    person.login_as(dana)
    response = person.page.goto(theirs.get_absolute_url())
    assert response.status == 404
    expect(person.page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(person.page.get_by_text("Local government workshop")).to_have_count(0)


def test_menu_opens_by_keyboard_on_a_phone(make_user, open_browser):
    person = open_browser(viewport=PHONE)
    person.login_as(make_user("sam", role="staff"))
    page = person.page
    page.goto("/")
    toggle = page.get_by_role("button", name="Show the menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Administration")).to_be_visible()
