"""The report's scope: a practice or pilot workshop is left out of every format by default, and
staff choose which workshops a report covers."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.urls import reverse

from reports.exports import export_csv, export_docx, export_html, export_json, export_pdf
from reports.models import ReportNarrative
from reports.publishing import report_publish
from reports.selectors import report_build, report_scope
from reports.services import narrative_save
from reports.workbook import export_xlsx
from tests.factories import (
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    WorkshopFactory,
)
from tests.reports.conftest import votes
from tests.reports.test_exports import needs_pdf

pytestmark = pytest.mark.django_db

PILOT_MARKS = ["Pilot rehearsal hall", "Pilot-only category", "A pilot card nobody should quote"]


@pytest.fixture
def pilot(phase):
    """A practice state workshop held before the real one, with its own cards and dots: were it
    counted, it would be the phase's first state workshop and would stretch the cover's dates."""
    pilot = WorkshopFactory(
        phase=phase,
        title="Pilot run",
        kind="state",
        date=dt.date(2009, 8, 5),
        venue="Pilot rehearsal hall",
        practice=True,
    )
    ParticipantFactory.create_batch(3, workshop=pilot)
    concerns = PlenarySessionFactory(workshop=pilot, position=2, purpose="concerns")
    category = CategoryFactory(session=concerns, reference_number=1, name="Pilot-only category")
    votes(category, 9)
    StatementFactory(session=concerns, category=category, text="A pilot card nobody should quote")
    return pilot


def _texts(report) -> dict[str, str]:
    """Every format's text, as a reader would search it."""
    from docx import Document
    from openpyxl import load_workbook

    document = Document(io.BytesIO(export_docx(report)))
    word = [p.text for p in document.paragraphs]
    word += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    workbook = load_workbook(io.BytesIO(export_xlsx(report)))
    cells = [str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value]
    with zipfile.ZipFile(io.BytesIO(export_csv(report))) as archive:
        csv_text = "\n".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    return {
        "html": export_html(report).decode("utf-8"),
        "json": export_json(report).decode("utf-8"),
        "csv": csv_text,
        "docx": "\n".join(word),
        "xlsx": "\n".join(cells),
    }


def test_a_practice_workshop_is_left_out_of_every_format_and_the_cover_dates(phase, pilot):
    report = report_build(phase=phase)

    assert [w.title for w in report.workshops] == [
        "State agency workshop",
        "Local government workshop",
    ]
    assert [w.title for w in report.left_out] == ["Pilot run"]
    assert (report.starts_on, report.ends_on) == (dt.date(2009, 9, 17), dt.date(2009, 10, 20))
    # The real state workshop's figures, not the pilot's.
    assert (report.state_concerns[0].name, report.state_concerns[0].votes) == ("Resources", 5)
    for fmt, text in _texts(report).items():
        for mark in PILOT_MARKS:
            assert mark not in text, (fmt, mark)
    assert "September 2009 – October 2009" in _texts(report)["html"]
    tables = json.loads(export_json(report))["tables"]
    assert [row["Workshop"] for row in tables["workshops"]] == [
        "State agency workshop",
        "Local government workshop",
    ]


@needs_pdf
def test_a_practice_workshop_is_left_out_of_the_pdf(phase, pilot):
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(export_pdf(report_build(phase=phase))))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())

    assert "September 2009 – October 2009" in text
    for mark in PILOT_MARKS:
        assert mark not in text


def test_staff_include_the_practice_workshop_and_leave_out_another(phase, pilot, staff_user):
    local = phase.workshops.get(kind="local")
    state = phase.workshops.get(title="State agency workshop")

    narrative_save(phase=phase, user=staff_user, workshops=[pilot, state])
    report = report_build(phase=phase)

    assert [w.title for w in report.workshops] == ["Pilot run", "State agency workshop"]
    assert [w.title for w in report.left_out] == ["Local government workshop"]
    assert (report.starts_on, report.ends_on) == (dt.date(2009, 8, 5), dt.date(2009, 9, 17))
    assert report.local_benefits == () and report.concerns_overlap is None
    # The first state workshop covered is now the pilot.
    assert [(line.name, line.votes) for line in report.state_concerns] == [
        ("Pilot-only category", 9)
    ]
    narrative = ReportNarrative.objects.get(phase=phase)
    assert list(narrative.workshops_left_out.all()) == [local]
    assert list(narrative.practice_included.all()) == [pilot]


def test_a_workshop_added_later_follows_the_default(phase, pilot, staff_user):
    narrative_save(phase=phase, user=staff_user, workshops=list(phase.workshops.all()))
    later = WorkshopFactory(
        phase=phase, title="Second local", kind="local", date=dt.date(2009, 11, 2)
    )
    practice = WorkshopFactory(phase=phase, kind="local", date=dt.date(2009, 11, 3), practice=True)

    scope = report_scope(phase=phase)

    assert later in scope.included and pilot in scope.included
    assert scope.left_out == [practice]


def test_a_workshop_of_another_phase_cannot_be_chosen(phase, staff_user):
    stranger = WorkshopFactory(title="Elsewhere")

    with pytest.raises(ValueError, match="its own phase"):
        narrative_save(phase=phase, user=staff_user, workshops=[stranger])


def test_the_narrative_page_chooses_the_workshops(client, phase, pilot, staff_user):
    client.force_login(staff_user)
    url = reverse("reports:narrative", args=[phase.slug])

    page = client.get(url).content.decode()
    assert "Pilot run (August 5, 2009) — practice or pilot" in page
    # Ticked as the report stands: the pilot not, the others yes.
    assert f'name="workshops" value="{pilot.pk}"  id="id_workshops_0">' in page
    assert 'id="id_workshops_1" checked>' in page and 'id="id_workshops_2" checked>' in page
    state = phase.workshops.get(title="State agency workshop")
    response = client.post(url, {"abstract": "An exploratory study.", "workshops": [state.pk]})

    assert response.status_code == 302
    report = report_build(phase=phase)
    assert [w.title for w in report.workshops] == ["State agency workshop"]
    assert [w.title for w in report.left_out] == ["Pilot run", "Local government workshop"]


def test_the_publish_panel_shows_the_scope_and_the_publication_records_it(
    client, phase, pilot, staff_user
):
    client.force_login(staff_user)
    publication = report_publish(phase=phase, visibility="unlisted", user=staff_user)

    assert publication.scope == {
        "included": ["State agency workshop", "Local government workshop"],
        "left_out": ["Pilot run"],
    }
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    panel = page[page.index('id="publish-heading"') :]
    assert "<li>State agency workshop</li><li>Local government workshop</li>" in panel
    assert "Left out: Pilot run." in panel
    assert "The published report covers other workshops" not in panel

    narrative_save(phase=phase, user=staff_user, workshops=list(phase.workshops.all()))
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    assert (
        "The published report covers other workshops: State agency workshop, "
        "Local government workshop. Publish again to bring it up to date." in page
    )


def _imported_paper_workshop(**workshop_values):
    """A local workshop imported with paper dot totals only: nobody joined online."""
    from reports.records.importing import records_import
    from tests.reports.test_records import paper_workshop_file

    content = paper_workshop_file(statements=[], **workshop_values)
    result = records_import(name="albany.xlsx", content=content)
    assert result.problems == []
    return report_build(phase="esmp-2")


def test_a_paper_only_workshop_reads_not_recorded_never_zero_people():
    report = _imported_paper_workshop()

    (albany,) = report.workshops
    assert (albany.attendance_recorded, albany.people, albany.organisations) == (False, None, None)
    assert report.local_concerns[0].category.votes == 12
    html = export_html(report).decode()
    assert "0 people" not in html and "not recorded" in html


def test_reported_attendance_imported_with_the_workshop_is_the_head_count():
    report = _imported_paper_workshop(attendance_people=41, attendance_organisations=12)

    (albany,) = report.workshops
    assert (albany.attendance_recorded, albany.people, albany.organisations) == (True, 41, 12)
    assert "41 people" in export_html(report).decode()


def test_a_practice_workshop_imported_as_such_is_left_out():
    report = _imported_paper_workshop(practice="yes")

    assert report.workshops == ()
    assert [w.title for w in report.left_out] == ["Albany"]
