"""Names in the report only with consent: a participant's name, organisation, role or e-mail
appear nowhere in the report or its exports unless they consented to be named and their identity
was not erased."""

import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.exports import EXPORTERS
from reports.selectors import report_build
from responses.models import Participant
from tests.factories import DotFactory, ParticipantFactory, StatementFactory
from tests.reports.test_exports import needs_pdf

pytestmark = pytest.mark.django_db

# Distinctive, so a leak cannot hide behind a common word.
SECRET = {
    "name": "Zebulon Quillfeather",
    "role": "Chief Quill Officer",
    "email": "zebulon.quillfeather@example.org",
}
ERASED_NAME = "Ermintrude Vanished"
NAMED = "Pat Consenting-Named"


@pytest.fixture
def people(phase):
    """On the state concern "Security": a participant who did not consent, one who consented
    but was later erased (their name still on the record, to test the rule, not the erasure),
    and one who consented; each placed a dot and wrote a statement."""
    security = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Security")
    )
    workshop = security.session.workshop
    now = timezone.now()
    participants = {
        "secret": ParticipantFactory(workshop=workshop, organisation="Quill Bureau", **SECRET),
        "erased": ParticipantFactory(
            workshop=workshop,
            name=ERASED_NAME,
            consent_to_be_named=True,
            consent_recorded_at=now,
            erased_at=now,
        ),
        "named": ParticipantFactory(
            workshop=workshop,
            name=NAMED,
            organisation="Office of Parks",
            consent_to_be_named=True,
            consent_recorded_at=now,
        ),
    }
    for key, participant in participants.items():
        DotFactory(category=security, participant=participant)
        StatementFactory(
            session=security.session, category=security, participant=participant, text=f"By {key}"
        )
    return security, participants


def readable(fmt: str, content: bytes) -> str:
    """The text a reader of the file could see: ZIP-based formats are unzipped and every
    entry read (the XML of Word and Excel files, the CSV files)."""
    if fmt in ("docx", "xlsx", "csv"):
        archive = zipfile.ZipFile(io.BytesIO(content))
        return "\n".join(
            archive.read(name).decode("utf-8-sig", errors="replace") for name in archive.namelist()
        )
    if fmt == "pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        return " ".join(page.extract_text() for page in reader.pages)
    return content.decode("utf-8")


def assert_no_secret(text: str) -> None:
    for value in [*SECRET.values(), ERASED_NAME]:
        assert value not in text, value


@pytest.mark.parametrize(
    "fmt", ["html", pytest.param("pdf", marks=needs_pdf), "docx", "xlsx", "csv", "json"]
)
def test_no_export_names_a_participant_without_consent(phase, people, fmt):
    render, _content_type, _extension = EXPORTERS[fmt]
    text = readable(fmt, render(report_build(phase=phase)))
    assert_no_secret(text)
    assert "By secret" in text  # what they wrote is still quoted, without their name
    # Exports identify nobody: even the consenting participant is not named in them.
    assert NAMED not in text


def test_the_workbooks_records_name_participants_by_number_only(phase, people):
    from openpyxl import load_workbook

    _security, participants = people
    workbook = load_workbook(io.BytesIO(EXPORTERS["xlsx"][0](report_build(phase=phase))))
    statements = {
        row[4].value: row[7].value for row in workbook["All statements"].iter_rows(min_row=2)
    }
    assert statements["By secret"] == participants["secret"].pk
    assert statements["By named"] == participants["named"].pk


def test_web_pages_name_only_those_who_consented(client, staff_user, phase, people):
    security, participants = people
    client.force_login(staff_user)
    workshop = security.session.workshop
    report = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    dots = client.get(reverse("reports:trace_category", args=[phase.slug, security.pk]))
    attendance = client.get(reverse("reports:trace_workshop", args=[phase.slug, workshop.pk]))
    for page in (report, dots.content.decode(), attendance.content.decode()):
        assert_no_secret(page)
    assert NAMED not in report

    labels = [label for _dot, label in dots.context["dots"]]
    assert NAMED in labels
    assert f"Participant {participants['secret'].reference}" in labels
    assert f"Participant {participants['erased'].reference}" in labels
    assert f"<td>{NAMED}</td>" in dots.content.decode()

    rows = {
        p.pk: (label, organisation) for p, label, organisation in attendance.context["participants"]
    }
    assert rows[participants["named"].pk] == (NAMED, "Office of Parks")
    # Without consent the organisation is not set beside the person either; it is only in the
    # list of organisations behind the attendance count.
    assert rows[participants["secret"].pk] == (
        f"Participant {participants['secret'].reference}",
        "",
    )
    assert rows[participants["erased"].pk] == (
        f"Participant {participants['erased'].reference}",
        "",
    )
    assert f"<td>{NAMED}</td><td>Office of Parks</td>" in attendance.content.decode()


def test_consent_alone_does_not_name_an_erased_participant(people):
    from reports.selectors import may_be_named

    _security, participants = people
    assert [may_be_named(Participant.objects.get(pk=p.pk)) for p in participants.values()] == [
        False,
        False,
        True,
    ]
