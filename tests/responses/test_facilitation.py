import uuid

import pytest

from responses.facilitation import (
    FacilitationRefused,
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
from responses.models import Category, Statement
from tests.factories import (
    CategoryFactory,
    DotFactory,
    PlenarySessionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def names(session):
    return list(
        session.categories.order_by("reference_number").values_list("reference_number", "name")
    )


def test_paper_card_is_stored_once_per_form(collecting_session):
    key = uuid.uuid4()
    first = card_enter(
        session=collecting_session, actor=None, text=" Cost savings ", use="E", idempotency_key=key
    )
    again = card_enter(
        session=collecting_session, actor=None, text=" Cost savings ", use="E", idempotency_key=key
    )
    assert (first.created, again.created) == (True, False)
    stored = Statement.objects.get()
    assert (stored.text, stored.use, stored.source, stored.participant) == (
        "Cost savings",
        "E",
        "card",
        None,
    )


def test_categories_are_numbered_in_order_and_names_are_unique(collecting_session):
    category_create(session=collecting_session, actor=None, name="Resources")
    category_create(session=collecting_session, actor=None, name="  Legal   and regulatory ")
    with pytest.raises(FacilitationRefused, match="already a category called “resources”"):
        category_create(session=collecting_session, actor=None, name="resources")
    assert names(collecting_session) == [(1, "Resources"), (2, "Legal and regulatory")]


def test_renumbering_a_category_swaps_with_the_holder_of_that_number(collecting_session):
    first = category_create(session=collecting_session, actor=None, name="Resources")
    second = category_create(session=collecting_session, actor=None, name="Security")
    category_update(
        category=second,
        actor=None,
        reference_number=1,
        name="Security",
        description="Keeping accounts safe",
    )
    assert names(collecting_session) == [(1, "Security"), (2, "Resources")]
    assert Category.objects.get(pk=second.pk).description == "Keeping accounts safe"
    assert Category.objects.get(pk=first.pk).reference_number == 2


def test_statements_move_between_categories_and_back(collecting_session):
    category = category_create(session=collecting_session, actor=None, name="Resources")
    statements = StatementFactory.create_batch(3, session=collecting_session)
    ids = [s.pk for s in statements]
    assert (
        statements_categorise(
            session=collecting_session, actor=None, statement_ids=ids[:2], category_id=category.pk
        )
        == 2
    )
    assert set(category.statements.values_list("pk", flat=True)) == set(ids[:2])
    statements_categorise(
        session=collecting_session, actor=None, statement_ids=ids[:1], category_id=None
    )
    assert Statement.objects.get(pk=ids[0]).category is None


def test_statements_of_another_session_cannot_be_moved(collecting_session):
    category = category_create(session=collecting_session, actor=None, name="Resources")
    foreign = StatementFactory()
    with pytest.raises(FacilitationRefused):
        statements_categorise(
            session=collecting_session,
            actor=None,
            statement_ids=[foreign.pk],
            category_id=category.pk,
        )
    foreign.refresh_from_db()
    assert foreign.category is None


def test_merge_moves_statements_and_removes_the_emptied_category(collecting_session):
    keep = category_create(session=collecting_session, actor=None, name="Resources")
    gone = category_create(session=collecting_session, actor=None, name="Staff time")
    StatementFactory.create_batch(2, session=collecting_session, category=gone)
    StatementFactory(session=collecting_session, category=keep)
    category_merge(session=collecting_session, actor=None, source_id=gone.pk, target_id=keep.pk)
    assert keep.statements.count() == 3
    assert names(collecting_session) == [(1, "Resources")]


def test_merge_refuses_a_category_that_already_has_dots(collecting_session):
    keep = category_create(session=collecting_session, actor=None, name="Resources")
    voted = category_create(session=collecting_session, actor=None, name="Security")
    DotFactory(category=voted)
    with pytest.raises(FacilitationRefused, match="already has dots"):
        category_merge(
            session=collecting_session, actor=None, source_id=voted.pk, target_id=keep.pk
        )


def test_split_moves_ticked_statements_into_a_new_category(collecting_session):
    mixed = category_create(session=collecting_session, actor=None, name="Resources and security")
    _money, risk = (
        StatementFactory(session=collecting_session, category=mixed, text=t)
        for t in ("Money", "Risk")
    )
    new = category_split(
        session=collecting_session,
        actor=None,
        category_id=mixed.pk,
        statement_ids=[risk.pk],
        name="Security",
    )
    assert list(new.statements.values_list("text", flat=True)) == ["Risk"]
    assert list(mixed.statements.values_list("text", flat=True)) == ["Money"]
    assert new.reference_number == 2
    with pytest.raises(FacilitationRefused, match="Tick the statements"):
        category_split(
            session=collecting_session, actor=None, category_id=mixed.pk, statement_ids=[], name="X"
        )


def test_renumber_closes_gaps_after_merges(collecting_session):
    for name in ["A", "B", "C"]:
        category_create(session=collecting_session, actor=None, name=name)
    category_delete(
        session=collecting_session,
        actor=None,
        category_id=collecting_session.categories.get(name="B").pk,
    )
    categories_renumber(session=collecting_session, actor=None)
    assert names(collecting_session) == [(1, "A"), (2, "C")]


def test_a_ranking_session_takes_another_sessions_list_linked_to_it():
    state = PlenarySessionFactory(purpose="concerns")
    originals = [
        CategoryFactory(session=state, reference_number=n, name=name, description=f"About {name}")
        for n, name in enumerate(["Resources", "Security"], start=1)
    ]
    local = PlenarySessionFactory(purpose="concerns")
    presented = categories_present(session=local, actor=None, source=state)
    assert [(c.reference_number, c.name, c.description, c.presented_from) for c in presented] == [
        (1, "Resources", "About Resources", originals[0]),
        (2, "Security", "About Security", originals[1]),
    ]
    with pytest.raises(FacilitationRefused, match="already has categories"):
        categories_present(session=local, actor=None, source=state)


def test_hidden_statement_is_kept_with_its_reason_and_can_be_restored(collecting_session):
    statement = StatementFactory(session=collecting_session)
    with pytest.raises(FacilitationRefused, match="Say why"):
        statement_hide(statement=statement, actor=None, reason="   ")
    statement_hide(statement=statement, actor=None, reason="Off topic")
    statement.refresh_from_db()
    assert (statement.hidden, statement.hidden_reason) == (True, "Off topic")
    statement_restore(statement=statement, actor=None)
    statement.refresh_from_db()
    assert (statement.hidden, statement.hidden_reason) == (False, "")
