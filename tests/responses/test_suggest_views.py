"""Clustering suggestions on the clustering page: the switch, filing from a suggestion,
proposed groups and duplicate hints, each accepted one recorded in the history."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from responses.models import Category, Statement, SuggestionDismissal
from responses.suggest.selectors import group_signature
from sessions.models import AuditEvent
from tests.factories import (
    CategoryFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def url(name, session):
    return reverse(f"facilitation:{name}", args=[session.workshop_id, session.pk])


@pytest.fixture
def mine(client, facilitator):
    client.force_login(facilitator)
    workshop = WorkshopFactory(facilitators=[facilitator])
    return PlenarySessionFactory(
        workshop=workshop, position=1, phase="clustering", suggestions_on=True
    )


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


@pytest.fixture
def clustered(mine):
    """Two categories with two examples each, and three cards to file."""
    security = CategoryFactory(session=mine, reference_number=1, name="Security", description="")
    staff = CategoryFactory(session=mine, reference_number=2, name="Staff time", description="")
    cards(mine, "Hackers take over the account", "Passwords shared by staff", category=security)
    cards(mine, "No time to answer comments", "Nobody monitors at weekends", category=staff)
    todo = cards(mine, "Hackers post as the agency", "Answering comments takes hours", "Parking")
    return security, staff, todo


def page(client, session):
    response = client.get(url("session_clustering", session))
    assert response.status_code == 200
    return response.content.decode()


def test_the_switch_turns_suggestions_on_and_off_and_the_page_says_so(client, facilitator):
    client.force_login(facilitator)
    session = PlenarySessionFactory(workshop=WorkshopFactory(facilitators=[facilitator]))
    assert "Suggestions are off." in page(client, session)

    response = client.post(url("suggestions_switch", session), {"on": "1"})

    assert response.status_code == 302
    assert response.url == url("session_clustering", session)
    session.refresh_from_db()
    assert session.suggestions_on is True
    assert "Suggestions are on: proposed by this server from the statements" in page(
        client, session
    )
    client.post(url("suggestions_switch", session), {"on": "0"})
    client.post(url("suggestions_switch", session), {"on": "0"})  # unchanged: no event
    session.refresh_from_db()
    assert session.suggestions_on is False
    events = AuditEvent.objects.filter(target="session", target_id=session.pk).order_by("pk")
    assert [(e.action, e.actor, e.changes) for e in events] == [
        ("changed", facilitator, {"suggestions_on": [False, True]}),
        ("changed", facilitator, {"suggestions_on": [True, False]}),
    ]
    history = client.get(
        reverse("workshop_sessions:workshop_history", args=[session.workshop_id])
    ).content.decode()
    assert "Clustering suggestions shown:</span>" in history


def test_each_uncategorised_statement_shows_its_categories_as_buttons_in_a_csrf_form(
    client, mine, clustered
):
    security, staff, (hackers, answering, parking) = clustered
    html = page(client, mine)

    form = re.search(r'<form method="post" action="([^"]+)" id="suggest-file">(.*?)</form>', html)
    assert form.group(1) == url("suggestion_file", mine)
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert (
        f'form="suggest-file" name="file" value="{hackers.pk}:{security.pk}"'
        in html.split(f'id="statement-{hackers.pk}"')[1].split("</li>")[0]
    )
    assert 'aria-label="File “Hackers post as the agency” under 1. Security"' in html
    first_for_answering = re.search(
        rf'name="file" value="{answering.pk}:(\d+)"',
        html.split(f'id="statement-{answering.pk}"')[1],
    )
    assert int(first_for_answering.group(1)) == staff.pk
    # A card that shares nothing with any category gets no button.
    assert f'value="{parking.pk}:' not in html


def test_filing_from_a_suggestion_moves_it_and_records_an_accepted_suggestion(
    client, mine, clustered, facilitator
):
    security, _staff, (hackers, answering, _viruses) = clustered

    response = client.post(url("suggestion_file", mine), {"file": f"{hackers.pk}:{security.pk}"})

    assert response.status_code == 302
    assert response.url == url("session_clustering", mine) + f"?next={answering.pk}"
    hackers.refresh_from_db()
    assert (hackers.category_id, hackers.filed_by_suggestion) == (security.pk, True)
    event = AuditEvent.objects.get(target="statement", target_id=hackers.pk, action="moved")
    assert event.actor == facilitator
    assert event.changes == {"category": [None, "1. Security"], "suggestion": [None, True]}
    followed = client.get(response.url)
    assert [str(m) for m in followed.context["messages"]] == [
        "Filed “Hackers post as the agency” under 1. Security, as suggested."
    ]
    history = client.get(reverse("workshop_sessions:workshop_history", args=[mine.workshop_id]))
    assert (
        "Accepted from a clustering suggestion:</span>\n            yes" in history.content.decode()
    )


def _share(session) -> tuple[int, int]:
    """What the report counts: (filed from suggestions, categorised statements)."""
    from reports.selectors import report_build

    report = report_build(phase=session.workshop.phase)
    return report.filed_from_suggestions, report.categorised_statements


def test_a_move_by_hand_clears_the_suggestion_mark_and_the_report_counts_it(
    client, mine, clustered
):
    security, staff, (hackers, answering, _viruses) = clustered
    client.post(url("suggestion_file", mine), {"file": f"{hackers.pk}:{security.pk}"})
    client.post(url("suggestion_file", mine), {"file": f"{answering.pk}:{staff.pk}"})
    assert _share(mine) == (2, 6)

    client.post(url("statements_move", mine), {f"to-{answering.pk}": "1"})

    answering.refresh_from_db()
    assert (answering.category_id, answering.filed_by_suggestion) == (security.pk, False)
    assert _share(mine) == (1, 6)


def test_a_suggestion_for_another_sessions_category_is_refused(client, mine, clustered):
    _security, _staff, (hackers, _answering, _viruses) = clustered
    elsewhere = CategoryFactory(name="Elsewhere")

    client.post(url("suggestion_file", mine), {"file": f"{hackers.pk}:{elsewhere.pk}"})

    hackers.refresh_from_db()
    assert hackers.category_id is None
    assert not AuditEvent.objects.filter(target_id=hackers.pk, action="moved").exists()


@pytest.mark.parametrize("value", ["", "12", "a:b", "1:2:3"])
def test_a_malformed_suggestion_is_refused_with_a_message(client, mine, value):
    response = client.post(url("suggestion_file", mine), {"file": value}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "That suggestion is no longer proposed."
    ]


# --- Proposed groups ----------------------------------------------------------------------------


@pytest.fixture
def unclustered(mine):
    return cards(
        mine,
        "Hackers could take over our account",
        "Reach younger residents on their phones",
        "Hackers and stolen passwords",
        "Reach residents who never read the newspaper",
        "Passwords shared between staff accounts",
    )


def groups_on(html):
    return re.findall(r'name="dismiss" value="group:([0-9a-f]+)"', html)


def test_without_categories_groups_are_proposed_with_a_draft_name(client, mine, unclustered):
    html = page(client, mine)

    signatures = groups_on(html)
    assert signatures
    security = group_signature([unclustered[0].pk, unclustered[2].pk, unclustered[4].pk])
    assert security in signatures
    section = html.split(f'id="group-{security}"')[1].split("</section>")[0]
    assert re.search(r'name="name" value="[^"]*(Hackers|Passwords)', section)
    assert section.count('type="checkbox" name="statement"') == 3


def test_accepting_a_group_creates_the_category_and_files_its_ticked_statements(
    client, mine, unclustered
):
    hackers, _, stolen, _, shared = unclustered

    response = client.post(
        url("suggestion_group_accept", mine),
        {"name": "Security", "statement": [hackers.pk, stolen.pk]},
    )

    category = Category.objects.get(session=mine)
    assert response.url == url("session_clustering", mine) + f"#category-{category.pk}"
    assert (category.reference_number, category.name) == (1, "Security")
    filed = Statement.objects.filter(category=category, filed_by_suggestion=True)
    assert sorted(filed.values_list("pk", flat=True)) == [hackers.pk, stolen.pk]
    assert Statement.objects.get(pk=shared.pk).category_id is None
    events = AuditEvent.objects.filter(action="moved", target="statement").order_by("target_id")
    assert [e.changes for e in events] == [
        {"category": [None, "1. Security"], "suggestion": [None, True]}
    ] * 2
    created = AuditEvent.objects.get(action="created", target="category")
    assert created.changes["suggestion"] == [None, True]


def test_accepting_a_group_without_a_name_or_statements_is_refused(client, mine, unclustered):
    response = client.post(
        url("suggestion_group_accept", mine), {"name": " ", "statement": [unclustered[0].pk]}
    )
    assert response.status_code == 302
    assert not Category.objects.exists()
    client.post(url("suggestion_group_accept", mine), {"name": "Security"})
    assert not Category.objects.exists()


def test_a_dismissed_group_stays_dismissed_after_a_reload(client, mine, unclustered, facilitator):
    signature = groups_on(page(client, mine))[0]

    client.post(url("suggestion_dismiss", mine), {"dismiss": f"group:{signature}"})
    client.post(url("suggestion_dismiss", mine), {"dismiss": f"group:{signature}"})  # twice

    dismissal = SuggestionDismissal.objects.get()
    assert (dismissal.session, dismissal.kind, dismissal.signature) == (mine, "group", signature)
    assert dismissal.dismissed_by == facilitator
    assert signature not in groups_on(page(client, mine))


@pytest.mark.parametrize("value", ["group:", "group:xyz", "colour:1-2", "duplicate:1-2-3"])
def test_a_malformed_dismissal_is_refused(client, mine, value):
    client.post(url("suggestion_dismiss", mine), {"dismiss": value})
    assert not SuggestionDismissal.objects.exists()


# --- Duplicates ---------------------------------------------------------------------------------


@pytest.fixture
def repeated(mine):
    return cards(mine, "Cost savings", "Reach younger residents", "cost saving!")


def test_a_near_identical_card_is_pointed_out_and_can_be_hidden_as_a_duplicate(
    client, mine, repeated
):
    first, _, again = repeated
    html = page(client, mine)
    assert "Looks like a duplicate of “Cost savings”." in html
    assert f'name="duplicate" value="{first.pk}:{again.pk}"' in html

    client.post(url("suggestion_duplicate_hide", mine), {"duplicate": f"{first.pk}:{again.pk}"})

    again.refresh_from_db()
    assert (again.hidden, again.hidden_reason) == (True, "Duplicate of “Cost savings”")
    event = AuditEvent.objects.get(target_id=again.pk, action="hidden")
    assert event.changes == {
        "hidden_reason": ["", "Duplicate of “Cost savings”"],
        "suggestion": [None, True],
    }


def test_keep_both_dismisses_the_duplicate_hint(client, mine, repeated):
    first, _, again = repeated
    client.post(url("suggestion_dismiss", mine), {"dismiss": f"duplicate:{first.pk}-{again.pk}"})

    assert "Looks like a duplicate" not in page(client, mine)
    again.refresh_from_db()
    assert again.hidden is False


def test_nothing_is_suggested_while_suggestions_are_off(client, mine, repeated):
    mine.suggestions_on = False
    mine.save()
    html = page(client, mine)
    assert "Looks like a duplicate" not in html
    assert 'id="suggest-file"' not in html


# --- Who may ----------------------------------------------------------------------------------


ACTIONS = [
    ("suggestions_switch", {"on": "1"}),
    ("suggestion_file", {"file": "1:1"}),
    ("suggestion_group_accept", {"name": "X", "statement": ["1"]}),
    ("suggestion_dismiss", {"dismiss": "duplicate:1-2"}),
    ("suggestion_duplicate_hide", {"duplicate": "1:2"}),
]


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_another_workshops_facilitator_gets_404_and_changes_nothing(name, data, mine):
    other = Client()
    other.force_login(UserFactory(username="elsewhere", role="facilitator"))

    response = other.post(url(name, mine), data)

    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.suggestions_on is True
    assert not SuggestionDismissal.objects.exists()


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_staff_may_act_and_anonymous_people_are_sent_to_sign_in(name, data, mine):
    anonymous = Client()
    response = anonymous.post(url(name, mine), data)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))

    staff = Client()
    staff.force_login(UserFactory(username="analyst", role="staff"))
    assert staff.post(url(name, mine), data).status_code == 302


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_a_post_without_the_csrf_token_is_refused(name, data, mine, facilitator):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(facilitator)

    assert checked.post(url(name, mine), data).status_code == 403


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_get_is_not_allowed(name, data, client, mine):
    assert client.get(url(name, mine)).status_code == 405


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_the_page_with_suggestions_costs_one_query_more(
    client, mine, count, django_assert_num_queries
):
    security = CategoryFactory(session=mine, reference_number=1, name="Security")
    cards(mine, "Hackers take over the account", category=security)
    cards(mine, *[f"Hackers and passwords, card {n}" for n in range(count)])
    # The page's 7 (see test_clustering_page.py) and the dismissed suggestions.
    with django_assert_num_queries(8):
        client.get(url("session_clustering", mine))


@pytest.mark.parametrize("count", [1, 3])
def test_the_page_with_proposed_groups_costs_one_query_more(
    client, mine, count, django_assert_num_queries
):
    cards(mine, *[f"Hackers and passwords, card {n}" for n in range(count)])
    # With no category the page also looks for other sessions' lists to present (1 more).
    with django_assert_num_queries(9):
        client.get(url("session_clustering", mine))
