"""Paper dot totals in the report: counted into the votes, and kept distinguishable."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from reports.exports import export_csv, export_docx, export_html, export_json, export_xlsx
from reports.selectors import report_build
from responses.models import PaperDotTally
from tests.factories import DotFactory

pytestmark = pytest.mark.django_db


def state_concern(phase, name):
    return (
        phase.workshops.get(kind="state").sessions.get(purpose="concerns").categories.get(name=name)
    )


@pytest.fixture
def paper(phase):
    """Perception: 1 dot placed online and 6 counted on paper, so 7 votes and the first rank."""
    perception = state_concern(phase, "Perception")
    PaperDotTally.objects.create(
        session=perception.session, category=perception, count=6, note="Wall chart, room B"
    )
    return perception


def test_votes_are_dots_plus_paper_dots_and_the_total_ranks(phase, paper):
    report = report_build(phase=phase)
    assert [(c.rank, c.name, c.votes, c.paper_votes) for c in report.state_concerns] == [
        (1, "Perception", 7, 6),
        (2, "Resources", 5, 0),
        (3, "Governance", 3, 0),
        (3, "Security", 3, 0),
    ]
    assert report.has_paper_votes
    perception = next(c for c in report.local_concerns if c.category.name == "Perception")
    assert (perception.state.rank, perception.state.votes) == (1, 7)
    first = report.appendix_b[0].category
    assert (first.name, first.votes, first.paper_votes) == ("Perception", 7, 6)


def test_a_paper_total_of_zero_changes_nothing(phase):
    resources = state_concern(phase, "Resources")
    PaperDotTally.objects.create(session=resources.session, category=resources, count=0)
    report = report_build(phase=phase)
    first = report.state_concerns[0]
    assert (first.name, first.votes, first.paper_votes) == ("Resources", 5, 0)
    assert not report.has_paper_votes


@pytest.mark.parametrize("extra", [0, 2])
def test_paper_totals_add_no_query(phase, paper, django_assert_num_queries, extra):
    from tests.reports.test_builder import add_state_workshop

    for n in range(extra):
        add_state_workshop(phase, n)
    with django_assert_num_queries(6):
        report_build(phase=phase)


def test_the_web_report_marks_the_votes_and_notes_the_paper_dots(client, staff_user, phase, paper):
    client.force_login(staff_user)
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    assert (
        f'<a href="{reverse("reports:trace_category", args=[phase.slug, paper.pk])}#dots" '
        f'aria-label="7 votes for Perception, 6 of them counted on paper">7†</a>'
    ) in page
    assert "Perception (7 votes†)" in page
    assert "† Includes dots counted on paper wall charts: Perception, 6 of 7." in page
    assert "A vote count marked † includes dots counted on paper wall charts" in page
    assert "on paper)" not in page


def test_the_html_export_marks_the_votes_and_notes_the_paper_dots(phase, paper):
    html = export_html(report_build(phase=phase)).decode()
    assert '<th scope="row">Perception</th><td class="num">7†' in html
    assert "<h3>Perception (7 votes†)</h3>" in html
    assert (
        '<p class="report-note report-table-note">† Includes dots counted on paper wall charts: '
        "Perception, 6 of 7.</p>"
    ) in html


def test_spreadsheets_carry_a_paper_column_and_the_totals(phase, paper):
    from openpyxl import load_workbook

    report = report_build(phase=phase)
    archive = zipfile.ZipFile(io.BytesIO(export_csv(report)))
    rows = list(
        csv.reader(io.StringIO(archive.read("esmp-state_concerns.csv").decode("utf-8-sig")))
    )
    assert rows[0] == [
        "Rank", "No.", "Category", "Votes", "Of which on paper", "Description", "Statements",
    ]  # fmt: skip
    assert rows[1] == ["1", "4", "Perception", "7", "6", "About Perception", "0"]
    assert rows[2] == ["2", "3", "Resources", "5", "0", "About Resources", "1"]

    workbook = load_workbook(io.BytesIO(export_xlsx(report)))
    assert [c.value for c in workbook["State concerns"][2]] == [
        1, 4, "Perception", 7, 6, "About Perception", 0,
    ]  # fmt: skip
    assert [
        [c.value for c in row] for row in workbook["Paper dot totals"].iter_rows(max_col=6)
    ] == [
        ["Workshop", "Session", "Category no.", "Category", "Paper dots", "Note"],
        ["State agency workshop", "Concerns", 4, "Perception", 6, "Wall chart, room B"],
    ]
    # The dots sheet stays one row per participant's placed dots.
    assert workbook["All dots"].max_row - 1 == 12 + 3 + 14

    document = json.loads(export_json(report))
    assert document["tables"]["state_concerns"][0]["Of which on paper"] == 6
    assert document["tables"]["local_concerns"][2]["State votes"] == 7


def test_word_marks_the_votes_that_include_paper_dots_and_notes_how_many(phase, paper):
    from docx import Document

    document = Document(io.BytesIO(export_docx(report_build(phase=phase))))
    headers = {tuple(cell.text for cell in t.rows[0].cells): t for t in document.tables}
    # No paper column: the figure carries the mark, the note under the table the count.
    state = headers[("Rank", "No.", "Category", "Votes", "Description", "Statements")]
    assert [cell.text for cell in state.rows[1].cells][:4] == ["1", "4", "Perception", "7\u2020"]
    assert [row.cells[3].text for row in state.rows[2:]] == ["5", "3", "3"]
    paragraphs = [p.text for p in document.paragraphs]
    assert "\u2020 Includes dots counted on paper wall charts: Perception, 6 of 7." in paragraphs
    # The local tables have no paper dots: no mark, no note.
    local = headers[("Local rank", "State rank", "Category", "Votes", "State votes")]
    assert "\u2020" not in " ".join(cell.text for row in local.rows for cell in row.cells)
    assert "Perception (7 votes, 6 on paper)" in paragraphs


def test_trace_lists_the_paper_total_beside_the_placed_dots(client, staff_user, phase, paper):
    DotFactory(category=paper)
    client.force_login(staff_user)
    response = client.get(reverse("reports:trace_category", args=[phase.slug, paper.pk]))
    assert (response.context["dot_total"], response.context["vote_total"]) == (2, 8)
    assert response.context["paper"].count == 6
    page = response.content.decode()
    assert '<h2 id="dots">8 votes</h2>' in page
    assert 'Dots placed by participants</dt><dd class="col-sm-8">2</dd>' in page
    assert "Wall chart, room B" in page
