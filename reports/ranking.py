"""Ranks and rank statistics for the report. Plain functions on plain numbers.

The rule, as the report states it: categories are ranked by votes, most first; categories with
equal votes share a rank, and the next rank counts the categories above it (1, 2, 2, 4).
"""

import math
from collections.abc import Sequence

RANK_RULE = (
    "Categories are ranked by the number of dots they received, most first. Categories with "
    "equal votes share a rank, and the next rank counts every category above it (1, 2, 2, 4)."
)


def competition_ranks(votes: Sequence[int]) -> list[int]:
    """Standard competition ranks ("1224") of ``votes``, most votes first, in input order."""
    return [1 + sum(1 for other in votes if other > mine) for mine in votes]


def average_ranks(values: Sequence[float]) -> list[float]:
    """Fractional ranks (ties get the mean of the positions they span), largest value first."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0.0] * len(values)
    position = 0
    while position < len(order):
        end = position
        while end + 1 < len(order) and values[order[end + 1]] == values[order[position]]:
            end += 1
        mean = (position + end) / 2 + 1
        for index in order[position : end + 1]:
            ranks[index] = mean
        position = end + 1
    return ranks


def spearman_rho(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Spearman's rank correlation of two vote lists (Pearson's r on average ranks, so ties are
    handled). None when it is undefined: fewer than two items or no variation."""
    if len(first) != len(second):
        raise ValueError("the lists must pair up")
    if len(first) < 2:
        return None
    return _pearson(average_ranks(first), average_ranks(second))


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def kendall_tau_b(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Kendall's tau-b of two vote lists (accounts for ties in either list)."""
    if len(first) != len(second):
        raise ValueError("the lists must pair up")
    concordant = discordant = ties_first = ties_second = 0
    n = len(first)
    for i in range(n):
        for j in range(i + 1, n):
            a = (first[i] > first[j]) - (first[i] < first[j])
            b = (second[i] > second[j]) - (second[i] < second[j])
            if a == 0 and b == 0:
                continue
            if a == 0:
                ties_first += 1
            elif b == 0:
                ties_second += 1
            elif a == b:
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt(
        (concordant + discordant + ties_first) * (concordant + discordant + ties_second)
    )
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator
