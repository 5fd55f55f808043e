import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.ranking import average_ranks, competition_ranks, kendall_tau_b, spearman_rho


@pytest.mark.parametrize(
    "votes, ranks",
    [([5, 3, 3, 1], [1, 2, 2, 4]), ([0, 0], [1, 1]), ([1, 2, 3], [3, 2, 1]), ([], [])],
)
def test_competition_ranks(votes, ranks):
    assert competition_ranks(votes) == ranks


def test_average_ranks_share_tied_positions():
    assert average_ranks([5, 3, 3, 1]) == [1.0, 2.5, 2.5, 4.0]


def test_identical_and_reversed_orders():
    assert spearman_rho([4, 3, 2, 1], [40, 30, 20, 10]) == pytest.approx(1.0)
    assert kendall_tau_b([4, 3, 2, 1], [1, 2, 3, 4]) == pytest.approx(-1.0)


def test_known_values_with_ties():
    # scipy.stats.spearmanr / kendalltau give 0.8 and 0.7378647873726218 for these lists.
    first, second = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    assert spearman_rho(first, second) == pytest.approx(0.8)
    tied = [1, 1, 2, 3]
    assert kendall_tau_b(tied, [1, 2, 3, 4]) == pytest.approx(0.9128709291752769)


def test_undefined_when_nothing_varies():
    assert spearman_rho([1, 1, 1], [1, 2, 3]) is None
    assert kendall_tau_b([2, 2], [2, 2]) is None
    assert spearman_rho([1], [1]) is None


@given(
    st.lists(st.integers(0, 30), min_size=2, max_size=12).flatmap(
        lambda xs: st.tuples(
            st.just(xs), st.lists(st.integers(0, 30), min_size=len(xs), max_size=len(xs))
        )
    )
)
def test_correlations_stay_between_minus_one_and_one(pair):
    first, second = pair
    for value in (spearman_rho(first, second), kendall_tau_b(first, second)):
        assert value is None or -1 - 1e-9 <= value <= 1 + 1e-9
