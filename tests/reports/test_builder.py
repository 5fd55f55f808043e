import pytest

from reports.selectors import report_build
from tests.factories import (
    CategoryFactory,
    DotFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def test_state_values_are_listed_in_reference_order_unranked(phase):
    report = report_build(phase=phase)
    assert [
        (v.reference_number, v.name, v.description, v.statement_count, v.rank)
        for v in report.state_values
    ] == [
        (1, "Cost savings", "About Cost savings", 2, None),
        (2, "Enhanced collaboration", "About Enhanced collaboration", 1, None),
    ]


def test_state_concerns_are_ranked_by_votes_and_ties_share_a_rank(phase):
    report = report_build(phase=phase)
    assert [(c.rank, c.name, c.votes) for c in report.state_concerns] == [
        (1, "Resources", 5),
        (2, "Governance", 3),
        (2, "Security", 3),
        (4, "Perception", 1),
    ]
    assert "equal votes share a rank" in report.rank_rule


def test_local_concerns_sit_beside_their_state_rank(phase):
    report = report_build(phase=phase)
    assert [
        (c.category.rank, c.state.rank, c.category.name, c.category.votes, c.moved)
        for c in report.local_concerns
    ] == [
        (1, 2, "Security", 6, 1),
        (2, 1, "Resources", 4, -1),
        (2, 4, "Perception", 4, 2),
        (4, 2, "Governance", 0, -2),
    ]


def test_local_benefits_are_ranked(phase):
    report = report_build(phase=phase)
    assert [
        (c.category.rank, c.category.name, c.category.votes) for c in report.local_benefits
    ] == [
        (1, "Cost savings", 2),
        (2, "Enhanced collaboration", 1),
    ]


def test_overlap_of_the_two_concern_rankings(phase):
    overlap = report_build(phase=phase).concerns_overlap
    assert overlap.pairs == 4
    # state votes (G3, S3, R5, P1) against local votes (G0, S6, R4, P4)
    assert overlap.spearman_rho == pytest.approx(0.0, abs=1e-9)
    assert overlap.kendall_tau == pytest.approx(0.0, abs=1e-9)
    assert [c.category.name for c in overlap.moved_most] == ["Perception", "Governance", "Security"]
    assert overlap.summary.startswith(
        "Local participants ranked Security first, where state participants ranked Resources first."
    )
    assert (
        "The largest change: Perception, ranked 4 by the state workshop and 2 locally."
        in overlap.summary
    )


def test_appendix_a_groups_value_statements_by_category_with_marks(phase):
    appendix = report_build(phase=phase).appendix_a
    assert [
        (g.category.name if g.category else None, [s.text_with_mark for s in g.statements])
        for g in appendix
    ] == [
        ("Cost savings", ["Cheaper than print (E)", "Less travel (I)"]),
        ("Enhanced collaboration", ["Share across units"]),
        (None, ["Not yet clustered"]),
    ]


def test_appendix_b_groups_concern_statements_in_rank_order_with_votes(phase):
    appendix = report_build(phase=phase).appendix_b
    assert [
        (g.category.name, g.category.votes, [s.text for s in g.statements]) for g in appendix
    ] == [
        ("Resources", 5, ["Staff time"]),
        ("Governance", 3, ["Who approves posts?"]),
        ("Security", 3, ["Hacked accounts"]),
        ("Perception", 1, []),
    ]


def test_hidden_statements_are_left_out_and_counted(phase):
    report = report_build(phase=phase)
    texts = [s.text for g in report.appendix_a + report.appendix_b for s in g.statements]
    assert "Rude card" not in texts
    assert report.hidden_statements == 1
    assert report.state_values[1].statement_count == 1


def test_attendance_is_counted_from_records_unless_reported(phase):
    report = report_build(phase=phase)
    assert [
        (w.title, w.people, w.organisations, w.counted_from_records) for w in report.workshops
    ] == [
        ("State agency workshop", 16, 2, True),  # 4 joined + 12 voters made by DotFactory
        ("Local government workshop", 31, 25, False),
    ]


def test_narrative_is_rendered_from_markdown(phase):
    narrative = report_build(phase=phase).narrative
    assert narrative["abstract"].html == "<p>An <strong>exploratory</strong> study.</p>"
    assert narrative["introduction"].html == ""


def test_a_phase_without_workshops_builds_an_empty_report(db):
    from tests.factories import ProjectPhaseFactory

    report = report_build(phase=ProjectPhaseFactory())
    assert (report.state_workshop, report.local_workshop, report.concerns_overlap) == (
        None,
        None,
        None,
    )
    assert report.state_concerns == () and report.appendix_a == ()


def add_state_workshop(phase, n: int) -> None:
    workshop = WorkshopFactory(phase=phase, kind="state", title=f"Extra {n}")
    session = PlenarySessionFactory(workshop=workshop, position=1, purpose="concerns")
    for m in range(3):
        category = CategoryFactory(session=session, reference_number=m + 1)
        StatementFactory.create_batch(2, session=session, category=category)
        DotFactory.create_batch(2, category=category)


@pytest.mark.parametrize("extra", [0, 2])
def test_report_is_built_with_the_same_number_of_queries_at_one_and_three_workshops(
    phase, django_assert_num_queries, extra
):
    from sessions.models import Workshop

    Workshop.objects.filter(phase=phase, kind="local").delete()
    for n in range(extra):
        add_state_workshop(phase, n)
    with django_assert_num_queries(6):
        report = report_build(phase=phase)
    assert len(report.workshops) == 1 + extra


def test_the_report_counts_the_categorised_statements_filed_from_suggestions(phase):
    from responses.models import Statement

    # The fixture's categorised statements, hidden "Rude card" aside: 3 values, 3 concerns.
    Statement.objects.filter(text__in=["Staff time", "Hacked accounts"]).update(
        filed_by_suggestion=True
    )
    Statement.objects.filter(text="Rude card").update(filed_by_suggestion=True)  # hidden

    report = report_build(phase=phase)

    assert (report.filed_from_suggestions, report.categorised_statements) == (2, 6)
