"""The change history: what each write service records, and the workshop's history page."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from responses.facilitation import (
    card_enter,
    categories_present,
    categories_renumber,
    category_create,
    category_delete,
    category_merge,
    category_split,
    category_update,
    statement_hide,
    statement_restore,
    statements_categorise,
)
from responses.services import statement_edit, statement_submit, statement_withdraw
from sessions.audit import (
    audit_change_lines,
    audit_changes,
    audit_created,
    audit_record,
    audit_record_many,
    audit_removed,
)
from sessions.models import AuditEvent
from sessions.services import note_save
from sessions.views import HISTORY_PER_PAGE
from tests.factories import (
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
    consenting_participant,
)

pytestmark = pytest.mark.django_db


def recorded():
    """Every event, oldest first: (action, target, target_id, actor, participant, changes)."""
    return [
        (e.action, e.target, e.target_id, e.actor_id, e.actor_participant_id, e.changes)
        for e in AuditEvent.objects.order_by("pk")
    ]


@pytest.fixture
def session(facilitator):
    return PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[facilitator]), phase="collecting", title="Values"
    )


@pytest.fixture
def participant(session):
    return ParticipantFactory(workshop=session.workshop)


def history_url(workshop, **query):
    url = reverse("workshop_sessions:workshop_history", args=[workshop.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- The recording functions ------------------------------------------------------------------


def test_changes_hold_only_the_fields_that_differ():
    assert audit_changes(
        {"name": "Resources", "description": "", "reference_number": 2},
        {"name": "Resources", "description": "Money", "reference_number": 1},
    ) == {"description": ["", "Money"], "reference_number": [2, 1]}
    assert audit_changes({"text": "Same"}, {"text": "Same"}) == {}
    assert audit_created(text="Cheaper outreach", use="", source="card") == {
        "text": [None, "Cheaper outreach"],
        "source": [None, "card"],
    }
    assert audit_removed(text="Withdrawn card", use="E") == {
        "text": ["Withdrawn card", None],
        "use": ["E", None],
    }


def test_an_event_has_at_most_one_actor(session, participant, facilitator):
    with pytest.raises(ValueError, match="at most one actor"):
        audit_record(
            workshop=session.workshop,
            actor=facilitator,
            participant=participant,
            action="changed",
            target="statement",
            target_id=1,
        )
    assert not AuditEvent.objects.exists()


def test_a_participants_identity_is_refused_in_changes(session, participant, staff_user):
    with pytest.raises(ValueError, match="identity"):
        audit_record(
            workshop=session.workshop,
            actor=staff_user,
            action="erased",
            target="participant",
            target_id=participant.pk,
            changes={"name": ["Dana Whitfield", ""]},
        )
    assert not AuditEvent.objects.exists()


def test_many_events_are_stored_in_one_insert(session, facilitator, django_assert_num_queries):
    with django_assert_num_queries(1):
        events = audit_record_many(
            workshop=session.workshop,
            session=session,
            actor=facilitator,
            action="moved",
            target="statement",
            changes_by_id={7: {"category": [None, "1. Cost"]}, 8: {"category": ["1. Cost", None]}},
        )
    assert [(e.target_id, e.changes) for e in events] == [
        (7, {"category": [None, "1. Cost"]}),
        (8, {"category": ["1. Cost", None]}),
    ]


def test_change_lines_label_fields_and_show_choices_by_name():
    lines = audit_change_lines(
        {"text": [None, "Cheaper outreach"], "use": ["", "E"], "reference_number": [2, 1]}
    )
    assert [(line.label, line.before, line.after) for line in lines] == [
        ("Text", None, "Cheaper outreach"),
        ("Use", None, "External use"),
        ("Reference number", "2", "1"),
    ]


# --- Participants' writes ---------------------------------------------------------------------


def test_a_submitted_card_is_recorded_once_as_the_participants(session, participant):
    key = uuid.uuid4()
    first = statement_submit(
        session=session,
        participant=participant,
        text=" Cheaper outreach ",
        use="E",
        idempotency_key=key,
    )
    statement_submit(
        session=session,
        participant=participant,
        text="Cheaper outreach",
        use="E",
        idempotency_key=key,
    )
    assert recorded() == [
        (
            "created",
            "statement",
            first.statement.pk,
            None,
            participant.pk,
            {"text": [None, "Cheaper outreach"], "use": [None, "E"]},
        )
    ]
    assert AuditEvent.objects.get().session == session


def test_an_edit_records_what_changed_and_an_unchanged_save_nothing(session, participant):
    card = StatementFactory(session=session, participant=participant, text="Old", use="")
    statement_edit(session=session, participant=participant, pk=card.pk, text="New", use="")
    statement_edit(session=session, participant=participant, pk=card.pk, text="New", use="")
    statement_edit(session=session, participant=participant, pk=card.pk, text="New", use="I")
    assert recorded() == [
        ("changed", "statement", card.pk, None, participant.pk, {"text": ["Old", "New"]}),
        ("changed", "statement", card.pk, None, participant.pk, {"use": ["", "I"]}),
    ]


def test_a_withdrawal_keeps_the_withdrawn_text(session, participant):
    card = StatementFactory(session=session, participant=participant, text="Gone", use="E")
    card_pk = card.pk
    statement_withdraw(session=session, participant=participant, pk=card_pk)
    assert recorded() == [
        (
            "withdrawn",
            "statement",
            card_pk,
            None,
            participant.pk,
            {"text": ["Gone", None], "use": ["E", None]},
        )
    ]


# --- Facilitators' writes ---------------------------------------------------------------------


def test_a_paper_card_is_recorded_once_as_the_facilitators(session, facilitator):
    key = uuid.uuid4()
    first = card_enter(
        session=session, actor=facilitator, text="Cost savings (E)", idempotency_key=key
    )
    card_enter(session=session, actor=facilitator, text="Cost savings (E)", idempotency_key=key)
    assert recorded() == [
        (
            "created",
            "statement",
            first.statement.pk,
            facilitator.pk,
            None,
            {"text": [None, "Cost savings (E)"], "source": [None, "card"]},
        )
    ]


def test_category_create_and_update_record_their_fields(session, facilitator):
    resources = category_create(
        session=session, actor=facilitator, name="Resources", description="Money"
    )
    security = category_create(session=session, actor=facilitator, name="Security")
    AuditEvent.objects.all().delete()
    category_update(
        category=security,
        actor=facilitator,
        reference_number=1,
        name="Security",
        description="Keeping accounts safe",
    )
    assert recorded() == [
        (
            "renumbered",
            "category",
            resources.pk,
            facilitator.pk,
            None,
            {"reference_number": [1, 2]},
        ),
        (
            "changed",
            "category",
            security.pk,
            facilitator.pk,
            None,
            {"reference_number": [2, 1], "description": ["", "Keeping accounts safe"]},
        ),
    ]


def test_category_create_records_the_new_category(session, facilitator):
    category = category_create(
        session=session, actor=facilitator, name="Resources", description="Money"
    )
    assert recorded() == [
        (
            "created",
            "category",
            category.pk,
            facilitator.pk,
            None,
            {
                "reference_number": [None, 1],
                "name": [None, "Resources"],
                "description": [None, "Money"],
            },
        )
    ]


def test_renumbering_records_only_the_categories_whose_number_changed(session, facilitator):
    CategoryFactory(session=session, reference_number=1, name="A")
    third = CategoryFactory(session=session, reference_number=3, name="C")
    categories_renumber(session=session, actor=facilitator)
    assert recorded() == [
        ("renumbered", "category", third.pk, facilitator.pk, None, {"reference_number": [3, 2]})
    ]


def test_moving_statements_records_each_statement_that_moved(session, facilitator):
    cost = CategoryFactory(session=session, reference_number=1, name="Cost")
    already, loose = (
        StatementFactory(session=session, category=cost),
        StatementFactory(session=session),
    )
    moved = statements_categorise(
        session=session,
        actor=facilitator,
        statement_ids=[already.pk, loose.pk],
        category_id=cost.pk,
    )
    statements_categorise(
        session=session, actor=facilitator, statement_ids=[already.pk], category_id=None
    )
    assert moved == 2
    assert recorded() == [
        ("moved", "statement", loose.pk, facilitator.pk, None, {"category": [None, "1. Cost"]}),
        ("moved", "statement", already.pk, facilitator.pk, None, {"category": ["1. Cost", None]}),
    ]


def test_a_merge_says_which_categories_and_how_many_statements(session, facilitator):
    keep = CategoryFactory(session=session, reference_number=1, name="Resources")
    gone = CategoryFactory(session=session, reference_number=2, name="Staff time")
    cards = StatementFactory.create_batch(2, session=session, category=gone)
    gone_pk = gone.pk
    category_merge(session=session, actor=facilitator, source_id=gone_pk, target_id=keep.pk)
    moved = {"category": ["2. Staff time", "1. Resources"]}
    assert recorded() == [
        (
            "merged",
            "category",
            gone_pk,
            facilitator.pk,
            None,
            {"category": ["2. Staff time", "1. Resources"], "statements": [None, 2]},
        ),
        ("moved", "statement", cards[0].pk, facilitator.pk, None, moved),
        ("moved", "statement", cards[1].pk, facilitator.pk, None, moved),
    ]


def test_a_split_says_which_categories_and_how_many_statements(session, facilitator):
    mixed = CategoryFactory(session=session, reference_number=1, name="Mixed")
    _money, risk = StatementFactory.create_batch(2, session=session, category=mixed)
    new = category_split(
        session=session,
        actor=facilitator,
        category_id=mixed.pk,
        statement_ids=[risk.pk],
        name="Security",
    )
    assert recorded() == [
        (
            "split",
            "category",
            new.pk,
            facilitator.pk,
            None,
            {"category": ["1. Mixed", "2. Security"], "statements": [None, 1]},
        ),
        (
            "moved",
            "statement",
            risk.pk,
            facilitator.pk,
            None,
            {"category": ["1. Mixed", "2. Security"]},
        ),
    ]


def test_a_deletion_records_the_category_and_its_uncategorised_statements(session, facilitator):
    category = CategoryFactory(session=session, reference_number=4, name="Odd", description="")
    card = StatementFactory(session=session, category=category)
    category_pk = category.pk
    category_delete(session=session, actor=facilitator, category_id=category_pk)
    assert recorded() == [
        (
            "deleted",
            "category",
            category_pk,
            facilitator.pk,
            None,
            {"reference_number": [4, None], "name": ["Odd", None], "statements": [1, None]},
        ),
        ("moved", "statement", card.pk, facilitator.pk, None, {"category": ["4. Odd", None]}),
    ]


def test_presenting_a_list_records_each_category_and_its_origin(facilitator):
    state = PlenarySessionFactory(title="Concerns")
    origin = CategoryFactory(session=state, reference_number=1, name="Resources", description="")
    local = PlenarySessionFactory()
    [presented] = categories_present(session=local, actor=facilitator, source=state)
    assert recorded() == [
        (
            "created",
            "category",
            presented.pk,
            facilitator.pk,
            None,
            {
                "reference_number": [None, 1],
                "name": [None, "Resources"],
                "presented_from": [None, f"{state.workshop.title} — Concerns: 1. Resources"],
            },
        )
    ]
    assert AuditEvent.objects.get().workshop == local.workshop
    assert origin.presented_as.get() == presented


def test_hiding_and_restoring_record_the_reason(session, facilitator):
    card = StatementFactory(session=session)
    statement_hide(statement=card, actor=facilitator, reason="  Off   topic ")
    statement_restore(statement=card, actor=facilitator)
    statement_restore(statement=card, actor=facilitator)  # not hidden: nothing changes
    assert recorded() == [
        (
            "hidden",
            "statement",
            card.pk,
            facilitator.pk,
            None,
            {"hidden_reason": ["", "Off topic"]},
        ),
        (
            "restored",
            "statement",
            card.pk,
            facilitator.pk,
            None,
            {"hidden_reason": ["Off topic", ""]},
        ),
    ]


def test_a_note_save_records_the_revision_not_its_text(session, facilitator, staff_user):
    first = note_save(session=session, author=facilitator, text="Long notes", based_on=None)
    note_save(session=session, author=facilitator, text="Long notes", based_on=1)  # unchanged
    second = note_save(session=session, author=facilitator, text="Longer notes", based_on=1)
    third = note_save(session=session, author=staff_user, text="Other notes", based_on=1)
    assert recorded() == [
        ("created", "note", first.revision.pk, facilitator.pk, None, {"revision": [None, 1]}),
        (
            "created",
            "note",
            second.revision.pk,
            facilitator.pk,
            None,
            {"revision": [None, 2], "based_on": [None, 1]},
        ),
        (
            "created",
            "note",
            third.revision.pk,
            staff_user.pk,
            None,
            {"revision": [None, 3], "based_on": [None, 1], "conflict_with": [None, 2]},
        ),
    ]


# --- Who is named: through the pages people use -----------------------------------------------


def test_a_participants_card_is_theirs_and_a_facilitators_move_is_the_users(
    client, session, participant, facilitator
):
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    client.post(
        reverse("responses:statement_create", args=[session.join_code]),
        {"text": "Answer faster", "use": "", "idempotency_key": str(uuid.uuid4())},
    )
    card = session.statements.get()
    category = CategoryFactory(session=session, reference_number=1, name="Speed")
    client.force_login(facilitator)
    client.post(
        reverse("facilitation:statements_move", args=[session.workshop_id, session.pk]),
        {"statement": card.pk, "category": category.pk},
    )
    assert [
        (e.action, e.actor_id, e.actor_participant_id) for e in AuditEvent.objects.order_by("pk")
    ] == [
        ("created", None, participant.pk),
        ("moved", facilitator.pk, None),
    ]


# --- The history page -------------------------------------------------------------------------


def test_history_names_a_participant_by_reference_never_by_name(client, session, facilitator):
    named = consenting_participant(
        workshop=session.workshop, name="Dana Whitfield", email="dana@example.org"
    )
    statement_submit(
        session=session, participant=named, text="Faster answers", idempotency_key=uuid.uuid4()
    )
    client.force_login(facilitator)
    response = client.get(history_url(session.workshop))
    html = response.content.decode()
    assert f"Participant {named.reference}" in html
    assert "Dana" not in html
    assert "dana@example.org" not in html
    assert "Faster answers" in html


def test_history_lists_newest_first_with_who_what_and_changes(client, session, facilitator):
    facilitator.first_name, facilitator.last_name = "Sam", "Okafor"
    facilitator.save()
    category = category_create(session=session, actor=facilitator, name="<b>Cost</b>")
    statement_hide(statement=StatementFactory(session=session), actor=facilitator, reason="Dup")
    client.force_login(facilitator)
    response = client.get(history_url(session.workshop))
    rows = response.context["rows"]
    assert [(event.action, event.target) for event, _record, _lines, _link in rows] == [
        ("hidden", "statement"),
        ("created", "category"),
    ]
    event, record, lines, link = rows[1]
    assert record == f"Category {category.pk}"
    assert event.target_id == category.pk
    assert [(line.label, line.before, line.after) for line in lines] == [
        ("Reference number", None, "1"),
        ("Name", None, "<b>Cost</b>"),
    ]
    assert link == reverse(
        "facilitation:session_clustering", args=[session.workshop_id, session.pk]
    )
    html = response.content.decode()
    assert "Sam Okafor" in html
    assert "&lt;b&gt;Cost&lt;/b&gt;" in html
    assert "<b>Cost</b>" not in html
    local = timezone.localtime(event.created_at)
    assert f'<time datetime="{local:%Y-%m-%dT%H:%M:%S%z}">' in html


def test_history_filters_by_session_and_record_type(client, session, facilitator):
    other = PlenarySessionFactory(workshop=session.workshop, title="Concerns")
    category_create(session=session, actor=facilitator, name="Cost")
    note_save(session=other, author=facilitator, text="Notes", based_on=None)
    card_enter(session=other, actor=facilitator, text="Card", idempotency_key=uuid.uuid4())
    client.force_login(facilitator)

    def shown(**query):
        response = client.get(history_url(session.workshop, **query))
        return [(e.session_id, e.target) for e, _record, _lines, _link in response.context["rows"]]

    assert shown() == [(other.pk, "statement"), (other.pk, "note"), (session.pk, "category")]
    assert shown(session=other.pk) == [(other.pk, "statement"), (other.pk, "note")]
    assert shown(target="note") == [(other.pk, "note")]
    assert shown(session=session.pk, target="note") == []
    # A value that is not a choice shows the form's error and every event.
    assert len(shown(target="nonsense")) == 3


def test_history_of_another_workshop_is_not_found(client, session, other_facilitator):
    audit_record(workshop=session.workshop, action="changed", target="workshop", target_id=1)
    client.force_login(other_facilitator)
    assert client.get(history_url(session.workshop)).status_code == 404


def test_history_pages_keep_the_filters(client, session, facilitator):
    audit_record_many(
        workshop=session.workshop,
        session=session,
        actor=facilitator,
        action="moved",
        target="statement",
        changes_by_id={n: {} for n in range(1, HISTORY_PER_PAGE + 2)},
    )
    client.force_login(facilitator)
    response = client.get(history_url(session.workshop, target="statement", page=2))
    assert len(response.context["rows"]) == 1
    html = response.content.decode()
    assert "?target=statement&amp;page=1" in html
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2</a>' in html


@pytest.mark.parametrize("count", [1, 30, 3 * HISTORY_PER_PAGE])
def test_history_query_count_does_not_grow_with_events(
    client, session, facilitator, django_assert_num_queries, count
):
    participant = ParticipantFactory(workshop=session.workshop)
    for n in range(count):
        # Alternate actors, so the page joins both users and participants.
        audit_record(
            workshop=session.workshop,
            session=session,
            actor=facilitator if n % 2 else None,
            participant=None if n % 2 else participant,
            action="changed",
            target="statement",
            target_id=n + 1,
            changes={"text": ["Before", "After"]},
        )
    client.force_login(facilitator)
    # session, user, groups, workshop, the event count, the events, the session choices
    with django_assert_num_queries(7):
        response = client.get(history_url(session.workshop))
    assert len(response.context["rows"]) == min(count, HISTORY_PER_PAGE)


def test_workshop_page_links_to_its_history(client, session, facilitator):
    client.force_login(facilitator)
    response = client.get(session.workshop.get_absolute_url())
    assert f'href="{history_url(session.workshop)}"'.encode() in response.content


def test_history_is_read_only_in_the_admin(client, session, staff_user):
    event = audit_record(
        workshop=session.workshop, action="changed", target="workshop", target_id=5
    )
    client.force_login(staff_user)
    changelist = reverse("admin:workshop_sessions_auditevent_changelist")
    assert client.get(changelist + "?q=5").status_code == 200
    assert client.get(changelist + "?q=five").status_code == 200
    assert client.get(reverse("admin:workshop_sessions_auditevent_add")).status_code == 403
    change = reverse("admin:workshop_sessions_auditevent_change", args=[event.pk])
    assert b'name="_save"' not in client.get(change).content
    delete = reverse("admin:workshop_sessions_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
