"""Agency projects in the browser: a participant on a phone describes their agency's project with
a contact, a facilitator approves it and completes the workshop, and the participant then finds
it on the shared list."""

import re

import pytest
from playwright.sync_api import expect

from responses.models import AgencyProject
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PlenarySessionFactory, UserFactory, WorkshopFactory

pytestmark = pytest.mark.e2e


def test_a_described_project_is_approved_and_shared_after_the_workshop(
    transactional_db, open_browser, audit
):
    dana = UserFactory(username="dana", role="facilitator", first_name="Dana", last_name="Lee")
    workshop = WorkshopFactory(title="State agency workshop", facilitators=[dana])
    session = PlenarySessionFactory(
        workshop=workshop, position=1, title="Values", phase="collecting"
    )

    # A participant joins on a phone and opens the projects page from the session page.
    phone = open_browser(viewport=PHONE).page
    phone.goto(f"/s/{session.join_code}/")
    phone.get_by_role("button", name="Join anonymously").click()
    phone.get_by_role("link", name=re.compile("Your agency's social media projects")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Your agency's social media projects"
    )
    audit(phone, name="agency projects form (phone)")

    # A contact without the consent box is refused, and everything typed is still there.
    phone.get_by_label("Organisation").fill("Office of Parks")
    phone.get_by_label("Tool or platform").fill("YouTube")
    phone.get_by_label("Purpose").fill("Trail videos for visitors.")
    phone.get_by_label("Planned").check()
    phone.get_by_label("Contact name (optional)").fill("Pat Jones")
    phone.get_by_label("Contact e-mail (optional)").fill("pat.jones@example.org")
    phone.get_by_role("button", name="Send the project").click()
    expect(phone.get_by_role("alert")).to_contain_text(
        "You gave a contact but did not tick the box"
    )
    expect(phone.get_by_label("Purpose")).to_have_value("Trail videos for visitors.")
    expect(phone.get_by_label("Planned")).to_be_checked()
    assert AgencyProject.objects.count() == 0

    phone.get_by_label(re.compile("Share this contact. Who sees it")).check()
    phone.get_by_role("button", name="Send the project").click()
    expect(
        phone.get_by_text(
            "Received: your project is stored. The facilitators review it before it is shared."
        )
    ).to_be_visible()
    expect(phone.locator("#my-projects .review-state")).to_have_text(["Waiting for review"])
    expect(phone.get_by_role("button", name=re.compile("^Withdraw"))).to_be_visible()
    project = AgencyProject.objects.get()
    assert (
        project.organisation,
        project.status,
        project.contact_name,
        project.contact_consent,
    ) == (
        "Office of Parks",
        "planned",
        "Pat Jones",
        True,
    )

    # Before the workshop is completed, the shared page says when the list will be shared.
    phone.get_by_role("link", name="When the projects are shared").click()
    expect(phone.get_by_text("This list is shared once the workshop is completed")).to_be_visible()

    # The facilitator approves the entry from the workshop's page, then completes the workshop.
    desk = open_browser(viewport=DESKTOP)
    desk.login_as(dana)
    page = desk.page
    page.goto(workshop.get_absolute_url())
    page.get_by_role("link", name=re.compile("Agency projects.*1 waiting for review")).click()
    expect(page.locator(".review-project .project-contact")).to_have_text(
        "Pat Jones, pat.jones@example.org"
    )
    audit(page, name="agency projects review")
    page.get_by_role("button", name="Approve Office of Parks: YouTube").click()
    expect(page.get_by_text("Approved: Office of Parks, YouTube.")).to_be_visible()
    expect(page.locator("#group-approved ~ .review-project h3")).to_have_text(["Office of Parks"])

    page.goto(workshop.get_absolute_url())
    page.get_by_role("link", name="Edit workshop").click()
    page.get_by_label("Status").select_option("completed")
    page.get_by_role("button", name="Save workshop").click()
    expect(page.get_by_text("The workshop is saved.")).to_be_visible()

    # The participant now finds it on the shared list, with the contact they agreed to share.
    phone.reload()
    expect(phone.locator(".shared-project h3")).to_have_text(["Office of Parks"])
    expect(phone.locator(".shared-project .project-contact")).to_have_text(
        "Pat Jones, pat.jones@example.org"
    )
    expect(phone.get_by_role("link", name="Download (spreadsheet)")).to_be_visible()
    audit(phone, name="agency projects shared (phone)")
