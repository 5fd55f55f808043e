"""How the report reads (the page, the HTML file and the PDF share one template): attendance,
zero counts, paper votes, the report's scope and how the categories were formed."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from reports.exports import export_html
from reports.models import ReportNarrative
from reports.selectors import report_build
from responses.models import PaperDotTally, Statement
from tests.factories import WorkshopFactory

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    """The document's words, as a reader sees them: tags out, white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def html_of(phase) -> str:
    return export_html(report_build(phase=phase)).decode()


def about_the_figures(html: str) -> str:
    section = html.split('<section id="method-note"', 1)[1].split(">", 1)[1]
    return text_of(section.split("</section>", 1)[0])


def test_attendance_nobody_recorded_reads_not_recorded_never_zero_people(phase):
    WorkshopFactory(
        phase=phase, title="Internal discussion", kind="internal", date=dt.date(2009, 7, 22)
    )

    text = text_of(html_of(phase))

    assert (
        "Internal discussion Date Wednesday, July 22, 2009 Time 8:30 a.m.–10:30 a.m. "
        "Place Center for Technology in Government, Albany, NY Attendance not recorded "
        "(no head count was reported and nobody took part online)"
    ) in text
    assert "0 people" not in text
    assert "Attendance 31 people from 25 organisations (as reported by the facilitators)" in text


def test_workshop_dates_and_times_use_the_report_formats(phase):
    text = text_of(html_of(phase))

    assert "State agency workshop Date Thursday, September 17, 2009 Time 8:30 a.m.–10:30 a.m." in (
        text
    )
    assert "State agency workshop State agency workshop September 17, 2009" in text
    assert "Spearman's rho 0.00 Kendall's tau-b 0.00" in text


def test_a_count_of_zero_is_not_printed_as_a_sentence(phase):
    Statement.objects.filter(hidden=True).delete()

    about = about_the_figures(html_of(phase))

    assert "hidden" not in about
    assert about.startswith("About the figures Categories are ranked")
    assert "Every number comes from the workshop records. Facilitators formed" in about


def test_one_hidden_statement_is_counted_in_the_singular(phase):
    about = about_the_figures(html_of(phase))

    assert (
        "Every number comes from the workshop records. 1 statement hidden by a facilitator is "
        "left out."
    ) in about


def test_paper_votes_are_a_marked_figure_with_a_note_under_the_table(phase):
    perception = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Perception")
    )
    PaperDotTally.objects.create(session=perception.session, category=perception, count=6)

    html = html_of(phase)
    text = text_of(html)

    assert '<th scope="row">Perception</th><td class="num">7†' in html
    assert "on paper)" not in text
    note = "† Includes dots counted on paper wall charts: Perception, 6 of 7."
    assert f'<p class="report-note report-table-note">{note}</p>' in html
    assert "<h3>Perception (7 votes†)</h3>" in html
    assert text.count(note) == 2  # under the state table and at the head of Appendix B
    assert "A vote count marked † includes dots counted on paper wall charts" in (
        about_the_figures(html)
    )


def test_without_paper_votes_there_is_no_mark_and_no_note(phase):
    html = html_of(phase)

    assert "†" not in html


def test_empty_narrative_sections_print_no_heading_and_no_contents_line(phase):
    # The fixture's narrative has an abstract and concluding remarks, nothing else.
    html = html_of(phase)

    assert "<h2>Abstract</h2>" in html and '<a href="#abstract">' in html
    assert "<h2>Concluding remarks</h2>" in html and '<a href="#conclusions">' in html
    for anchor, heading in [
        ("introduction", "Introduction"),
        ("overview", "Project overview"),
        ("appendix-c", "Appendix C: Project description"),
    ]:
        assert f'id="{anchor}"' not in html
        assert f'href="#{anchor}"' not in html
        assert f"<h2>{heading}</h2>" not in html
    # Sections with figures of their own keep their heading without narrative.
    assert '<a href="#design">' in html and '<a href="#workshops">' in html
    assert '<li><a href="#method-note">About the figures</a></li>' in html


def test_the_contents_list_every_section_heading(phase):
    ReportNarrative.objects.filter(phase=phase).update(
        introduction="Why.", project_overview="What.", appendix_c="The project."
    )
    html = html_of(phase)

    body = html.split('<main class="report">', 1)[1]
    section_ids = re.findall(r'<section id="([a-z-]+)" class="report-section', body)
    contents = html.split('class="report-toc"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'href="#([a-z-]+)"', contents) == section_ids
    assert len(section_ids) == 12


def test_the_web_page_leaves_out_empty_sections_too(client, staff_user, phase):
    client.force_login(staff_user)
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()

    assert "<h2>Abstract</h2>" in page
    assert "<h2>Introduction</h2>" not in page and 'href="#introduction"' not in page
    assert "About the figures</a></li>" in page


def test_a_left_out_workshop_is_named_in_about_the_figures(phase):
    WorkshopFactory(
        phase=phase, title="Pilot run", kind="state", date=dt.date(2009, 8, 5), practice=True
    )
    report = report_build(phase=phase)

    about = about_the_figures(export_html(report).decode())

    assert "This report leaves out the practice workshop “Pilot run” (August 5, 2009)." in about


def test_two_left_out_workshops_are_listed(phase, staff_user):
    from reports.services import narrative_save

    WorkshopFactory(phase=phase, title="Pilot run", kind="state", date=dt.date(2009, 8, 5))
    WorkshopFactory(phase=phase, title="Dry run", kind="local", date=dt.date(2009, 8, 6))
    narrative_save(
        phase=phase,
        user=staff_user,
        workshops=list(phase.workshops.exclude(title__in=["Pilot run", "Dry run"])),
    )

    about = about_the_figures(html_of(phase))

    assert (
        "This report leaves out 2 workshops: “Pilot run” (August 5, 2009) and “Dry run” "
        "(August 6, 2009)."
    ) in about


def test_how_the_categories_were_formed(phase):
    about = about_the_figures(html_of(phase))
    assert "Facilitators formed the categories with the participants." in about
    assert "suggestion" not in about

    Statement.objects.filter(text__in=["Staff time", "Hacked accounts"]).update(
        filed_by_suggestion=True
    )
    about = about_the_figures(html_of(phase))
    assert (
        "Facilitators formed the categories with the participants; 2 of 6 categorised "
        "statements were filed from suggestions accepted by a facilitator."
    ) in about

    Statement.objects.filter(text="Hacked accounts").update(filed_by_suggestion=False)
    assert "1 of 6 categorised statements was filed from a suggestion accepted" in (
        about_the_figures(html_of(phase))
    )


def test_a_phase_without_categories_says_nothing_about_forming_them(db):
    from tests.factories import ProjectPhaseFactory

    about = about_the_figures(html_of(ProjectPhaseFactory()))

    assert "formed the categories" not in about


def test_the_cover_dates_follow_the_workshops_covered(phase):
    html = html_of(phase)

    assert '<p class="report-cover-dates">September 2009 – October 2009</p>' in html
