"""The clustering page at a live room's scale, and moving and merging by category number.

Every statement has one small number box tied to the page's ONE list of the categories; the
security review found the page at 8.4 MB when each statement carried a list of every category.
"""

import datetime as dt
import html as entities
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from responses.facilitation import FacilitationRefused, statements_sort
from responses.models import Category, Statement
from tests.factories import (
    CategoryFactory,
    DotFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def url(name, session, query=""):
    path = reverse(f"facilitation:{name}", args=[session.workshop_id, session.pk])
    return path + query


@pytest.fixture
def mine(client, facilitator):
    client.force_login(facilitator)
    workshop = WorkshopFactory(facilitators=[facilitator])
    return PlenarySessionFactory(workshop=workshop, position=1, phase="clustering")


@pytest.fixture
def categories(mine):
    """Categories numbered 1, 2 and 4 (a gap), by number."""
    return {
        number: CategoryFactory(session=mine, reference_number=number, name=name)
        for number, name in [(1, "Resources"), (2, "Staff time"), (4, "Security")]
    }


@pytest.fixture
def statements(mine):
    """Three uncategorised statements, in this order on the page."""
    start = timezone.now()
    return [
        StatementFactory(session=mine, text=text, created_at=start + dt.timedelta(seconds=n))
        for n, text in enumerate(["Cheaper outreach", "Recruit younger staff", "Who approves?"])
    ]


def placed(statements):
    return [
        Statement.objects.get(pk=s.pk).category and Statement.objects.get(pk=s.pk).category.name
        for s in statements
    ]


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- The page at scale -------------------------------------------------------------------------


def big_board(session, statements: int, categories: int) -> None:
    made = Category.objects.bulk_create(
        Category(session=session, reference_number=n, name=f"Category {n}: tone and trust")
        for n in range(1, categories + 1)
    )
    start = timezone.now()
    text = "Answer residents' questions where they already ask them, in plain words (E) " * 2
    Statement.objects.bulk_create(
        Statement(
            session=session,
            category=made[n % categories] if n < statements * 4 // 5 else None,
            text=f"{n}. {text[:140]}",
            created_at=start + dt.timedelta(seconds=n),
        )
        for n in range(statements)
    )


def test_clustering_page_with_1000_statements_and_100_categories_stays_light(
    client, mine, django_assert_num_queries
):
    big_board(mine, statements=1000, categories=100)
    # session (+workshop), auth and session, the board's statements and categories, the paper
    # dot totals: the same 7 as for one statement.
    with django_assert_num_queries(7):
        response = client.get(url("session_clustering", mine))
    html = response.content.decode()
    assert response.status_code == 200
    # ONE list of the categories (and Uncategorised) for every box, instead of 110,900 options.
    assert html.count("<option") == 100 + 1
    assert len(re.findall(r'<datalist id="category-numbers">', html)) == 1
    assert html.count('list="category-numbers"') == 1000
    # A form per list (uncategorised and each category), not per statement; the page's own five:
    # sign out, new category, renumber, hide, paper dot totals, the suggestions' switch.
    assert html.count("<form") == 1 + 100 + 6
    # Real <label>s only where few: the paper dot totals (one per category), the new category's
    # two boxes, the hide reason and the paper note.
    assert html.count("<label") == 100 + 4
    # Each statement (here 150 characters long) with its controls in about a kilobyte: 0.99 MB
    # when this was written, 10.3 MB with the lists of every category.
    assert len(response.content) < 1_050_000


def test_a_list_longer_than_a_form_may_post_is_split_into_forms(client, mine, monkeypatch):
    monkeypatch.setattr("responses.facilitator_views.MOVE_GROUP_SIZE", 2)
    StatementFactory.create_batch(5, session=mine)
    html = client.get(url("session_clustering", mine)).content.decode()
    groups = re.findall(r'<form [^>]*class="move-group">(.*?)</form>', html, re.S)
    assert [group.count('class="move-box') for group in groups] == [2, 2, 1]


def test_editing_or_hiding_costs_no_query(
    client, mine, categories, statements, django_assert_num_queries
):
    for query in [f"?edit={categories[1].pk}", f"?hide={statements[0].pk}"]:
        with django_assert_num_queries(7):
            client.get(url("session_clustering", mine, query))


# --- Moving by number --------------------------------------------------------------------------


def test_moving_by_number_goes_back_to_the_next_statement(client, mine, categories, statements):
    response = client.post(
        url("statements_move", mine),
        {
            f"to-{statements[0].pk}": "2",
            f"to-{statements[1].pk}": "",
            "statement": statements[0].pk,
        },
    )
    assert placed(statements) == ["Staff time", None, None]
    # Back at the next statement, its number box ready for the next number.
    assert response["Location"] == url("session_clustering", mine, f"?next={statements[1].pk}")
    page = client.get(response["Location"])
    assert messages_of(page) == ["Moved “Cheaper outreach” to 2. Staff time."]
    focused = re.findall(r'<input [^>]*name="to-(\d+)"[^>]*autofocus', page.content.decode())
    assert focused == [str(statements[1].pk)]


def test_enter_in_any_box_moves_what_was_typed_not_the_first_statement(
    client, mine, categories, statements
):
    # Enter presses the list's first Move button; the second box holds the number.
    client.post(
        url("statements_move", mine),
        {
            f"to-{statements[0].pk}": "",
            f"to-{statements[1].pk}": " 4 ",
            "statement": statements[0].pk,
        },
    )
    assert placed(statements) == [None, "Security", None]


def test_several_boxes_move_together_each_to_its_category(client, mine, categories, statements):
    response = client.post(
        url("statements_move", mine),
        {
            f"to-{statements[0].pk}": "1",
            f"to-{statements[1].pk}": "2",
            f"to-{statements[2].pk}": "",
            "statement": statements[0].pk,
        },
        follow=True,
    )
    assert placed(statements) == ["Resources", "Staff time", None]
    assert messages_of(response) == ["Moved 2 statements to 1. Resources and 2. Staff time."]
    assert response.redirect_chain[-1][0].endswith(f"?next={statements[2].pk}")


def test_zero_returns_a_statement_to_uncategorised(client, mine, categories, statements):
    statements[0].category = categories[1]
    statements[0].save()
    response = client.post(
        url("statements_move", mine),
        {f"to-{statements[0].pk}": "0", "statement": statements[0].pk},
        follow=True,
    )
    assert placed(statements) == [None, None, None]
    assert messages_of(response) == ["Moved “Cheaper outreach” to Uncategorised."]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("3", "There is no category 3 in this session."),
        (
            "12b",
            "“12b” is not a category number: type the number shown before a category's name, "
            "or 0 for Uncategorised.",
        ),
        (
            "Staff time",
            "“Staff time” is not a category number: type the number shown before a "
            "category's name, or 0 for Uncategorised.",
        ),
        (
            "-1",
            "“-1” is not a category number: type the number shown before a category's name, "
            "or 0 for Uncategorised.",
        ),
        (
            "99999999",
            "“99999999” is not a category number: type the number shown before a "
            "category's name, or 0 for Uncategorised.",
        ),
    ],
)
def test_a_wrong_number_leaves_its_statement_and_is_shown_beside_its_box(
    client, mine, categories, statements, typed, error
):
    response = client.post(
        url("statements_move", mine),
        {
            f"to-{statements[0].pk}": "2",
            f"to-{statements[1].pk}": typed,
            f"to-{statements[2].pk}": "",
            "statement": statements[0].pk,
        },
    )
    assert placed(statements) == ["Staff time", None, None]  # the right number still counts
    assert response["Location"] == url("session_clustering", mine)  # the wrong box is focused
    page = client.get(response["Location"])
    assert messages_of(page) == [
        "Moved “Cheaper outreach” to 2. Staff time.",
        f"“Recruit younger staff” was not moved: {error}",
    ]
    html = page.content.decode()
    wrong = re.search(rf'<input [^>]*name="to-{statements[1].pk}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in wrong and "autofocus" in wrong
    assert "value=" not in wrong  # empty: what was typed is quoted in the message
    assert entities.unescape(
        f'<p class="invalid-feedback d-block mb-0" id="move-{statements[1].pk}-error">{error}</p>'
    ) in entities.unescape(html)
    # Shown once: the next visit is a clean page.
    again = client.get(url("session_clustering", mine)).content.decode()
    assert "aria-invalid" not in again and "is-invalid" not in again


def test_a_number_of_another_sessions_category_is_not_one_of_this_session(
    client, mine, categories, statements
):
    elsewhere = CategoryFactory(
        session=PlenarySessionFactory(workshop=mine.workshop), reference_number=7
    )
    response = client.post(
        url("statements_move", mine),
        {f"to-{statements[0].pk}": "7", "statement": statements[0].pk},
        follow=True,
    )
    assert placed(statements) == [None, None, None]
    assert elsewhere.statements.count() == 0
    assert messages_of(response) == [
        "“Cheaper outreach” was not moved: There is no category 7 in this session."
    ]


def test_an_empty_box_asks_for_a_number(client, mine, statements):
    response = client.post(
        url("statements_move", mine),
        {f"to-{statements[0].pk}": "  ", "statement": statements[0].pk},
        follow=True,
    )
    assert messages_of(response) == [
        "“Cheaper outreach” was not moved: Type the number of a category, or 0 for Uncategorised."
    ]
    html = response.content.decode()
    assert re.search(rf'<input [^>]*name="to-{statements[0].pk}"[^>]*aria-invalid="true"', html)


def test_a_statement_of_another_session_is_refused(client, mine, categories, statements):
    foreign = StatementFactory()
    response = client.post(
        url("statements_move", mine),
        {f"to-{foreign.pk}": "1", "statement": foreign.pk},
        follow=True,
    )
    assert messages_of(response) == ["Some of those statements are not in this session."]
    assert Statement.objects.get(pk=foreign.pk).category is None


def test_a_statement_that_is_no_id_is_refused(client, mine, categories, statements):
    response = client.post(
        url("statements_move", mine), {"statement": "x", "category": ""}, follow=True
    )
    assert messages_of(response) == ["That statement is not in this session."]
    assert placed(statements) == [None, None, None]


def test_a_category_id_from_a_page_loaded_before_the_numbers_still_moves(
    client, mine, categories, statements
):
    response = client.post(
        url("statements_move", mine),
        {"statement": statements[0].pk, "category": categories[4].pk},
        follow=True,
    )
    assert placed(statements) == ["Security", None, None]
    assert messages_of(response) == ["Moved “Cheaper outreach” to 4. Security."]
    elsewhere = CategoryFactory(session=PlenarySessionFactory(workshop=mine.workshop))
    response = client.post(
        url("statements_move", mine),
        {"statement": statements[1].pk, "category": elsewhere.pk},
        follow=True,
    )
    assert messages_of(response) == ["That category is not in this session."]
    assert placed(statements) == ["Security", None, None]


def test_statements_sort_moves_all_or_none(mine, categories, statements):
    foreign = CategoryFactory()
    with pytest.raises(FacilitationRefused, match="That category is not in this session"):
        statements_sort(
            session=mine,
            actor=None,
            moves={statements[0].pk: categories[1].pk, statements[1].pk: foreign.pk},
        )
    assert placed(statements) == [None, None, None]
    moved = statements_sort(
        session=mine,
        actor=None,
        moves={statements[0].pk: categories[1].pk, statements[1].pk: None},
    )
    assert (moved, placed(statements)) == (2, ["Resources", None, None])


# --- Merging by number ---------------------------------------------------------------------------


def test_merging_by_number(client, mine, categories, statements):
    statements[0].category = categories[2]
    statements[0].save()
    response = client.post(
        url("category_merge", mine), {"category": categories[2].pk, "into_number": "4"}, follow=True
    )
    assert placed(statements) == ["Security", None, None]
    assert not Category.objects.filter(pk=categories[2].pk).exists()
    assert messages_of(response) == ["Merged “Staff time” into 4. Security: 1 statement moved."]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("3", "There is no category 3 in this session."),
        ("", "Type the number of the category to merge into."),
        (
            "0",
            "A category cannot be merged into Uncategorised. To send its statements back there, "
            "remove the category.",
        ),
        (
            "x",
            "“x” is not a category number: type the number shown before the name of the "
            "category to merge into.",
        ),
        ("2", "Choose another category to merge into."),
    ],
)
def test_a_refused_merge_reopens_the_editor_with_the_reason_and_what_was_typed(
    client, mine, categories, typed, error
):
    response = client.post(
        url("category_merge", mine), {"category": categories[2].pk, "into_number": typed}
    )
    assert response["Location"] == url("session_clustering", mine)  # the editor opens on it
    page = client.get(response["Location"])
    assert messages_of(page) == [error]
    html = page.content.decode()
    box = re.search(r'<input [^>]*name="into_number"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in box and "autofocus" in box
    assert (f'value="{typed}"' in box) == bool(typed)
    assert Category.objects.filter(session=mine).count() == 3


def test_merging_into_another_sessions_category_by_id_is_refused(client, mine, categories):
    elsewhere = CategoryFactory(session=PlenarySessionFactory(workshop=mine.workshop))
    response = client.post(
        url("category_merge", mine),
        {"category": categories[2].pk, "into": elsewhere.pk},
        follow=True,
    )
    assert messages_of(response) == ["That category is not in this session."]
    assert Category.objects.filter(session=mine).count() == 3


def test_a_category_with_dots_is_not_merged(client, mine, categories):
    DotFactory(category=categories[2])
    response = client.post(
        url("category_merge", mine), {"category": categories[2].pk, "into_number": "1"}, follow=True
    )
    assert messages_of(response) == [
        "“Staff time” already has dots or was presented to another workshop, so it stays."
    ]


# --- One editor and one hide form at a time ------------------------------------------------------


def test_the_editor_opens_for_one_category_with_tick_boxes_for_its_statements(
    client, mine, categories, statements
):
    statements[0].category = categories[2]
    statements[0].save()
    plain = client.get(url("session_clustering", mine)).content.decode()
    assert 'type="checkbox"' not in plain and 'name="into_number"' not in plain
    html = client.get(url("session_clustering", mine, f"?edit={categories[2].pk}")).content.decode()
    assert re.findall(
        r'<input class="form-check-input" type="checkbox" [^>]*id="tick-(\d+)"', html
    ) == [str(statements[0].pk)]
    assert f'<label class="form-check-label statement-text" for="tick-{statements[0].pk}">' in html
    assert html.count('name="into_number"') == 1
    assert re.search(r'<input [^>]*id="name-\d+"[^>]*autofocus', html)


def test_hiding_shows_the_one_hide_form_for_that_statement(client, mine, statements):
    html = client.get(url("session_clustering", mine, f"?hide={statements[1].pk}")).content.decode()
    form = re.search(r'<form [^>]*id="hide-form">(.*?)</form>', html, re.S).group(1)
    assert f'<input type="hidden" name="statement" value="{statements[1].pk}">' in form
    panel = re.search(r'<div id="hide-panel"[^>]*>(.*?)</div>\n</div>', html, re.S)
    assert "hidden" not in panel.group(0).split(">")[0]
    assert "Hide “Recruit younger staff”" in entities.unescape(panel.group(1))
    assert re.search(r'<input [^>]*form="hide-form" id="hide-reason"[^>]*autofocus', html)
    response = client.post(
        url("statement_hide", mine), {"statement": statements[1].pk, "reason": "Duplicate"}
    )
    assert response["Location"] == url("session_clustering", mine, f"?next={statements[2].pk}")
    assert Statement.objects.get(pk=statements[1].pk).hidden
    plain = client.get(url("session_clustering", mine)).content.decode()
    assert '<div id="hide-panel" class="card card-body mb-4" hidden>' in plain


def test_a_hide_without_a_reason_reopens_the_hide_form(client, mine, statements):
    response = client.post(
        url("statement_hide", mine), {"statement": statements[0].pk, "reason": " "}
    )
    assert response["Location"] == url("session_clustering", mine, f"?hide={statements[0].pk}")
