"""Small-group suppression: a workshop with fewer participants than the phase's threshold shows
no counts and no statements, in the report and in every export."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from reports.exports import (
    export_csv,
    export_docx,
    export_html,
    export_json,
    export_pdf,
    export_xlsx,
)
from reports.models import ReportNarrative
from reports.selectors import report_build
from responses.models import PaperDotTally
from tests.reports.test_exports import needs_pdf

pytestmark = pytest.mark.django_db

# The fixture's state workshop: 16 participants counted from the records (4 joined, 12 voters);
# the local workshop: 31 people as reported by the facilitators.
STATE_STATEMENTS = [
    "Cheaper than print",
    "Less travel",
    "Share across units",
    "Not yet clustered",
    "Staff time",
    "Hacked accounts",
    "Who approves posts?",
]


def suppress(phase, below: int) -> None:
    ReportNarrative.objects.filter(phase=phase).update(suppress_below=below)


def test_a_workshop_below_the_threshold_shows_no_counts_and_no_statements(phase):
    suppress(phase, 17)
    report = report_build(phase=phase)

    assert [(w.title, w.people, w.organisations, w.withheld) for w in report.workshops] == [
        ("State agency workshop", None, None, True),
        ("Local government workshop", 31, 25, False),
    ]
    assert [w.title for w in report.withheld_workshops] == ["State agency workshop"]
    assert report.suppress_below == 17
    # In reference order, with no figure and no rank: an order would reveal the counts.
    assert [
        (c.rank, c.name, c.votes, c.paper_votes, c.statement_count, c.withheld)
        for c in report.state_concerns
    ] == [
        (None, "Governance", None, None, None, True),
        (None, "Security", None, None, None, True),
        (None, "Resources", None, None, None, True),
        (None, "Perception", None, None, None, True),
    ]
    assert [(v.name, v.statement_count) for v in report.state_values] == [
        ("Cost savings", None),
        ("Enhanced collaboration", None),
    ]
    # The local workshop keeps its own figures; the state side of the comparison is withheld.
    assert [
        (c.category.rank, c.category.name, c.category.votes, c.state.rank, c.state.votes)
        for c in report.local_concerns
    ] == [
        (1, "Security", 6, None, None),
        (2, "Resources", 4, None, None),
        (2, "Perception", 4, None, None),
        (4, "Governance", 0, None, None),
    ]
    assert report.concerns_overlap.pairs == 0
    assert report.concerns_overlap.summary == (
        "The two rankings are not compared: the figures of a workshop with fewer than 17 "
        "participants are withheld."
    )
    assert (report.appendix_a, report.appendix_b) == ((), ())
    # 4 value and 3 concern statements withheld; the hidden one stays counted as hidden.
    assert (report.appendix_a_withheld, report.appendix_b_withheld) == (4, 3)
    assert report.hidden_statements == 1


def test_a_workshop_at_the_threshold_is_shown(phase):
    suppress(phase, 16)
    report = report_build(phase=phase)
    assert [(w.people, w.withheld) for w in report.workshops] == [(16, False), (31, False)]
    first = report.state_concerns[0]
    assert (first.rank, first.name, first.votes) == (1, "Resources", 5)
    assert report.appendix_a_withheld == report.appendix_b_withheld == 0
    assert len(report.appendix_b) == 4


def test_zero_shows_everything(phase):
    suppress(phase, 0)
    report = report_build(phase=phase)
    assert not report.withheld_workshops
    assert [w.people for w in report.workshops] == [16, 31]
    assert report.concerns_overlap.pairs == 4


def test_reported_attendance_decides_over_the_records(phase):
    # The local workshop's reported 31, not its (zero) participant records, is compared.
    suppress(phase, 31)
    report = report_build(phase=phase)
    assert [(w.title, w.withheld) for w in report.workshops] == [
        ("State agency workshop", True),
        ("Local government workshop", False),
    ]
    suppress(phase, 32)
    report = report_build(phase=phase)
    assert [w.withheld for w in report.workshops] == [True, True]
    assert [(c.category.rank, c.category.votes) for c in report.local_benefits] == [
        (None, None),
        (None, None),
    ]


def test_suppression_adds_no_query(phase, django_assert_num_queries):
    suppress(phase, 17)
    with django_assert_num_queries(6):
        report_build(phase=phase)


@pytest.fixture
def withheld(phase):
    """The state workshop withheld, with a paper total (which must not show either)."""
    suppress(phase, 17)
    perception = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Perception")
    )
    PaperDotTally.objects.create(session=perception.session, category=perception, count=777)
    return report_build(phase=phase)


def assert_no_state_statements(text: str) -> None:
    for statement in STATE_STATEMENTS:
        assert statement not in text, statement
    assert "777" not in text


def zip_text(content: bytes) -> str:
    """Every text file in a ZIP (CSV files, or the XML inside an Office file)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    return "\n".join(
        archive.read(name).decode("utf-8-sig")
        for name in archive.namelist()
        if name.endswith((".xml", ".rels", ".csv"))
    )


def test_json_export_withholds_the_small_workshop(withheld):
    document = json.loads(export_json(withheld))
    assert_no_state_statements(json.dumps(document, ensure_ascii=False))
    tables = document["tables"]
    assert (tables["workshops"][0]["People"], tables["workshops"][0]["Organisations"]) == (
        "fewer than 17",
        "withheld",
    )
    assert tables["workshops"][1]["People"] == 31
    assert {
        (row["Rank"], row["Votes"], row["Of which on paper"], row["Statements"])
        for row in tables["state_concerns"]
    } == {("withheld", "withheld", "withheld", "withheld")}
    assert {row["Statements"] for row in tables["state_values"]} == {"withheld"}
    security = tables["local_concerns"][0]
    assert (security["Local rank"], security["State rank"], security["State votes"]) == (
        1,
        "withheld",
        "withheld",
    )
    assert tables["appendix_a"] == tables["appendix_b"] == []
    assert document["suppression"] == {
        "suppress_below": 17,
        "withheld_workshops": ["State agency workshop"],
        "statements_withheld": 7,
    }


def test_csv_export_withholds_the_small_workshop(withheld):
    content = export_csv(withheld)
    assert_no_state_statements(zip_text(content))
    archive = zipfile.ZipFile(io.BytesIO(content))

    def rows(name):
        text = archive.read(f"esmp-{name}.csv").decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    assert rows("workshops")[1][6:9] == [
        "fewer than 17", "withheld", "from the participants' records",
    ]  # fmt: skip
    assert rows("state_concerns")[1:] == [
        ["withheld", "1", "Governance", "withheld", "withheld", "About Governance", "withheld"],
        ["withheld", "2", "Security", "withheld", "withheld", "About Security", "withheld"],
        ["withheld", "3", "Resources", "withheld", "withheld", "About Resources", "withheld"],
        ["withheld", "4", "Perception", "withheld", "withheld", "About Perception", "withheld"],
    ]
    assert rows("appendix_a") == [["No.", "Category", "Statement", "Use"]]
    assert len(rows("appendix_b")) == 1


def test_xlsx_export_withholds_the_small_workshop_and_its_records(withheld):
    from openpyxl import load_workbook

    content = export_xlsx(withheld)
    assert_no_state_statements(zip_text(content))
    workbook = load_workbook(io.BytesIO(content))
    # Only the local workshop's records: no statements, 3 + 14 dots, no paper totals.
    assert workbook["All statements"].max_row == 1
    assert workbook["All dots"].max_row - 1 == 3 + 14
    assert {row[0].value for row in workbook["All dots"].iter_rows(min_row=2)} == {
        "Local government workshop"
    }
    assert workbook["Paper dot totals"].max_row == 1


def test_word_export_withholds_the_small_workshop(withheld):
    from docx import Document

    content = export_docx(withheld)
    assert_no_state_statements(zip_text(content))
    paragraphs = [p.text for p in Document(io.BytesIO(content)).paragraphs]
    for sentence in [
        "Date: Thursday, September 17, 2009",
        "Attendance: fewer than 17 people",
        "Fewer than 17 people took part in this workshop, so the report gives none of its "
        "counts, ranks or statements: in so small a group they could identify someone.",
        "4 statements are withheld because fewer than 17 people took part in their workshop.",
        "3 statements are withheld because fewer than 17 people took part in their workshop.",
    ]:
        assert sentence in paragraphs
    assert "16 people" not in " ".join(paragraphs)


def test_html_export_withholds_the_small_workshop(withheld):
    html = export_html(withheld).decode()
    assert_no_state_statements(html)
    text = " ".join(html.split())
    assert "<dt>Attendance</dt> <dd>fewer than 17 people</dd>" in text
    assert "16 people" not in text
    assert (
        "<p>4 statements are withheld because fewer than 17 people took part in their workshop.</p>"
    ) in text
    assert '<th scope="row">Perception</th><td class="num">withheld' in text
    # No chart of the withheld votes, no slope chart comparing with them.
    assert "Votes per area of concern, state agency workshop" not in text
    assert "State rank against local rank" not in text


@needs_pdf
def test_pdf_export_withholds_the_small_workshop(withheld):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(export_pdf(withheld)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert_no_state_statements(text)
    assert "fewer than 17 people" in text


def test_web_report_withholds_and_trace_pages_show_records_with_a_notice(
    client, staff_user, phase, withheld
):
    client.force_login(staff_user)
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    assert_no_state_statements(page)
    assert "16 people" not in page
    perception = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Perception")
    )
    trace = client.get(
        reverse("reports:trace_category", args=[phase.slug, perception.pk])
    ).content.decode()
    notice = "Fewer than 17 people took part in this workshop, so the published report withholds"
    assert notice in trace
    assert "777" in trace  # staff still see the records, to check them
    state = phase.workshops.get(kind="state")
    attendance = client.get(
        reverse("reports:trace_workshop", args=[phase.slug, state.pk])
    ).content.decode()
    assert notice in attendance
    assert "16 participants" in attendance


def test_trace_pages_show_no_notice_where_nothing_is_withheld(client, staff_user, phase):
    suppress(phase, 16)
    client.force_login(staff_user)
    state = phase.workshops.get(kind="state")
    page = client.get(reverse("reports:trace_workshop", args=[phase.slug, state.pk]))
    assert page.context["withheld_below"] == 0
    assert "published report withholds" not in page.content.decode()


SECTIONS = {
    "abstract": "",
    "introduction": "",
    "project_overview": "",
    "project_design": "",
    "workshops_framing": "",
    "concluding_remarks": "",
    "appendix_c": "",
}


@pytest.mark.parametrize(("typed", "saved"), [("12", 12), ("", 0), ("0", 0)])
def test_staff_set_the_threshold_on_the_narrative_page(client, staff_user, phase, typed, saved):
    client.force_login(staff_user)
    response = client.post(
        reverse("reports:narrative", args=[phase.slug]), {**SECTIONS, "suppress_below": typed}
    )
    assert response.status_code == 302
    assert ReportNarrative.objects.get(phase=phase).suppress_below == saved


def test_the_threshold_field_explains_itself_and_refuses_nonsense(client, staff_user, phase):
    client.force_login(staff_user)
    page = client.get(reverse("reports:narrative", args=[phase.slug])).content.decode()
    assert "Suppress groups smaller than" in page
    assert "shows no counts and no quotes in the report" in page
    response = client.post(
        reverse("reports:narrative", args=[phase.slug]), {**SECTIONS, "suppress_below": "-2"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "suppress_below": ["Enter a whole number of participants, or 0 to show everything."]
    }
    assert ReportNarrative.objects.get(phase=phase).suppress_below == 0
