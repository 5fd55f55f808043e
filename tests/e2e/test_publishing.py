"""Staff publish a phase's report behind an unlisted link, a visitor reads it, staff withdraw it."""

import re

import pytest
from playwright.sync_api import expect

from reports.selectors import report_build
from sessions.models import ProjectPhase
from tests.e2e.conftest import PHONE
from tests.factories import ParticipantFactory, StatementFactory, UserFactory

pytestmark = pytest.mark.e2e

SECRET_NAME = "Philippa Wrenfeather-Oakes"
SECRET_ORGANISATION = "Bureau of Wrenfeather Affairs"


def test_staff_publish_unlisted_a_visitor_reads_it_staff_withdraw_it(
    transactional_db, open_browser, audit
):
    from django.core.management import call_command

    call_command("load_sample_data", verbosity=0)
    phase = ProjectPhase.objects.get(slug="esmp-phase-1")
    workshop = phase.workshops.get(kind="state")
    concerns = workshop.sessions.get(purpose="concerns")
    # Did not consent to be named: the name and organisation must appear nowhere published.
    secret = ParticipantFactory(
        workshop=workshop, name=SECRET_NAME, organisation=SECRET_ORGANISATION
    )
    StatementFactory(
        session=concerns,
        participant=secret,
        category=concerns.categories.get(name="Security"),
        text="Phishing through direct messages",
    )
    resources = next(
        line for line in report_build(phase=phase).state_concerns if line.name == "Resources"
    )
    sam = UserFactory(username="sam", role="staff", first_name="Sam")

    staff = open_browser()
    staff.login_as(sam)
    page = staff.page
    page.goto(f"/reports/{phase.slug}/")
    panel = page.get_by_role("region", name="Publish")
    expect(panel).to_contain_text("Not published.")
    expect(panel.get_by_label("Unlisted: only people with the link")).to_be_checked()
    panel.get_by_role("button", name="Publish", exact=True).click()
    expect(
        page.get_by_text("The report is published. Only people with the link can read it.")
    ).to_be_visible()
    link = page.get_by_label("Link to share").input_value()
    assert re.fullmatch(r"http://[^/]+/published/[A-Za-z0-9_-]{43}/", link), link

    visitor = open_browser(viewport=PHONE)
    response = visitor.page.goto(link)
    assert response.status == 200
    reader = visitor.page
    expect(reader.get_by_role("heading", level=1)).to_have_text(phase.title)
    table = reader.get_by_role(
        "table", name="Areas of concern ranked by votes, state agency workshop"
    )
    expect(table).to_be_visible()
    row = table.get_by_role("row").filter(
        has=reader.get_by_role("rowheader", name="Resources", exact=True)
    )
    expect(row.get_by_role("cell")).to_have_text(
        [
            str(resources.rank),
            str(resources.reference_number),
            re.compile(rf"^{resources.votes}\b"),
            resources.description,
            str(resources.statement_count),
        ]
    )
    expect(reader.get_by_text("Phishing through direct messages")).to_be_visible()
    expect(reader.get_by_role("link", name="Word (.docx)")).to_be_visible()
    html = reader.content()
    assert SECRET_NAME not in html
    assert "Wrenfeather" not in html
    assert "/reports/" not in html
    audit(reader, name="published:report")

    panel.get_by_role("link", name="Withdraw…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw the published report")
    page.get_by_role("button", name="Withdraw the report").click()
    expect(
        page.get_by_text("The report is withdrawn: its link now answers “not found”.")
    ).to_be_visible()
    expect(page.get_by_role("region", name="Publish")).to_contain_text("Not published.")

    response = reader.reload()
    assert response.status == 404
    expect(reader.get_by_role("heading", level=1)).to_have_text("Page not found")
