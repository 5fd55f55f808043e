"""Every facilitator's and staff member's form that comes back with errors opens at a summary of
them, each linked to its field (templates/_form_errors.html): the form posts to "…#form-errors"
and the summary can take the focus, so the browser focuses it as the page loads."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    role: str  # facilitator | staff
    url: Callable[[dict], str]  # the page that shows the form (and where it comes back)
    post: Callable[[dict], str]  # where the form posts
    data: Callable[[dict], dict]
    field: str  # the id of the field the summary links to
    status: int = 400


def session_url(name: str) -> Callable[[dict], str]:
    return lambda w: reverse(name, args=[w["workshop"].pk, w["session"].pk])


CASES = {
    "new workshop": Case(
        "facilitator",
        lambda w: reverse("workshop_sessions:workshop_create"),
        lambda w: reverse("workshop_sessions:workshop_create"),
        lambda w: {"title": ""},
        "id_title",
        status=200,  # sessions.views answers a refused form with 200
    ),
    "edit workshop": Case(
        "facilitator",
        lambda w: reverse("workshop_sessions:workshop_edit", args=[w["workshop"].pk]),
        lambda w: reverse("workshop_sessions:workshop_edit", args=[w["workshop"].pk]),
        lambda w: {"title": ""},
        "id_title",
        status=200,  # sessions.views answers a refused form with 200
    ),
    "new session": Case(
        "facilitator",
        lambda w: reverse("workshop_sessions:session_create", args=[w["workshop"].pk]),
        lambda w: reverse("workshop_sessions:session_create", args=[w["workshop"].pk]),
        lambda w: {"title": ""},
        "id_title",
        status=200,  # sessions.views answers a refused form with 200
    ),
    "edit session": Case(
        "facilitator",
        session_url("workshop_sessions:session_edit"),
        session_url("workshop_sessions:session_edit"),
        lambda w: {"title": ""},
        "id_title",
        status=200,  # sessions.views answers a refused form with 200
    ),
    "notes": Case(
        "facilitator",
        session_url("workshop_sessions:session_notes"),
        session_url("workshop_sessions:session_notes"),
        lambda w: {"text": "x" * 100_001},
        "id_text",
        status=200,
    ),
    "paper cards": Case(
        "facilitator",
        session_url("facilitation:session_cards"),
        session_url("facilitation:session_cards"),
        lambda w: {"text": "", "idempotency_key": "00000000-0000-4000-8000-000000000001"},
        "id_text",
    ),
    "correcting a paper card": Case(
        "facilitator",
        lambda w: reverse(
            "facilitation:card_correct",
            args=[w["workshop"].pk, w["session"].pk, w["paper_card"].pk],
        ),
        lambda w: reverse(
            "facilitation:card_correct",
            args=[w["workshop"].pk, w["session"].pk, w["paper_card"].pk],
        ),
        lambda w: {"text": "", "use": ""},
        "id_text",
    ),
    "paper dot totals": Case(
        "facilitator",
        session_url("facilitation:session_clustering"),
        session_url("facilitation:paper_dots_save"),
        lambda w: {f"paper_{w['category'].pk}": "-1", "note": ""},
        "id_paper_{category}",
    ),
    "report narrative": Case(
        "staff",
        lambda w: reverse("reports:narrative", args=[w["phase"].slug]),
        lambda w: reverse("reports:narrative", args=[w["phase"].slug]),
        lambda w: {"suppress_below": "-1"},
        "id_suppress_below",
        status=200,  # reports.views answers a refused narrative with 200
    ),
    "records upload": Case(
        "staff",
        lambda w: reverse("reports:records"),
        lambda w: reverse("reports:records_upload"),
        lambda w: {"progress": ""},
        "id_file",
    ),
}


@pytest.fixture
def world(db):
    facilitator = UserFactory(username="dana", role="facilitator")
    staff = UserFactory(username="sam", role="staff")
    phase = ProjectPhaseFactory()
    workshop = WorkshopFactory(facilitators=[facilitator], phase=phase)
    session = PlenarySessionFactory(workshop=workshop, position=1, phase="voting")
    return {
        "users": {"facilitator": facilitator, "staff": staff},
        "phase": phase,
        "workshop": workshop,
        "session": session,
        "category": CategoryFactory(session=session, reference_number=1, name="Resources"),
        "paper_card": StatementFactory(session=session, source="card", text="Typo"),
    }


@pytest.mark.parametrize("name", list(CASES))
def test_a_form_with_errors_opens_at_its_summary(client, world, name):
    case = CASES[name]
    client.force_login(world["users"][case.role])
    # The form posts to "#form-errors", so the page comes back at the summary.
    form_page = client.get(case.url(world)).content.decode()
    post_url = case.post(world)
    assert re.search(rf'action="({re.escape(post_url)})?#form-errors"', form_page), name

    response = client.post(post_url, case.data(world))

    assert response.status_code == case.status
    html = response.content.decode()
    field = case.field.format(category=world["category"].pk)
    summary = re.search(
        r'<div class="alert alert-danger" role="alert" id="form-errors" tabindex="-1">(.*?)</div>',
        html,
        re.S,
    )
    assert summary, f"{name}: no error summary"
    assert f'<a href="#{field}">' in summary.group(1), summary.group(1)
    # At the top of the form: before the field it links to.
    assert html.index('id="form-errors"') < html.index(f'id="{field}"')
    assert html.count('id="form-errors"') == 1


def test_the_summary_names_each_field_with_its_error(client, world):
    client.force_login(world["users"]["facilitator"])
    response = client.post(reverse("workshop_sessions:workshop_create"), {"title": ""})
    summary = re.search(
        r'id="form-errors" tabindex="-1">(.*?)</div>', response.content.decode(), re.S
    )
    links = re.findall(r'<a href="#(id_\w+)">([^<]+)</a>', summary.group(1))
    assert ("id_title", "Title: This field is required.") in links


def test_a_valid_form_has_no_summary(client, world):
    client.force_login(world["users"]["facilitator"])
    page = client.get(reverse("workshop_sessions:workshop_create")).content.decode()
    assert 'id="form-errors"' not in page
