"""The Word file to send: real headings, properties naming the organisation, dates in words,
charts with alternative text; and, converted by LibreOffice, a contents entry per section,
page numbers and the charts as images."""

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile

import pytest

from reports import formats
from reports.charts import report_figures
from reports.exports import export_docx
from reports.models import ReportNarrative
from reports.selectors import report_build
from sessions.models import ProjectPhase

pytestmark = pytest.mark.django_db

SECTIONS = [
    "Abstract",
    "Introduction",
    "Project overview",
    "Exploratory Social Media Project — Phase I: project design",
    "Government professional workshops",
    "Results from the state agency workshop",
    "Results from the local government workshop",
    "Concluding remarks",
    "Appendix A: Value statements by category",
    "Appendix B: Concern statements by category, in rank order",
    "Appendix C: Project description",
    "About the figures",
]


@pytest.fixture
def written(phase):
    """The fixture's phase with every narrative section written and an organisation."""
    ProjectPhase.objects.filter(pk=phase.pk).update(
        organisation="Center for Technology in Government, University at Albany"
    )
    ReportNarrative.objects.filter(phase=phase).update(
        introduction="Why we asked.",
        project_overview="What the project is.",
        project_design="Three activities.",
        workshops_framing="Social media, broadly.",
        appendix_c="The project description.",
    )
    return report_build(phase=phase)


def word(report):
    from docx import Document

    return Document(io.BytesIO(export_docx(report)))


def headings(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def test_every_section_is_a_real_heading_in_the_web_pages_order(written):
    document = word(written)

    assert headings(document, "Title") == ["Exploratory Social Media Project — Phase I"]
    assert headings(document, "Heading 1") == SECTIONS
    assert headings(document, "Heading 2") == [
        "State agency workshop",
        "Local government workshop",
        "Values sought",
        "Issues and concerns",
        "Benefits ranked by local government participants",
        "Areas of concern: local and state rankings",
        "How far the two rankings overlap",
        "1. Cost savings",
        "2. Enhanced collaboration",
        "Not put in a category",
        "Resources (5 votes)",
        "Governance (3 votes)",
        "Security (3 votes)",
        "Perception (1 vote)",
    ]
    assert headings(document, "Heading 3") == ["Agenda", "Agenda"]


def test_an_empty_narrative_section_leaves_no_bare_heading(phase):
    # The fixture writes only the abstract and the concluding remarks.
    assert headings(word(report_build(phase=phase)), "Heading 1") == [
        "Abstract",
        "Exploratory Social Media Project — Phase I: project design",
        "Government professional workshops",
        "Results from the state agency workshop",
        "Results from the local government workshop",
        "Concluding remarks",
        "Appendix A: Value statements by category",
        "Appendix B: Concern statements by category, in rank order",
        "About the figures",
    ]


@pytest.mark.parametrize(
    ("setting", "organisation"),
    [
        ("", "Center for Technology in Government, University at Albany"),
        ("CTG UAlbany", "CTG UAlbany"),
    ],
)
def test_the_properties_name_the_report_and_the_organisation(
    written, settings, setting, organisation
):
    settings.REPORT_ORGANISATION = setting
    content = export_docx(written)
    properties = word(written).core_properties

    assert (properties.title, properties.subject) == (
        "Exploratory Social Media Project — Phase I",
        "Workshop summary report",
    )
    assert (properties.author, properties.last_modified_by) == (organisation, organisation)
    assert (properties.comments, properties.language) == ("", "en-US")
    built = written.generated_at.astimezone(dt.UTC).replace(microsecond=0)
    assert properties.created == properties.modified == built
    app = zipfile.ZipFile(io.BytesIO(content)).read("docProps/app.xml").decode()
    assert f"<Company>{organisation}</Company>" in app
    for name in zipfile.ZipFile(io.BytesIO(content)).namelist():
        text = zipfile.ZipFile(io.BytesIO(content)).read(name)
        assert b"python-docx" not in text, name
        assert b"Macintosh" not in text, name


def test_every_style_and_the_defaults_are_in_the_documents_language(written):
    styles = zipfile.ZipFile(io.BytesIO(export_docx(written))).read("word/styles.xml").decode()
    defaults = re.search(r"<w:docDefaults>.*</w:docDefaults>", styles, re.S).group(0)
    assert '<w:lang w:val="en-US" w:eastAsia="en-US" w:bidi="en-US"/>' in defaults
    for style in ("Normal", "Title", "Heading1", "Heading2"):
        block = re.search(rf'w:styleId="{style}".*?</w:style>', styles, re.S).group(0)
        assert 'w:lang w:val="en-US"' in block, style


def test_dates_and_times_are_written_as_people_write_them(written):
    document = word(written)
    paragraphs = [p.text for p in document.paragraphs]
    assert "Date: Thursday, September 17, 2009" in paragraphs
    assert "Date: Tuesday, October 20, 2009" in paragraphs
    assert "Time: 8:30 a.m.–10:30 a.m." in paragraphs
    assert "September 2009 – October 2009" in paragraphs  # the cover: the workshops' months
    activities = document.tables[0]
    assert [cell.text for cell in activities.rows[0].cells] == [
        "Activity", "Kind", "Date", "Venue",
    ]  # fmt: skip
    assert activities.rows[1].cells[2].text == "September\u00a017,\u00a02009"
    xml = zipfile.ZipFile(io.BytesIO(export_docx(written))).read("word/document.xml").decode()
    assert "2009-09-17" not in xml and "08:30" not in xml


def test_attendance_reads_as_words_never_as_an_internal_field(written):
    unrecorded = dataclasses.replace(
        written.workshops[0], attendance_recorded=False, people=None, organisations=None
    )
    report = dataclasses.replace(written, workshops=(unrecorded, *written.workshops[1:]))
    content = export_docx(report)
    paragraphs = [p.text for p in word(report).paragraphs]

    assert "Attendance: not recorded" in paragraphs
    assert "Attendance: 31 people from 25 organisations (as reported by the facilitators)" in (
        paragraphs
    )
    text = "\n".join(
        zipfile.ZipFile(io.BytesIO(content)).read(name).decode()
        for name in zipfile.ZipFile(io.BytesIO(content)).namelist()
        if name.endswith(".xml")
    )
    assert "Attendance source" not in text
    assert "0 people" not in text


def test_tables_have_a_caption_before_them_and_a_header_row_on_every_page(written):
    document = word(written)
    body = document.element.body
    for table in document.tables:
        caption = table._tbl.getprevious()
        assert caption.style == "Caption", table.rows[0].cells[0].text
        assert (
            table._tbl.tr_lst[0].trPr.find(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader"
            )
            is not None
        )
    assert len(body.findall(".//{*}tbl")) == len(document.tables) == 6


def test_about_the_figures_says_zero_in_words_and_how_categories_were_formed(written):
    pilot = dataclasses.replace(written.workshops[0], title="Pilot run", practice=True)
    quiet = dataclasses.replace(
        written,
        hidden_statements=0,
        categorised_statements=12,
        filed_from_suggestions=3,
        left_out=(pilot,),
    )
    paragraphs = [p.text for p in word(quiet).paragraphs]
    # The last "About the figures": the first is its entry in the contents.
    about = paragraphs[len(paragraphs) - paragraphs[::-1].index("About the figures") :]

    built = f"Built on {formats.moment(written.generated_at)}"
    assert about[1:] == [
        "Every number comes from the workshop records. No statement was hidden by a facilitator.",
        built if built.endswith(".") else built + ".",
        f"This report leaves out the practice workshop “Pilot run” ({formats.day(pilot.date)}).",
        "Facilitators formed the categories with the participants; 3 of 12 categorised "
        "statements were filed from suggestions accepted by a facilitator.",
    ]
    assert not any(re.match(r"0 statements", p) for p in paragraphs)


def test_every_chart_is_a_picture_with_its_alternative_text(written):
    document = word(written)
    pictures = document.element.body.findall(".//{*}inline/{*}docPr")
    figures = report_figures(written)

    assert [figure.key for figure in figures] == ["state_concerns", "local_benefits", "slope"]
    assert [(p.get("title"), p.get("descr")) for p in pictures] == [
        (figure.title, figure.alt) for figure in figures
    ]
    assert all(figure.alt for figure in figures)


# --- Converted by LibreOffice -------------------------------------------------------------------

TOOLS = ("soffice", "pdftotext", "pdfimages")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]


@pytest.fixture
def converted(written, tmp_path):
    """The Word file as LibreOffice prints it: the PDF's text, page by page, and its images.
    Where LibreOffice or poppler-utils is missing the test is skipped, unless the run requires
    the full tool set (CI sets REQUIRE_BROWSER_TESTS=1, and .ci/run installs them)."""
    if MISSING:
        message = f"the Word file's check needs {', '.join(MISSING)} (libreoffice-writer-nogui, "
        message += "poppler-utils)"
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail("REQUIRE_BROWSER_TESTS=1 but " + message)
        pytest.skip(message)
    source = tmp_path / "report.docx"
    source.write_bytes(export_docx(written))
    # A LibreOffice profile of its own, so parallel test workers never share one.
    profile = f"-env:UserInstallation=file://{tmp_path}/profile"
    run("soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", tmp_path, source)
    pdf = tmp_path / "report.pdf"
    text = run("pdftotext", "-layout", pdf, "-")
    images = run("pdfimages", "-list", pdf)
    return text.split("\f")[:-1], images.splitlines()[2:]


def run(tool: str, *arguments) -> str:
    command = [shutil.which(tool), *map(str, arguments)]
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        command, check=True, capture_output=True, text=True, timeout=180
    )
    return done.stdout


def test_libreoffice_prints_a_contents_page_numbers_and_the_charts(converted):
    pages, images = converted

    cover = " ".join(pages[0].split())
    contents = cover[cover.index("Contents") :]
    positions = [contents.find(section) for section in SECTIONS]
    assert -1 not in positions, dict(zip(SECTIONS, positions, strict=True))
    assert positions == sorted(positions)
    assert "Page 1 of" not in pages[0]
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in page, number
    assert len(images) >= 3  # the three charts (a picture may come with its soft mask)
