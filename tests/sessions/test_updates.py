"""model_update: one way to change a record's fields, and to record the change in the history."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from responses.models import AgencyProject, Statement
from sessions.models import AuditEvent
from sessions.updates import model_update, model_update_audited
from tests.factories import AgencyProjectFactory, StatementFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.make_aware(dt.datetime(2009, 10, 20, 9, 0))


def test_model_update_saves_only_the_changed_fields_and_returns_them():
    statement = StatementFactory(text="Old", use="E")
    Statement.objects.filter(pk=statement.pk).update(updated_at=LONG_AGO)

    with CaptureQueriesContext(connection) as queries:
        changes = model_update(instance=statement, fields={"text": "New", "use": "E"})

    assert changes == {"text": ["Old", "New"]}
    [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"text"' in update and '"updated_at"' in update and '"use"' not in update
    stored = Statement.objects.get(pk=statement.pk)
    assert (stored.text, stored.use) == ("New", "E")
    assert stored.updated_at > LONG_AGO  # auto_now fields go along with a change


def test_model_update_writes_nothing_when_nothing_changed(django_assert_num_queries):
    statement = StatementFactory(text="Same", use="")
    with django_assert_num_queries(0):
        changes = model_update(instance=statement, fields={"text": "Same", "use": ""})
    assert changes == {}


def test_model_update_compares_a_foreign_key_by_its_id(facilitator, django_assert_num_queries):
    project = AgencyProjectFactory()
    project = AgencyProject.objects.get(pk=project.pk)  # no related row loaded

    with django_assert_num_queries(1):  # the update only: no query to load the reviewer
        changes = model_update(instance=project, fields={"reviewed_by": facilitator})

    assert changes == {"reviewed_by": [None, facilitator.pk]}
    assert project.reviewed_by == facilitator
    assert AgencyProject.objects.get(pk=project.pk).reviewed_by_id == facilitator.pk


def test_model_update_refuses_what_is_not_a_column():
    project = AgencyProjectFactory()
    with pytest.raises(ValueError, match="not a column"):
        model_update(instance=project.workshop, fields={"facilitators": []})


def test_model_update_audited_records_only_the_named_fields(facilitator):
    statement = StatementFactory()
    workshop = statement.session.workshop

    changes = model_update_audited(
        instance=statement,
        fields={"hidden": True, "hidden_reason": "Off topic"},
        recorded={"hidden_reason"},
        workshop=workshop,
        session=statement.session,
        actor=facilitator,
        action="hidden",
        target="statement",
    )

    assert changes == {"hidden_reason": ["", "Off topic"]}
    assert [
        (e.action, e.target, e.target_id, e.actor_id, e.session_id, e.changes)
        for e in AuditEvent.objects.all()
    ] == [
        (
            "hidden",
            "statement",
            statement.pk,
            facilitator.pk,
            statement.session_id,
            {"hidden_reason": ["", "Off topic"]},
        )
    ]
    assert Statement.objects.get(pk=statement.pk).hidden is True


def test_model_update_audited_records_nothing_when_no_recorded_field_changed(facilitator):
    statement = StatementFactory(text="Same", use="")
    changes = model_update_audited(
        instance=statement,
        fields={"text": "Same", "use": "E"},
        recorded={"text"},
        workshop=statement.session.workshop,
        actor=facilitator,
        action="changed",
        target="statement",
    )
    assert changes == {}
    assert not AuditEvent.objects.exists()
    assert Statement.objects.get(pk=statement.pk).use == "E"  # the change is still saved
