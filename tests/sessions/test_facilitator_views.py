import uuid

import pytest
from django.urls import reverse

from responses.models import Category, Statement
from sessions.models import NoteRevision, PlenarySession, Workshop
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def url(name, session):
    return reverse(name, args=[session.workshop_id, session.pk])


@pytest.fixture
def mine(client, facilitator):
    client.force_login(facilitator)
    return PlenarySessionFactory(workshop=WorkshopFactory(facilitators=[facilitator]), position=1)


def test_facilitator_creates_a_workshop_and_is_assigned(client, facilitator):
    phase = ProjectPhaseFactory()
    client.force_login(facilitator)
    response = client.post(
        reverse("workshop_sessions:workshop_create"),
        {
            "phase": phase.pk,
            "title": "Local government workshop",
            "kind": "local",
            "date": "2009-10-20",
            "start_time": "13:30",
            "end_time": "14:30",
            "venue": "Conference centre",
            "status": "planned",
            "attendance_people": "31",
        },
    )
    workshop = Workshop.objects.get(title="Local government workshop")
    assert response["Location"] == workshop.get_absolute_url()
    assert list(workshop.facilitators.all()) == [facilitator]
    assert workshop.attendance_people == 31


def test_workshop_form_refuses_an_end_before_the_start_and_keeps_the_input(client, facilitator):
    client.force_login(facilitator)
    response = client.post(
        reverse("workshop_sessions:workshop_create"),
        {
            "phase": ProjectPhaseFactory().pk,
            "title": "Kept title",
            "kind": "state",
            "date": "2009-09-17",
            "start_time": "10:30",
            "end_time": "08:30",
            "status": "planned",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end_time"] == ["The workshop must end after it starts."]
    assert response.context["form"]["title"].value() == "Kept title"
    assert not Workshop.objects.exists()


def test_sessions_are_added_at_the_end_and_reordered(client, mine):
    client.post(
        reverse("workshop_sessions:session_create", args=[mine.workshop_id]),
        {
            "title": "Concerns",
            "prompt": "What worries you?",
            "purpose": "concerns",
            "writing_minutes": 5,
            "dots_per_participant": 4,
        },
    )
    second = PlenarySession.objects.get(title="Concerns")
    assert second.position == 2
    client.post(url("workshop_sessions:session_move", second), {"direction": "up"})
    assert list(mine.workshop.sessions.values_list("title", flat=True)) == ["Concerns", mine.title]


def test_phase_change_and_reveal(client, mine):
    # No categories yet: opening voting asks first; "anyway" opens it all the same.
    client.post(url("workshop_sessions:session_phase", mine), {"phase": "voting", "fix": "anyway"})
    client.post(url("workshop_sessions:session_reveal", mine), {"revealed": "1"})
    mine.refresh_from_db()
    assert (mine.phase, mine.results_revealed) == ("voting", True)
    client.post(url("workshop_sessions:session_phase", mine), {"phase": "nonsense"})
    mine.refresh_from_db()
    assert mine.phase == "voting"


def test_notes_save_as_json_and_report_a_conflict(client, mine, other_facilitator):
    first = client.post(
        url("workshop_sessions:session_notes", mine),
        {"text": "Opening remarks", "based_on": ""},
        **JSON,
    )
    assert first.json() == {"status": "saved", "revision": 1}
    mine.workshop.facilitators.add(other_facilitator)
    from django.test import Client

    colleague = Client()
    colleague.force_login(other_facilitator)
    colleague.post(
        url("workshop_sessions:session_notes", mine),
        {"text": "Colleague's text", "based_on": "1"},
        **JSON,
    )
    mine_again = client.post(
        url("workshop_sessions:session_notes", mine), {"text": "My text", "based_on": "1"}, **JSON
    )
    body = mine_again.json()
    assert body["revision"] == 3
    assert body["conflict"]["revision"] == 2
    assert body["conflict"]["text"] == "Colleague's text"
    assert list(NoteRevision.objects.filter(session=mine).values_list("text", flat=True)) == [
        "My text",
        "Colleague's text",
        "Opening remarks",
    ]


def test_notes_conflict_without_javascript_shows_both_texts(client, mine, other_facilitator):
    NoteRevision.objects.create(session=mine, number=1, text="Base")
    NoteRevision.objects.create(
        session=mine, number=2, based_on=1, text="Theirs", author=other_facilitator
    )
    response = client.post(
        url("workshop_sessions:session_notes", mine), {"text": "Mine", "based_on": "1"}
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Both texts are kept: yours as revision 3, theirs as revision 2" in content
    assert "Theirs</textarea>" in content and ">Mine</textarea>" in content


def test_note_history_lists_every_revision(client, mine):
    for number in (1, 2, 3):
        NoteRevision.objects.create(session=mine, number=number, text=f"Text {number}")
    response = client.get(url("workshop_sessions:session_note_history", mine))
    assert [r.number for r in response.context["revisions"]] == [3, 2, 1]


def test_paper_card_with_a_mark_is_typed_in(client, mine):
    key = str(uuid.uuid4())
    response = client.post(
        url("facilitation:session_cards", mine),
        {"text": "Reach young residents (E)", "idempotency_key": key},
    )
    assert response.status_code == 302
    client.post(
        url("facilitation:session_cards", mine),
        {"text": "Reach young residents (E)", "idempotency_key": key},
    )
    assert list(Statement.objects.values_list("text", "use", "source")) == [
        ("Reach young residents", "E", "card")
    ]


def test_clustering_by_form_moves_merges_and_hides(client, mine):
    client.post(
        url("facilitation:category_create", mine),
        {"name": "Resources", "description": "Money and staff"},
    )
    client.post(url("facilitation:category_create", mine), {"name": "Staff time"})
    resources, staff_time = Category.objects.order_by("reference_number")
    cards = StatementFactory.create_batch(3, session=mine)
    client.post(
        url("facilitation:statements_move", mine),
        {"statement": [cards[0].pk, cards[1].pk], "category": staff_time.pk},
    )
    client.post(
        url("facilitation:category_merge", mine), {"category": staff_time.pk, "into": resources.pk}
    )
    client.post(
        url("facilitation:statement_hide", mine), {"statement": cards[2].pk, "reason": "Duplicate"}
    )
    board = client.get(url("facilitation:session_clustering", mine)).context["board"]
    assert [(c.name, [s.pk for s in c.visible_statements]) for c in board.categories] == [
        ("Resources", [cards[0].pk, cards[1].pk])
    ]
    assert board.uncategorised == []
    assert [s.pk for s in board.hidden] == [cards[2].pk]


def test_refused_clustering_action_says_why(client, mine):
    category = CategoryFactory(session=mine)
    response = client.post(
        url("facilitation:category_merge", mine),
        {"category": category.pk, "into": category.pk},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Choose another category to merge into."
    ]


def test_board_feed_answers_204_until_something_changes(client, mine):
    page = client.get(url("facilitation:session_board", mine))
    version = page.context["board"].version
    assert (
        client.get(url("facilitation:session_board_feed", mine), {"v": version}).status_code == 204
    )
    StatementFactory(session=mine, text="Arrived just now")
    changed = client.get(url("facilitation:session_board_feed", mine), {"v": version})
    assert changed.status_code == 200
    assert "Arrived just now" in changed.content.decode()


def test_board_hides_tallies_until_revealed(client, mine):
    mine.phase = "voting"
    mine.save()
    category = CategoryFactory(session=mine, name="Security")
    DotFactory.create_batch(2, category=category)
    assert client.get(url("facilitation:session_board", mine)).context["board"].tallies == []
    mine.results_revealed = True
    mine.save()
    tallies = client.get(url("facilitation:session_board", mine)).context["board"].tallies
    assert [(t.category.name, t.total) for t in tallies] == [("Security", 2)]


def fill(session, sessions_worth: int) -> None:
    """Data for ``sessions_worth`` sessions' worth of statements, categories and dots."""
    for n in range(sessions_worth):
        for m in range(3):
            category = CategoryFactory(session=session, reference_number=n * 3 + m + 1)
            participant = ParticipantFactory(workshop=session.workshop)
            StatementFactory.create_batch(
                2, session=session, category=category, participant=participant
            )
            StatementFactory(session=session, hidden=True, hidden_reason="Duplicate")
            DotFactory(category=category, participant=participant)
        StatementFactory(session=session)


@pytest.mark.parametrize("worth", [1, 3])
def test_board_query_count_is_fixed(client, mine, django_assert_num_queries, worth):
    mine.results_revealed = True
    mine.save()
    fill(mine, worth)
    # sign-in session, user, groups, session (+workshop); the board's state, its tallies
    with django_assert_num_queries(6):
        response = client.get(url("facilitation:session_board", mine))
    assert response.context["board"].statement_count == worth * 7


@pytest.mark.parametrize("worth", [1, 3])
def test_clustering_query_count_is_fixed(client, mine, django_assert_num_queries, worth):
    fill(mine, worth)
    # 7: the session's paper dot totals (for their form) are one query of their own.
    with django_assert_num_queries(7):
        response = client.get(url("facilitation:session_clustering", mine))
    assert len(response.context["board"].categories) == worth * 3


def test_staff_assign_facilitators_and_facilitators_cannot(client, staff_user, facilitator):
    workshop = WorkshopFactory()
    client.force_login(staff_user)
    form = client.get(reverse("workshop_sessions:workshop_edit", args=[workshop.pk])).context[
        "form"
    ]
    assert list(form.fields["facilitators"].queryset) == [facilitator]
    data = {
        "phase": workshop.phase_id,
        "title": workshop.title,
        "kind": workshop.kind,
        "date": "2009-09-17",
        "status": "planned",
        "facilitators": [facilitator.pk],
    }
    client.post(reverse("workshop_sessions:workshop_edit", args=[workshop.pk]), data)
    assert list(workshop.facilitators.all()) == [facilitator]

    client.force_login(facilitator)
    form = client.get(reverse("workshop_sessions:workshop_edit", args=[workshop.pk])).context[
        "form"
    ]
    assert "facilitators" not in form.fields
