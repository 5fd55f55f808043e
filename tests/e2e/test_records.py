"""Staff bring a paper workshop in from a spreadsheet, watching its progress, and take it out."""

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from reports.records.layout import SHEETS_BY_NAME
from responses.models import PaperDotTally, Statement
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def paper_workshop(statements: int) -> bytes:
    book = Workbook()
    book.remove(book.active)
    rows = {
        "phases": [{"phase": "esmp-2", "title": "Phase II"}],
        "workshops": [
            {"workshop": "albany-1", "phase": "esmp-2", "title": "Albany town hall",
             "kind": "local", "date": "2010-03-04"},
        ],
        "sessions": [
            {"workshop": "albany-1", "session": 1, "title": "Concerns",
             "prompt": "What worries you?", "purpose": "concerns"},
        ],
        "categories": [
            {"workshop": "albany-1", "session": 1, "category": 1, "name": "Staff time"},
        ],
        "statements": [
            {"workshop": "albany-1", "session": 1, "text": f"Paper card {n}", "category": 1}
            for n in range(statements)
        ],
        "paper_dots": [{"workshop": "albany-1", "session": 1, "category": 1, "count": 31}],
    }  # fmt: skip
    for name, records in rows.items():
        sheet = book.create_sheet(name)
        columns = SHEETS_BY_NAME[name].column_names
        sheet.append(list(columns))
        for record in records:
            sheet.append([record.get(column) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_staff_import_a_paper_workshop_with_progress_and_export_it(
    transactional_db, open_browser, audit, tmp_path
):
    sam = UserFactory(username="sam", role="staff", first_name="Sam")
    broken = tmp_path / "statements.csv"
    broken.write_text("workshop,session,text\r\nnowhere,1,Card\r\n")
    good = tmp_path / "albany.xlsx"
    good.write_bytes(paper_workshop(10_000))
    person = open_browser()
    person.login_as(sam)
    page = person.page

    page.goto("/reports/")
    page.get_by_role("link", name=re.compile("Records in and out")).click()
    page.get_by_label("Records file").set_input_files(str(broken))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="1 problem: nothing was imported")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("No workshop “nowhere”"))).to_contain_text("2")

    page.get_by_role("link", name="Back to records in and out").click()
    page.get_by_label("Records file").set_input_files(str(good))
    # What the page shows while the server checks the file (the page is replaced when it ends).
    shown: list[str] = []
    page.on("console", lambda message: shown.append(message.text))
    page.evaluate(
        """() => {
            const text = document.querySelector("[data-records-progress-text]");
            new MutationObserver(() => console.log(text.textContent))
                .observe(text, {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Import it?")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("row", name=re.compile("^statements"))).to_contain_text("10000")
    assert any(re.fullmatch(r"statements: [\d,]+ of 10,005 rows", text) for text in shown), shown
    assert Statement.objects.count() == 0

    page.get_by_role("button", name="Import the records").click()
    expect(page.get_by_text("The records were imported.")).to_be_visible(timeout=30_000)
    assert Statement.objects.count() == 10_000
    assert PaperDotTally.objects.get().count == 31

    page.get_by_role("link", name="Back to records in and out").click()
    page.get_by_label("Records of").select_option(label="Phase II")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the records").click()
    assert info.value.suggested_filename == "records-esmp-2.xlsx"
