"""The live board's feed: 204 when unchanged, only the new cards when only cards arrived, the
whole board otherwise, and never a card skipped however many arrive between two polls."""

import html
import re

import pytest
from django.urls import reverse

from responses import facilitation, services
from responses.board import BOARD_DELTA_LIMIT, BOARD_KEEP, BOARD_STATEMENT_LIMIT
from responses.models import Statement
from sessions.services import session_phase_set, session_results_reveal
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

# The markup bench/burst.py relies on.
FEED = re.compile(r'id="board-feed"\s+data-hx-get="([^"]+)"')
CARD = re.compile(r'<li class="board-statement" data-statement="(\d+)">([^<]*)')
DELTA = '<ul data-hx-swap-oob="afterbegin:#board-statements">'
FULL = '<div id="board-live" data-hx-swap-oob="true" class="board-live'

# Every request of a signed-in facilitator: the sign-in session, the user, the user's groups,
# the session (with its workshop). The feed's own queries come on top.
REQUEST = 4


@pytest.fixture
def room(client, facilitator):
    client.force_login(facilitator)
    workshop = WorkshopFactory(facilitators=[facilitator])
    return PlenarySessionFactory(workshop=workshop, phase="collecting", position=1)


def board_url(session):
    return reverse("facilitation:session_board", args=[session.workshop_id, session.pk])


def feed_of(response) -> str:
    return html.unescape(FEED.search(response.content.decode()).group(1))


def cards_in(response) -> list[int]:
    return [int(pk) for pk, _ in CARD.findall(response.content.decode())]


def texts_in(response) -> list[str]:
    return [text for _, text in CARD.findall(response.content.decode())]


def cards(session, count: int) -> list[Statement]:
    return StatementFactory.create_batch(count, session=session)


def pks(statements) -> list[int]:
    return [statement.pk for statement in statements]


def test_page_shows_the_newest_cards_and_the_feed_it_polls(client, room):
    made = cards(room, BOARD_STATEMENT_LIMIT + 5)
    page = client.get(board_url(room))
    newest = made[-1].pk
    feed = reverse("facilitation:session_board_feed", args=[room.workshop_id, room.pk])
    assert feed_of(page).startswith(f"{feed}?since={newest}&v=")
    assert cards_in(page) == pks(reversed(made))[:BOARD_STATEMENT_LIMIT]
    assert f'class="board-statements list-unstyled" data-board-keep="{BOARD_KEEP}"' in (
        page.content.decode()
    )
    assert FULL not in page.content.decode()  # the page's own copy is swapped by nobody


@pytest.mark.parametrize("count", [1, 3])
def test_page_in_two_queries(client, room, django_assert_num_queries, count):
    made = cards(room, count)
    with django_assert_num_queries(REQUEST + 2):  # the state, the newest cards
        page = client.get(board_url(room))
    assert cards_in(page) == pks(reversed(made))


@pytest.mark.parametrize("count", [1, 3])
def test_unchanged_poll_answers_204_in_one_query(client, room, django_assert_num_queries, count):
    cards(room, count)
    feed = feed_of(client.get(board_url(room)))
    with django_assert_num_queries(REQUEST + 1):
        response = client.get(feed)
    assert response.status_code == 204
    assert response.content == b""


def test_unchanged_poll_with_revealed_tallies_adds_the_tallies_query(
    client, room, django_assert_num_queries
):
    room.phase = "voting"
    room.results_revealed = True
    room.save()
    DotFactory.create_batch(2, category=CategoryFactory(session=room, name="Security"))
    feed = feed_of(client.get(board_url(room)))
    with django_assert_num_queries(REQUEST + 2):  # the state, the tallies
        assert client.get(feed).status_code == 204


@pytest.mark.parametrize("count", [1, 3])
def test_delta_sends_only_the_new_cards_in_two_queries(
    client, room, django_assert_num_queries, count
):
    shown = cards(room, 2)
    feed = feed_of(client.get(board_url(room)))
    new = cards(room, count)
    with django_assert_num_queries(REQUEST + 2):  # the state, the new cards
        response = client.get(feed)
    content = response.content.decode()
    assert response.status_code == 200
    assert cards_in(response) == pks(reversed(new))
    assert DELTA in content
    assert FULL not in content
    assert 'id="board-statements"' not in content  # the list stays; the cards go to its top
    assert f"?since={new[-1].pk}&v=" in feed_of(response)
    assert f"{len(shown) + count} statements" in content
    assert client.get(feed_of(response)).status_code == 204


@pytest.mark.parametrize("count", [1, 3])
def test_full_render_in_three_queries(client, room, django_assert_num_queries, count):
    shown = cards(room, count)
    feed = feed_of(client.get(board_url(room)))
    statement = shown[0]
    statement.text = "Edited on the phone"
    statement.save()
    new = cards(room, 1)
    with django_assert_num_queries(REQUEST + 3):  # the state, the cards held, the new cards
        response = client.get(feed)
    assert FULL in response.content.decode()
    assert cards_in(response) == pks(reversed(shown + new))
    assert "Edited on the phone" in texts_in(response)


def test_300_cards_between_two_polls_all_reach_the_board(client, room):
    before = cards(room, 5)
    feed = feed_of(client.get(board_url(room)))
    burst = cards(room, 300)
    seen, answers = [], 0
    while (response := client.get(feed)).status_code == 200:
        answers += 1
        assert DELTA in response.content.decode()
        seen += cards_in(response)
        feed = feed_of(response)
    assert answers == 2  # 200, then the other 100
    assert len(cards_in(client.get(board_url(room)))) == BOARD_STATEMENT_LIMIT
    assert sorted(seen) == pks(burst)  # each new card once, none skipped
    assert not set(seen) & set(pks(before))


def test_cards_keep_arriving_through_a_full_render_and_none_is_skipped(client, room):
    before = cards(room, 5)
    feed = feed_of(client.get(board_url(room)))
    burst = cards(room, 300)
    first = client.get(feed)
    assert len(cards_in(first)) == BOARD_DELTA_LIMIT
    facilitation.statement_hide(statement=before[0], actor=None, reason="Duplicate")
    full = client.get(feed_of(first))
    content = full.content.decode()
    assert FULL in content
    held = pks(reversed(before[1:] + burst[:BOARD_DELTA_LIMIT]))[:BOARD_STATEMENT_LIMIT]
    # The next cards after what the board held, then the newest it held; the hidden one gone.
    assert cards_in(full) == pks(reversed(burst[BOARD_DELTA_LIMIT:])) + held
    assert client.get(feed_of(full)).status_code == 204
    assert set(cards_in(first)) | set(cards_in(full)) == set(pks(burst))


@pytest.mark.parametrize(
    "change",
    ["edit", "hide", "withdraw", "move", "restore"],
)
def test_a_change_to_a_card_the_board_holds_sends_the_whole_board(client, room, change):
    participant = ParticipantFactory(workshop=room.workshop)
    mine = StatementFactory(session=room, participant=participant, text="Before")
    hidden = StatementFactory(session=room, hidden=True, hidden_reason="Off topic", text="Back")
    others = cards(room, 2)
    feed = feed_of(client.get(board_url(room)))
    if change == "edit":
        services.statement_edit(
            session=room, participant=participant, pk=mine.pk, text="After", use="E"
        )
    elif change == "hide":
        facilitation.statement_hide(statement=mine, actor=None, reason="Duplicate")
    elif change == "withdraw":
        services.statement_withdraw(session=room, participant=participant, pk=mine.pk)
    elif change == "move":
        category = CategoryFactory(session=room)
        facilitation.statements_categorise(
            session=room, actor=None, statement_ids=[mine.pk], category_id=category.pk
        )
    else:
        facilitation.statement_restore(statement=hidden, actor=None)
    response = client.get(feed)
    assert response.status_code == 200
    assert FULL in response.content.decode()
    assert DELTA not in response.content.decode()
    expected = {
        "edit": [others[1].pk, others[0].pk, mine.pk],
        "hide": pks(reversed(others)),
        "withdraw": pks(reversed(others)),
        "move": [others[1].pk, others[0].pk, mine.pk],
        "restore": [others[1].pk, others[0].pk, hidden.pk, mine.pk],
    }[change]
    assert cards_in(response) == expected
    if change == "edit":
        edited = f'data-statement="{mine.pk}">After <span class="board-mark">(E)</span>'
        assert edited in response.content.decode()
    assert client.get(feed_of(response)).status_code == 204


def test_a_card_hidden_before_it_reached_the_board_is_not_sent(client, room):
    cards(room, 1)
    feed = feed_of(client.get(board_url(room)))
    gone, kept = cards(room, 2)
    facilitation.statement_hide(statement=gone, actor=None, reason="Duplicate")
    response = client.get(feed)
    assert DELTA in response.content.decode()
    assert cards_in(response) == [kept.pk]


def test_the_first_cards_replace_the_empty_board_note(client, room):
    page = client.get(board_url(room))
    assert "Statements appear here as they arrive." in page.content.decode()
    first = cards(room, 2)
    response = client.get(feed_of(page))
    assert FULL in response.content.decode()
    assert "Statements appear here as they arrive." not in response.content.decode()
    assert cards_in(response) == pks(reversed(first))


def test_phase_change_and_reveal_send_the_whole_board(client, room):
    cards(room, 2)
    category = CategoryFactory(session=room, name="Security")
    feed = feed_of(client.get(board_url(room)))
    session_phase_set(session=room, phase="voting")
    voting = client.get(feed)
    assert FULL in voting.content.decode()
    assert cards_in(voting) == []
    assert "The results stay hidden until the facilitator reveals them" in voting.content.decode()
    assert '<span class="board-ballot-name">Security</span>' in voting.content.decode()
    DotFactory(category=category)
    one_voter = client.get(feed_of(voting))  # a vote changes the counts on the board
    assert "1 of 1 participants have voted" in one_voter.content.decode()
    session_results_reveal(session=room, revealed=True)
    revealed = client.get(feed_of(one_voter))
    assert FULL in revealed.content.decode()
    assert "Security" in revealed.content.decode()
    assert "1 dot" in revealed.content.decode()
    DotFactory(category=category)
    assert "2 dots" in client.get(feed_of(revealed)).content.decode()


def test_people_joining_while_cards_are_written_send_the_board_nothing(client, room):
    cards(room, 1)
    feed = feed_of(client.get(board_url(room)))
    ParticipantFactory(workshop=room.workshop)
    assert client.get(feed).status_code == 204


def test_a_poll_without_since_answers_204_until_something_changes(client, room):
    cards(room, 2)
    version = client.get(board_url(room)).context["board"].version
    feed = reverse("facilitation:session_board_feed", args=[room.workshop_id, room.pk])
    assert client.get(feed, {"v": version}).status_code == 204
    StatementFactory(session=room, text="Arrived just now")
    changed = client.get(feed, {"v": version})
    assert FULL in changed.content.decode()
    assert texts_in(changed)[0] == "Arrived just now"


@pytest.mark.parametrize("since", ["", "abc", "-1", "１２", "9" * 40])
def test_a_since_that_is_no_key_gets_the_whole_board(client, room, since):
    made = cards(room, 2)
    feed = reverse("facilitation:session_board_feed", args=[room.workshop_id, room.pk])
    response = client.get(feed, {"since": since, "v": "anything"})
    assert FULL in response.content.decode()
    assert cards_in(response) == pks(reversed(made))


def test_a_participant_or_someone_not_signed_in_gets_no_feed(client, room, settings):
    feed = feed_of(client.get(board_url(room)))
    client.logout()
    participant = ParticipantFactory(workshop=room.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    as_participant = client.get(feed)
    assert as_participant.status_code == 302
    assert as_participant["Location"].startswith(reverse("login"))
    del client.cookies[settings.PARTICIPANT_COOKIE_NAME]
    anonymous = client.get(feed)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_another_facilitators_session_feed_is_not_found(client, room, other_facilitator):
    feed = feed_of(client.get(board_url(room)))
    client.force_login(other_facilitator)
    assert client.get(feed).status_code == 404


def test_clustering_shows_each_category_with_its_statements_and_the_pile(client, room):
    session_phase_set(session=room, phase="clustering")
    security = CategoryFactory(session=room, reference_number=1, name="Security")
    CategoryFactory(session=room, reference_number=2, name="Perception")
    loose, placed = cards(room, 2)
    facilitation.statements_categorise(
        session=room, actor=None, statement_ids=[placed.pk], category_id=security.pk
    )
    page = client.get(board_url(room))
    board = page.context["board"]
    assert board.mode == "clusters"
    assert board.join == "corner"
    assert [(c.category.name, pks(c.statements)) for c in board.categories] == [
        ("Security", [placed.pk]),
        ("Perception", []),
    ]
    assert pks(board.uncategorised) == [loose.pk]
    assert cards_in(page) == []  # no card list to add to while clustering


@pytest.mark.parametrize("count", [1, 3])
def test_clustering_poll_unchanged_in_two_queries_and_a_move_sends_the_board(
    client, room, django_assert_num_queries, count
):
    session_phase_set(session=room, phase="clustering")
    category = CategoryFactory(session=room, reference_number=1, name="Security")
    made = cards(room, count)
    with django_assert_num_queries(REQUEST + 3):  # the state, the categories, the statements
        feed = feed_of(client.get(board_url(room)))
    with django_assert_num_queries(REQUEST + 2):  # the state, the categories
        assert client.get(feed).status_code == 204
    facilitation.statements_categorise(
        session=room, actor=None, statement_ids=[made[0].pk], category_id=category.pk
    )
    moved = client.get(feed)
    assert FULL in moved.content.decode()
    assert [pks(c.statements) for c in moved.context["board"].categories] == [[made[0].pk]]
    assert client.get(feed_of(moved)).status_code == 204


@pytest.mark.parametrize(
    "change",
    ["create", "rename", "describe", "card"],
)
def test_clustering_a_category_change_or_a_paper_card_sends_the_board(client, room, change):
    session_phase_set(session=room, phase="clustering")
    category = CategoryFactory(session=room, reference_number=1, name="Security")
    cards(room, 2)
    feed = feed_of(client.get(board_url(room)))
    if change == "create":
        facilitation.category_create(session=room, actor=None, name="Perception")
    elif change in {"rename", "describe"}:
        category.name = "Safety" if change == "rename" else category.name
        category.description = "Keeping data safe" if change == "describe" else ""
        category.save()
    else:
        StatementFactory(session=room, text="Typed from a paper card")
    response = client.get(feed)
    assert FULL in response.content.decode()
    assert client.get(feed_of(response)).status_code == 204


def test_voting_shows_the_categories_and_who_has_voted(client, room, django_assert_num_queries):
    session_phase_set(session=room, phase="voting")
    security = CategoryFactory(session=room, reference_number=1, name="Security")
    CategoryFactory(session=room, reference_number=2, name="Perception", description="How it looks")
    ParticipantFactory.create_batch(3, workshop=room.workshop)
    DotFactory(category=security)  # a fourth participant
    page = client.get(board_url(room))
    content = page.content.decode()
    assert page.context["board"].join == "corner"
    assert "1 of 4 participants have voted" in content
    assert '<progress class="board-progress" max="4" value="1"' in content
    assert '<span class="board-ballot-description">How it looks</span>' in content
    with django_assert_num_queries(REQUEST + 2):  # the state, the categories
        assert client.get(feed_of(page)).status_code == 204


def test_results_are_ranked_with_ties_sharing_a_rank(client, room):
    room.phase = "closed"
    room.results_revealed = True
    room.save()
    totals = {"Security": 5, "Perception": 3, "Governance": 3, "Resources": 1, "Legal": 0}
    for number, (name, total) in enumerate(totals.items(), start=1):
        category = CategoryFactory(session=room, reference_number=number, name=name)
        DotFactory.create_batch(total, category=category)
    board = client.get(board_url(room)).context["board"]
    assert board.join == ""  # closed: nobody joins any more
    ranked = [(t.category.name, t.rank, t.tied) for t in board.tallies]
    assert ranked == [
        ("Security", 1, False),
        ("Perception", 2, True),
        ("Governance", 2, True),
        ("Resources", 4, False),
        ("Legal", 5, False),
    ]
    page = client.get(board_url(room)).content.decode()
    assert '<span class="board-rank" aria-hidden="true">=2</span>' in page


@pytest.mark.parametrize(
    ("phase", "join"),
    [("draft", "large"), ("collecting", "large"), ("clustering", "corner"), ("voting", "corner")],
)
def test_the_join_panel_is_large_until_collecting_ends(client, room, phase, join):
    session_phase_set(session=room, phase=phase)
    page = client.get(board_url(room))
    assert page.context["board"].join == join
    assert f"board-live-join-{join}" in page.content.decode()
    assert f'src="{reverse("responses:join_qr", args=[room.join_code])}"' in page.content.decode()


def test_a_poll_after_the_sign_in_ended_answers_401_not_the_sign_in_page(client, room):
    feed = feed_of(client.get(board_url(room)))
    client.logout()
    response = client.get(feed, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.content == b""
