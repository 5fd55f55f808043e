import pytest
from django.urls import reverse

from tests.factories import (
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def test_home_invites_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["phases"] == []
    assert reverse("login").encode() in response.content


def test_home_lists_a_facilitators_workshops_with_their_counts(client, facilitator):
    mine = WorkshopFactory(title="State agency workshop", facilitators=[facilitator])
    session = PlenarySessionFactory(workshop=mine)
    StatementFactory.create_batch(3, session=session)
    StatementFactory(session=session, hidden=True, hidden_reason="Duplicate")
    WorkshopFactory(title="Someone else's workshop")
    client.force_login(facilitator)

    response = client.get(reverse("home"))

    [(phase, workshops)] = response.context["phases"]
    assert phase == mine.phase
    assert [(w.title, w.session_count, w.statement_count) for w in workshops] == [
        ("State agency workshop", 1, 3)
    ]
    assert b"Someone else" not in response.content


def test_home_groups_workshops_by_phase_for_staff(client, staff_user):
    first = WorkshopFactory()
    second = WorkshopFactory()
    client.force_login(staff_user)
    response = client.get(reverse("home"))
    grouped = {phase.pk: [w.pk for w in ws] for phase, ws in response.context["phases"]}
    assert grouped == {first.phase.pk: [first.pk], second.phase.pk: [second.pk]}


def test_user_without_a_role_is_told_to_ask_staff(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert b"not assigned to any workshop" in response.content


def test_workshop_page_shows_sessions_in_order(client, facilitator):
    workshop = WorkshopFactory(facilitators=[facilitator])
    PlenarySessionFactory(workshop=workshop, position=2, title="Concerns")
    PlenarySessionFactory(workshop=workshop, position=1, title="Values")
    client.force_login(facilitator)
    response = client.get(workshop.get_absolute_url())
    assert response.status_code == 200
    assert [s.title for s in response.context["workshop"].sessions.all()] == ["Values", "Concerns"]


def test_workshop_page_needs_a_signed_in_user(client):
    workshop = WorkshopFactory()
    response = client.get(workshop.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={workshop.get_absolute_url()}"


def test_other_facilitators_workshop_is_not_found(client, facilitator, other_facilitator):
    theirs = WorkshopFactory(facilitators=[other_facilitator])
    client.force_login(facilitator)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("workshop_sessions:workshop_detail", args=[99999])).status_code == 404


def test_workshop_page_refuses_post(client, staff_user):
    workshop = WorkshopFactory()
    client.force_login(staff_user)
    assert client.post(workshop.get_absolute_url()).status_code == 405


def test_user_data_is_escaped_on_pages(client, staff_user):
    workshop = WorkshopFactory(title="<script>alert(1)</script>", venue="<b>Hall</b>")
    client.force_login(staff_user)
    for url in [reverse("home"), workshop.get_absolute_url()]:
        content = client.get(url).content
        assert b"<script>alert(1)</script>" not in content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content


def build_workshops(count: int, facilitator) -> None:
    for _ in range(count):
        workshop = WorkshopFactory(facilitators=[facilitator])
        for position in (1, 2):
            session = PlenarySessionFactory(workshop=workshop, position=position)
            StatementFactory.create_batch(2, session=session)


@pytest.mark.parametrize("count", [1, 3])
def test_home_query_count_does_not_grow_with_workshops(
    client, facilitator, django_assert_num_queries, count
):
    build_workshops(count, facilitator)
    client.force_login(facilitator)
    # session, user, the user's groups, the workshop list
    with django_assert_num_queries(4):
        response = client.get(reverse("home"))
    assert sum(len(ws) for _, ws in response.context["phases"]) == count


@pytest.mark.parametrize("count", [1, 3])
def test_workshop_page_query_count_does_not_grow_with_sessions(
    client, facilitator, django_assert_num_queries, count
):
    workshop = WorkshopFactory(facilitators=[facilitator])
    for position in range(1, count + 1):
        session = PlenarySessionFactory(workshop=workshop, position=position)
        StatementFactory.create_batch(2, session=session)
    client.force_login(facilitator)
    # session, user, groups, workshop, its sessions, its facilitators
    with django_assert_num_queries(6):
        response = client.get(workshop.get_absolute_url())
    assert len(response.context["workshop"].sessions.all()) == count


def test_healthz_reports_database_reachable(client):
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"]
