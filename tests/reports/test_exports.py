import csv
import io
import json
import os
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.exports import (
    export_csv,
    export_docx,
    export_json,
    export_pdf,
    export_xlsx,
    pdf_available,
)
from reports.models import ReportExport
from reports.selectors import report_build
from tests.factories import CategoryFactory, StatementFactory

pytestmark = pytest.mark.django_db

# WeasyPrint needs Pango from the system. Where it is missing the PDF tests are skipped, unless
# the run requires the full tool set (CI sets REQUIRE_BROWSER_TESTS=1).
needs_pdf = pytest.mark.skipif(
    not pdf_available() and os.environ.get("REQUIRE_BROWSER_TESTS") != "1",
    reason="PDF export needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
)

PAYLOADS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@needs_pdf
def test_pdf_holds_the_ranking_tables(phase):
    from pypdf import PdfReader

    text = " ".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(export_pdf(report_build(phase=phase)))).pages
    )
    text = " ".join(text.split())
    assert "Exploratory Social Media Project — Phase I" in text
    assert "Areas of concern ranked by votes, state agency workshop" in text
    assert "Local rank State rank Category Votes" in text
    for row in ["1 3 Resources 5", "2 1 Governance 3", "2 2 Security 3", "4 4 Perception 1"]:
        assert row in text, row
    assert "Cheaper than print (E)" in text
    assert "Rude card" not in text


def test_docx_holds_the_ranking_tables(phase):
    from docx import Document

    document = Document(io.BytesIO(export_docx(report_build(phase=phase))))
    tables = {tuple(cell.text for cell in t.rows[0].cells): t for t in document.tables}
    local = tables[("Local rank", "State rank", "Category", "Votes", "State votes")]
    assert [[cell.text for cell in row.cells] for row in local.rows[1:]] == [
        ["1", "2", "Security", "6", "3"],
        ["2", "1", "Resources", "4", "5"],
        ["2", "4", "Perception", "4", "1"],
        ["4", "2", "Governance", "0", "3"],
    ]
    state = tables[("Rank", "No.", "Category", "Votes", "Description", "Statements")]
    assert [row.cells[2].text for row in state.rows[1:]] == [
        "Resources",
        "Governance",
        "Security",
        "Perception",
    ]
    paragraphs = [p.text for p in document.paragraphs]
    assert "An exploratory study." in paragraphs
    assert "Cheaper than print (E)" in paragraphs


def test_xlsx_made_from_formula_payloads_has_no_formula_cells(phase):
    from openpyxl import load_workbook

    session = phase.workshops.get(kind="state").sessions.get(purpose="values")
    for n, payload in enumerate(PAYLOADS):
        category = CategoryFactory(session=session, reference_number=10 + n, name=payload)
        StatementFactory(session=session, category=category, text=payload)

    workbook = load_workbook(io.BytesIO(export_xlsx(report_build(phase=phase))))

    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = [cell.value for cell in cells if isinstance(cell.value, str)]
    for payload in PAYLOADS:
        assert "'" + payload in values
        assert payload not in values
    assert {"Workshops", "State concerns", "Local concerns", "All statements", "All dots"} <= set(
        workbook.sheetnames
    )
    # 12 dots on the state concerns, 3 on the local benefits, 14 on the local concerns
    assert workbook["All dots"].max_row - 1 == 12 + 3 + 14


def test_csv_export_has_a_file_per_table_and_neutralised_cells(phase):
    session = phase.workshops.get(kind="state").sessions.get(purpose="values")
    StatementFactory(session=session, category=session.categories.first(), text="=1+1")
    archive = zipfile.ZipFile(io.BytesIO(export_csv(report_build(phase=phase))))
    assert "esmp-local_concerns.csv" in archive.namelist()
    rows = list(
        csv.reader(io.StringIO(archive.read("esmp-local_concerns.csv").decode("utf-8-sig")))
    )
    assert rows[0] == [
        "Local rank", "State rank", "Category", "Votes", "Of which on paper", "State votes",
    ]  # fmt: skip
    assert rows[1] == ["1", "2", "Security", "6", "0", "3"]
    appendix = archive.read("esmp-appendix_a.csv").decode("utf-8-sig")
    assert "'=1+1" in appendix and ",=1+1" not in appendix


def test_json_export_has_every_table(phase):
    document = json.loads(export_json(report_build(phase=phase)))
    assert set(document["tables"]) == {
        "workshops", "agenda", "state_values", "state_concerns", "local_benefits",
        "local_concerns", "overlap", "appendix_a", "appendix_b",
    }  # fmt: skip
    assert document["tables"]["state_concerns"][1] == {
        "Rank": 2, "No.": 1, "Category": "Governance", "Votes": 3, "Of which on paper": 0,
        "Description": "About Governance", "Statements": 1,
    }  # fmt: skip
    assert document["narrative"]["abstract"] == "An **exploratory** study."
    assert document["hidden_statements_left_out"] == 1


@pytest.mark.parametrize(
    "fmt", ["html", pytest.param("pdf", marks=needs_pdf), "docx", "xlsx", "csv", "json"]
)
def test_staff_download_every_format_as_an_attachment_and_it_is_recorded(
    client, staff_user, phase, fmt
):
    client.force_login(staff_user)
    response = client.get(reverse("reports:export", args=[phase.slug, fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="esmp-summary-report.')
    assert "no-store" in response["Cache-Control"]
    export = ReportExport.objects.get()
    assert (export.phase, export.format, export.user, export.via) == (phase, fmt, staff_user, "web")
    assert export.size_bytes == len(response.content) > 0


def test_facilitators_cannot_export(client, facilitator, phase):
    client.force_login(facilitator)
    assert client.get(reverse("reports:export", args=[phase.slug, "pdf"])).status_code == 403
    assert client.get(reverse("reports:report", args=[phase.slug])).status_code == 403
    assert not ReportExport.objects.exists()


def test_unknown_format_is_not_found(client, staff_user, phase):
    client.force_login(staff_user)
    assert client.get(reverse("reports:export", args=[phase.slug, "exe"])).status_code == 404


def test_export_command_writes_the_file_and_records_it(phase, tmp_path, capsys):
    output = tmp_path / "report.json"
    call_command("export_report", "esmp", "--format", "json", "--output", str(output))
    assert json.loads(output.read_text())["phase"]["slug"] == "esmp"
    assert ReportExport.objects.get().via == "command"
    assert capsys.readouterr().out.startswith(f"Wrote {output}")


def test_export_command_names_the_known_phases(phase, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"No phase called 'nope'\. Known phases: esmp\."):
        call_command("export_report", "nope", "--format", "pdf", "--output", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
