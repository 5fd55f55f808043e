"""Staff write the report's narrative and take the report in every format."""

import pytest
from playwright.sync_api import expect

from reports.models import ReportExport
from sessions.models import ProjectPhase
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def test_staff_edit_the_narrative_and_download_every_format(
    transactional_db, open_browser, audit, tmp_path
):
    from django.core.management import call_command

    call_command("load_sample_data", verbosity=0)
    phase = ProjectPhase.objects.get(slug="esmp-phase-1")
    sam = UserFactory(username="sam", role="staff", first_name="Sam")
    person = open_browser()
    person.login_as(sam)
    page = person.page

    page.goto("/")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name=phase.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(phase.title)
    expect(
        page.get_by_role("table", name="Areas of concern ranked by votes, state agency workshop")
    ).to_be_visible()

    page.get_by_role("link", name="Edit the narrative").click()
    page.get_by_label("Concluding remarks").fill("Phase II will centre on the **eight concerns**.")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview (not saved yet)")
    expect(preview.get_by_text("eight concerns", exact=True)).to_be_visible()
    audit(page, name="reports:narrative")
    page.get_by_role("button", name="Save the narrative").click()
    expect(page.get_by_text("The narrative is saved.")).to_be_visible()
    expect(page.locator("#conclusions strong")).to_have_text("eight concerns")

    sizes = {}
    for label, extension in [
        ("HTML", "html"), ("PDF", "pdf"), ("Word (.docx)", "docx"),
        ("Excel workbook (.xlsx)", "xlsx"), ("CSV files (.zip)", "csv.zip"), ("JSON", "json"),
    ]:  # fmt: skip
        with page.expect_download() as info:
            page.get_by_role("link", name=label, exact=True).click()
        download = info.value
        assert download.suggested_filename == f"esmp-phase-1-summary-report.{extension}"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        sizes[extension] = path.stat().st_size
    assert all(size > 1000 for size in sizes.values()), sizes
    assert sorted(ReportExport.objects.values_list("format", flat=True)) == sorted(
        ["html", "pdf", "docx", "xlsx", "csv", "json"]
    )
    pdf = (tmp_path / "esmp-phase-1-summary-report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")


def test_exported_html_is_valid(transactional_db, html_checker):
    from django.core.management import call_command

    from reports.exports import export_html
    from reports.selectors import report_build

    call_command("load_sample_data", verbosity=0)
    html = export_html(report_build(phase="esmp-phase-1")).decode()
    assert html_checker.errors(html) == []
