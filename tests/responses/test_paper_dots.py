"""Paper dot totals: dots counted on a paper wall chart, recorded per category by facilitators."""

import pytest
from django.urls import reverse

from responses.facilitation import FacilitationRefused, paper_dots_record
from responses.models import PaperDotTally
from sessions.models import AuditEvent
from tests.factories import CategoryFactory, DotFactory, PlenarySessionFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(facilitator):
    session = PlenarySessionFactory(
        workshop=WorkshopFactory(facilitators=[facilitator]), phase="closed", purpose="concerns"
    )
    for number, name in enumerate(["Resources", "Security", "Governance"], start=1):
        CategoryFactory(session=session, reference_number=number, name=name)
    return session


def category(session, name):
    return session.categories.get(name=name)


def tallies(session):
    return sorted(
        PaperDotTally.objects.filter(session=session).values_list("category__name", "count", "note")
    )


def test_record_creates_updates_and_removes_totals(session, facilitator):
    resources, security, governance = (
        category(session, name) for name in ["Resources", "Security", "Governance"]
    )
    created = paper_dots_record(
        session=session,
        totals={resources.pk: 12, security.pk: 0},
        note="  Counted by   the facilitator ",
        actor=facilitator,
    )
    assert created == 2
    assert tallies(session) == [
        ("Resources", 12, "Counted by the facilitator"),
        ("Security", 0, "Counted by the facilitator"),
    ]

    changed = paper_dots_record(
        session=session,
        totals={resources.pk: 15, security.pk: None, governance.pk: 4},
        note="Recounted",
        actor=facilitator,
    )
    assert changed == 3
    assert tallies(session) == [("Governance", 4, "Recounted"), ("Resources", 15, "Recounted")]

    events = AuditEvent.objects.filter(target=AuditEvent.Target.PAPER_DOTS).order_by("pk")
    assert [(e.action, e.actor, e.changes) for e in events][-3:] == [
        ("created", facilitator, {"category": [None, "3. Governance"], "count": [None, 4],
                                  "note": [None, "Recounted"]}),
        ("changed", facilitator, {"category": [None, "1. Resources"], "count": [12, 15],
                                  "note": ["Counted by the facilitator", "Recounted"]}),
        ("deleted", facilitator, {"category": ["2. Security", None], "count": [0, None],
                                  "note": ["Counted by the facilitator", None]}),
    ]  # fmt: skip


def test_record_leaves_unchanged_totals_alone(session, facilitator):
    resources = category(session, "Resources")
    paper_dots_record(session=session, totals={resources.pk: 5}, note="", actor=facilitator)
    recorded_at = PaperDotTally.objects.get().recorded_at
    again = paper_dots_record(session=session, totals={resources.pk: 5}, note="", actor=facilitator)
    assert again == 0
    assert PaperDotTally.objects.get().recorded_at == recorded_at


def test_record_refuses_another_sessions_category_and_saves_nothing(session, facilitator):
    other = CategoryFactory(name="Elsewhere")
    with pytest.raises(FacilitationRefused, match=r"That category is not in this session\."):
        paper_dots_record(
            session=session,
            totals={category(session, "Resources").pk: 3, other.pk: 9},
            note="",
            actor=facilitator,
        )
    assert not PaperDotTally.objects.exists()


@pytest.mark.parametrize("count", [-1, 100001])
def test_record_refuses_a_total_out_of_range(session, facilitator, count):
    with pytest.raises(FacilitationRefused, match="whole number from 0 to 100000"):
        paper_dots_record(
            session=session,
            totals={category(session, "Resources").pk: count},
            note="",
            actor=facilitator,
        )
    assert not PaperDotTally.objects.exists()


def save_url(session):
    return reverse("facilitation:paper_dots_save", args=[session.workshop_id, session.pk])


def clustering_url(session):
    return reverse("facilitation:session_clustering", args=[session.workshop_id, session.pk])


def test_clustering_page_lists_each_category_with_its_paper_total(client, facilitator, session):
    resources = category(session, "Resources")
    DotFactory.create_batch(2, category=resources)
    PaperDotTally.objects.create(session=session, category=resources, count=9, note="Wall chart")
    client.force_login(facilitator)
    response = client.get(clustering_url(session))
    assert response.status_code == 200
    rows = [(c.name, dots, field.value()) for c, field, dots in response.context["paper_rows"]]
    assert rows == [("Resources", 2, 9), ("Security", 0, None), ("Governance", 0, None)]
    page = response.content.decode()
    assert f'<label for="id_paper_{resources.pk}">1. Resources</label>' in page
    assert 'value="Wall chart"' in page


def test_saving_paper_totals_redirects_back_with_the_values_saved(client, facilitator, session):
    resources, security, governance = (
        category(session, name) for name in ["Resources", "Security", "Governance"]
    )
    PaperDotTally.objects.create(session=session, category=governance, count=1)
    client.force_login(facilitator)
    response = client.post(
        save_url(session),
        {
            f"paper_{resources.pk}": " 14 ",
            f"paper_{security.pk}": "0",
            f"paper_{governance.pk}": "",
            "note": "Counted by two facilitators",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == clustering_url(session) + "#paper-dots"
    assert tallies(session) == [
        ("Resources", 14, "Counted by two facilitators"),
        ("Security", 0, "Counted by two facilitators"),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Paper dot totals saved (3 changed)." in page


def test_a_category_missing_from_the_form_keeps_its_total(client, facilitator, session):
    security = category(session, "Security")
    PaperDotTally.objects.create(session=session, category=security, count=6)
    client.force_login(facilitator)
    client.post(save_url(session), {f"paper_{category(session, 'Resources').pk}": "2"})
    assert tallies(session) == [("Resources", 2, ""), ("Security", 6, "")]


@pytest.mark.parametrize("typed", ["-3", "100001", "twelve", "1.5"])
def test_a_wrong_total_is_explained_and_what_was_typed_is_kept(client, facilitator, session, typed):
    resources, security = category(session, "Resources"), category(session, "Security")
    client.force_login(facilitator)
    response = client.post(
        save_url(session),
        {f"paper_{resources.pk}": typed, f"paper_{security.pk}": "8", "note": "Wall chart"},
    )
    assert response.status_code == 400
    assert not PaperDotTally.objects.exists()
    form = response.context["paper_form"]
    assert form.errors == {
        f"paper_{resources.pk}": [
            "Paper dots for “Resources”: enter a whole number from 0 to 100,000, "
            "or leave it blank for none."
        ]
    }
    page = response.content.decode()
    assert f'value="{typed}"' in page
    assert 'value="8"' in page and 'value="Wall chart"' in page
    assert f'aria-invalid="true" aria-describedby="id_paper_{resources.pk}_error"' in page
    assert "The totals were not saved." in page


def test_another_workshops_facilitator_cannot_save_totals(client, other_facilitator, session):
    client.force_login(other_facilitator)
    response = client.post(save_url(session), {f"paper_{category(session, 'Resources').pk}": "3"})
    assert response.status_code == 404
    assert not PaperDotTally.objects.exists()


def test_a_category_of_another_session_cannot_be_slipped_in(client, facilitator, session):
    other = CategoryFactory(name="Elsewhere")
    client.force_login(facilitator)
    client.post(save_url(session), {f"paper_{other.pk}": "3"})
    assert not PaperDotTally.objects.exists()


def test_paper_totals_cannot_be_saved_with_a_get(client, facilitator, session):
    client.force_login(facilitator)
    assert client.get(save_url(session)).status_code == 405


def test_changing_one_total_keeps_the_other_totals_notes(session, facilitator):
    resources, security = category(session, "Resources"), category(session, "Security")
    PaperDotTally.objects.create(session=session, category=resources, count=5, note="Chart A")
    PaperDotTally.objects.create(session=session, category=security, count=3, note="Chart B")

    changed = paper_dots_record(
        session=session,
        totals={resources.pk: 6, security.pk: 3},
        note="Recounted",
        actor=facilitator,
    )
    after_one = tallies(session)
    note_only = paper_dots_record(
        session=session, totals={resources.pk: 6, security.pk: 3}, note="Both charts", actor=None
    )

    assert changed == 1
    assert after_one == [("Resources", 6, "Recounted"), ("Security", 3, "Chart B")]
    assert note_only == 2
    assert tallies(session) == [("Resources", 6, "Both charts"), ("Security", 3, "Both charts")]
