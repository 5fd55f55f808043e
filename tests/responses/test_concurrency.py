"""Under concurrent requests a card is stored once and the dot limit holds (PostgreSQL).

SQLite serialises every write with IMMEDIATE transactions, so these races cannot happen there;
the SQLite default is load-tested in bench/ instead.
"""

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection

from responses.models import Dot, Statement
from responses.selectors import DotState
from responses.services import ParticipationRefused, dot_place, statement_submit
from tests.factories import CategoryFactory, ParticipantFactory, PlenarySessionFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency races need PostgreSQL"
    ),
]


def run_at_once(count: int, action: Callable[[int], object]) -> list[object]:
    """Run ``action(i)`` in ``count`` threads released together; return results or errors."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = action(index)
        except Exception as error:  # collected and asserted on by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_posts_with_one_key_make_one_row():
    session = PlenarySessionFactory(phase="collecting")
    participant = ParticipantFactory(workshop=session.workshop)
    key = uuid.uuid4()

    results = run_at_once(
        20,
        lambda i: statement_submit(
            session=session,
            participant=participant,
            text="Sent twenty times at once",
            idempotency_key=key,
        ),
    )

    assert all(not isinstance(result, Exception) for result in results), results
    assert sum(result.created for result in results) == 1
    assert {result.statement.pk for result in results} == {Statement.objects.get().pk}


@pytest.mark.parametrize("stack", [False, True], ids=["one per category", "stacking"])
def test_concurrent_dot_placements_never_exceed_the_limit(stack):
    session = PlenarySessionFactory(phase="voting", dots_per_participant=4, dots_may_stack=stack)
    categories = [CategoryFactory(session=session, reference_number=n) for n in range(1, 9)]
    participant = ParticipantFactory(workshop=session.workshop)

    results = run_at_once(
        16,
        lambda i: dot_place(
            session=session, participant=participant, category_id=categories[i % 8].pk
        ),
    )

    placed = [r for r in results if isinstance(r, DotState)]
    refused = [r for r in results if isinstance(r, ParticipationRefused)]
    assert len(placed) + len(refused) == 16, results
    assert len(placed) == 4
    assert sum(Dot.objects.filter(participant=participant).values_list("count", flat=True)) == 4


def test_cards_sent_at_the_same_moment_never_pass_the_cap(settings):
    # Counted without a lock, 19 cards and then 8 sent at once ended at 21 in 4 of 6 tries.
    settings.STATEMENTS_PER_PARTICIPANT = 20
    session = PlenarySessionFactory(phase="collecting")
    participant = ParticipantFactory(workshop=session.workshop)
    for number in range(19):
        statement_submit(
            session=session,
            participant=participant,
            text=f"card {number}",
            idempotency_key=uuid.uuid4(),
        )

    results = run_at_once(
        8,
        lambda i: statement_submit(
            session=session,
            participant=participant,
            text=f"at once {i}",
            idempotency_key=uuid.uuid4(),
        ),
    )

    refused = [r for r in results if isinstance(r, ParticipationRefused)]
    assert len(refused) == 7 and {r.code for r in refused} == {"too_many"}
    assert Statement.objects.filter(participant=participant).count() == 20
