"""The PDF of the sample phase: tagged for assistive technology (PDF/UA-1 as WeasyPrint writes
it) and set so that no heading ends a page and no chart label covers another."""

import io
from itertools import combinations

import pytest
from django.conf import settings
from django.db import transaction

from ctg_workshops.demo import sample_data_load
from ctg_workshops.demo.data import SAMPLE_PHASE_SLUG
from reports.charts import report_figures
from reports.exports import export_pdf
from reports.selectors import report_build
from tests.reports.test_exports import needs_pdf

pytestmark = [needs_pdf, pytest.mark.django_db]

TITLE = "Exploratory Social Media Project — Phase I: summary report"
# Headings are set in DejaVu Sans Bold at 12pt and larger (h4 to h1); the chart labels in the
# same family at about 9.75pt (13 CSS px); body text, tables and captions in DejaVu Serif.
HEADING_FONT, HEADING_SIZE = "DejaVu-Sans-Bold", 11.5
CHART_SIZES = (9.0, 10.5)


@pytest.fixture(scope="module")
def sample(django_db_setup, django_db_blocker):
    """The sample phase's PDF and its figures, made once for the module; the data rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        sample_data_load(with_demo_accounts=False)
        report = report_build(phase=SAMPLE_PHASE_SLUG)
        pdf, figures = export_pdf(report), report_figures(report)
        transaction.set_rollback(True)
    return pdf, figures


def structure_elements(pdf) -> list:
    found, stack = [], [pdf.Root.StructTreeRoot]
    while stack:
        element = stack.pop()
        if "/S" in element:
            found.append(element)
        kids = element.get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, type(pdf.Root.StructTreeRoot.K)) else [kids]:
            if hasattr(kid, "keys"):  # a structure element, not a marked-content number
                stack.append(kid)
    return found


def test_the_pdf_is_tagged_with_language_title_and_pdf_ua_identification(sample):
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(sample[0]))

    assert pdf.Root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in pdf.Root
    assert str(pdf.Root.Lang) == settings.LANGUAGE_CODE
    assert str(pdf.docinfo.Title) == TITLE
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    with pdf.open_metadata() as xmp:
        assert xmp["dc:title"] == TITLE
        assert xmp["pdfuaid:part"] == "1"
    kinds = {str(e.S) for e in structure_elements(pdf)}
    assert {"/Document", "/H1", "/H2", "/H3", "/P", "/L", "/LI", "/Table", "/TH", "/TD"} <= kinds


def test_the_bookmarks_follow_the_headings(sample):
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(sample[0]))
    titles = []
    with pdf.open_outline() as outline:
        stack = list(reversed(outline.root))
        while stack:
            item = stack.pop()
            titles.append(item.title)
            stack.extend(reversed(item.children))

    for heading in [
        "Abstract",
        "Results from the state agency workshop",
        "Issues and concerns",
        "Results from the local government workshop",
        "Appendix A: Value statements by category",
        "Appendix B: Concern statements by category, in rank order",
        "About the figures",
    ]:
        assert heading in titles
    assert "Agenda" not in titles  # h4: not a bookmark


def test_every_figure_has_its_alternative_text(sample):
    import pikepdf

    pdf_bytes, figures = sample
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))

    alts = [str(e.get("/Alt", "")) for e in structure_elements(pdf) if e.S == "/Figure"]

    assert sorted(alts) == sorted(figure.alt for figure in figures)
    assert len(alts) == 3 and all(alts)


def test_table_header_cells_are_tagged_and_data_cells_point_to_them(sample):
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(sample[0]))
    elements = structure_elements(pdf)

    headers = [e for e in elements if e.S == "/TH"]
    cells = [e for e in elements if e.S == "/TD"]
    assert headers and cells
    assert all("/ID" in e for e in headers)
    ids = {str(e.ID) for e in headers}
    for cell in cells:
        assert cell.A.Headers, "a data cell without its headers"
        assert {str(h) for h in cell.A.Headers} <= ids


def lines_of(page) -> list[dict]:
    """The page's text lines, without the page number in the bottom margin."""
    return [
        line
        for line in page.extract_text_lines()
        if line["top"] < page.height - 60  # the @page margin is 2.2cm (62pt)
    ]


def is_heading(line: dict) -> bool:
    chars = [c for c in line["chars"] if c["text"].strip()]
    return all(HEADING_FONT in c["fontname"] and c["size"] >= HEADING_SIZE for c in chars)


def test_no_page_ends_with_a_heading(sample):
    import pdfplumber

    with pdfplumber.open(io.BytesIO(sample[0])) as pdf:
        last = [(n, lines_of(page)[-1]) for n, page in enumerate(pdf.pages, 1) if lines_of(page)]
        headings = sum(1 for page in pdf.pages for line in lines_of(page) if is_heading(line))

    assert headings > 20  # the check sees the headings
    assert [(n, line["text"]) for n, line in last if is_heading(line)] == []


def test_no_chart_label_overlaps_another_in_the_pdf(sample):
    import pdfplumber

    low, high = CHART_SIZES
    seen = 0
    with pdfplumber.open(io.BytesIO(sample[0])) as pdf:
        for page in pdf.pages:
            labels = page.filter(
                lambda o: (
                    o.get("object_type") != "char"
                    or ("DejaVu-Sans" in o["fontname"] and low <= o["size"] <= high)
                )
            ).extract_words(keep_blank_chars=True, x_tolerance=2)
            seen += len(labels)
            for a, b in combinations(labels, 2):
                apart = (
                    a["x1"] <= b["x0"] + 0.5
                    or b["x1"] <= a["x0"] + 0.5
                    or a["bottom"] <= b["top"] + 0.5
                    or b["bottom"] <= a["top"] + 0.5
                )
                assert apart, (page.page_number, a["text"], b["text"])
    assert seen > 30  # the three charts' labels were found


@pytest.mark.parametrize(
    ("heading", "caption"),
    [
        ("Values sought", "Values sought, in reference order"),
        ("Issues and concerns", "Areas of concern ranked by votes, state agency workshop"),
        (
            "Benefits ranked by local government participants",
            "Benefits ranked by votes, local government workshop",
        ),
        (
            "Areas of concern: local and state rankings",
            "Areas of concern: local rank, state rank and local votes",
        ),
    ],
)
def test_a_table_starts_on_the_page_of_its_heading(sample, heading, caption):
    import pdfplumber

    def page_of(text: str) -> int:
        return next(n for n, lines in enumerate(pages) if any(li["text"] == text for li in lines))

    with pdfplumber.open(io.BytesIO(sample[0])) as pdf:
        pages = [lines_of(page) for page in pdf.pages]

    assert page_of(heading) == page_of(caption)
