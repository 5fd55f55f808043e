"""The charts' geometry: labels never overlap, never leave the canvas and are never cut."""

import io
from itertools import combinations

import pytest
from PIL import Image

from reports.charts import Chart, rank_slope, report_figures, vote_bars, wrap
from reports.selectors import report_build
from reports.structure import CategoryLine, ComparedLine

LONG = "Legal, regulatory and records-management ramifications of third-party platforms"


def line(pk: int, name: str, votes: int, *, rank: int | None = None, ref: int | None = None):
    return CategoryLine(
        pk=pk,
        reference_number=ref or pk,
        name=name,
        description="",
        votes=votes,
        statement_count=1,
        rank=rank,
    )


def compared(pairs: list[tuple[str, int, int]]) -> list[ComparedLine]:
    """(name, state rank, local rank) for each category."""
    return [
        ComparedLine(
            category=line(100 + n, name, 1, rank=local), state=line(n + 1, name, 1, rank=state)
        )
        for n, (name, state, local) in enumerate(pairs)
    ]


def assert_labels_fit(chart: Chart) -> None:
    for box in chart.texts:
        assert box.x >= 0 and box.y >= 0, box
        assert box.x + box.width <= chart.width, box
        assert box.y + box.height <= chart.height, box
    for a, b in combinations(chart.texts, 2):
        assert not a.overlaps(b), (a.lines, b.lines)


def test_vote_bars_label_a_ranked_list_by_rank_and_name():
    lines = [
        line(4, "Security", 6, rank=1),
        line(5, "Resources", 4, rank=2),
        line(1, "Perception", 4, rank=2),
        line(2, "Governance", 0, rank=4),
    ]
    chart = vote_bars(lines)

    labels = [" ".join(box.lines) for box in chart.texts]
    assert labels == [
        "1. Security", "6", "2. Resources", "4", "2. Perception", "4", "4. Governance", "0",
    ]  # fmt: skip
    assert_labels_fit(chart)


def test_vote_bars_of_an_unranked_list_keep_the_reference_numbers():
    chart = vote_bars(
        [line(1, "Cost savings", 3, ref=7), line(2, "Coolness factor", 1, ref=9)], ranked=False
    )

    assert [box.lines for box in chart.texts[::2]] == [
        ("7. Cost savings",),
        ("9. Coolness factor",),
    ]


def test_long_names_wrap_onto_lines_and_are_never_cut():
    chart = vote_bars([line(1, LONG, 12, rank=1), line(2, "Short", 3, rank=2)])

    first = chart.texts[0]
    assert len(first.lines) > 1
    assert " ".join(first.lines) == f"1. {LONG}"
    assert "…" not in chart_text(chart)
    assert_labels_fit(chart)
    assert "<tspan" in str(report_svg(chart))


def test_a_word_longer_than_a_line_is_split():
    lines = wrap("Supercalifragilisticexpialidocious" * 3, 120, 13)
    assert len(lines) > 1 and "".join(lines) == "Supercalifragilisticexpialidocious" * 3


def test_twelve_categories_with_ties_and_long_names_on_the_slope_chart():
    pairs = [
        (f"Area of concern number {n} with a rather long name", n, 13 - n) for n in range(1, 13)
    ]
    # Three categories tied at state rank 2, two at local rank 5.
    pairs[1:4] = [(LONG, 2, 1), ("Security", 2, 5), ("Perception", 2, 5)]
    chart = rank_slope(compared(pairs))

    assert_labels_fit(chart)
    state_labels = [" ".join(b.lines) for b in chart.texts if b.anchor == "end"]
    assert state_labels[:4] == [
        "1. Area of concern number 1 with a rather long name",
        f"2. {LONG}",
        "2. Perception",
        "2. Security",
    ]


@pytest.mark.parametrize("tied", [2, 3, 8])
def test_tied_ranks_get_label_rows_of_their_own(tied):
    chart = rank_slope(compared([(f"Tied {n}", 1, n + 1) for n in range(tied)]))

    assert_labels_fit(chart)
    left = [b for b in chart.texts if b.anchor == "end"]
    assert len(left) == tied
    assert len({round(b.y) for b in left}) == tied


def test_bars_and_png_share_the_geometry():
    chart = vote_bars([line(n, f"Category {n}", n, rank=13 - n) for n in range(1, 13)])
    assert_labels_fit(chart)
    figure = report_figures_from_chart(chart)

    image = Image.open(io.BytesIO(figure.png(scale=2)))
    assert image.format == "PNG"
    assert image.size == (chart.width * 2, chart.height * 2)


@pytest.mark.django_db
def test_the_report_has_its_figures_in_document_order_with_alternative_text(phase):
    figures = report_figures(report_build(phase=phase))

    assert [f.key for f in figures] == ["state_concerns", "local_benefits", "slope"]
    for figure in figures:
        assert figure.alt and figure.caption and figure.title
        assert str(figure.svg).startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert f"<desc>{figure.alt}</desc>" in str(figure.svg)
        assert (figure.width, figure.height) == (figure.chart.width, figure.chart.height)
        assert_labels_fit(figure.chart)
    assert figures[0].alt == (
        "Bar chart of the votes per area of concern at the state agency workshop, one bar per "
        "category in rank order, from Resources (5 votes) to Perception (1 vote). The table "
        "gives every figure."
    )


def chart_text(chart: Chart) -> str:
    return " ".join(" ".join(box.lines) for box in chart.texts)


def report_svg(chart: Chart):
    from reports.charts import chart_svg

    return chart_svg(chart, title="A chart", description="What it shows")


def report_figures_from_chart(chart: Chart):
    from reports.charts import Figure

    return Figure("k", "t", "a", "c", report_svg(chart), chart.width, chart.height, chart)
