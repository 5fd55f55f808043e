"""Where text enters the site besides forms: the path, cookies and headers; control characters
in any field; the Permissions-Policy; CSP violation reports."""

import json
import logging

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from ctg_workshops.middleware import PERMISSIONS_POLICY
from responses.models import Participant
from tests.factories import ParticipantFactory, PlenarySessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(db):
    return PlenarySessionFactory(phase="collecting")


@pytest.mark.parametrize(
    "path",
    [
        "/s/%00ABCDE/",
        "/s/AB%00CD/status/",
        "/s/AB%00CD/qr.svg",
        "/s/%00/profile/",
        "/s/AB%00CD/statements/",
        "/published/%00abc/",
        "/workshops/%00/",
        "/s/" + "A" * 5000 + "/",
    ],
)
def test_a_path_with_a_nul_or_of_any_length_is_simply_not_found(client, path):
    # On PostgreSQL these were DataError tracebacks and a 500 ("NUL characters not allowed").
    assert client.get(path).status_code == 404
    assert client.post(path).status_code in (403, 404)  # CSRF may answer first


def test_a_participant_cookie_with_a_nul_is_no_participant(client, session):
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = "\x00abc"
    page = client.get(reverse("responses:session", args=[session.join_code]))
    assert page.status_code == 200
    assert b"Join anonymously" in page.content


def test_a_participant_cookie_too_long_for_the_column_still_lets_the_browser_join(client, session):
    # A cookie over 64 characters broke joining: "value too long for type character varying".
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = "x" * 65
    url = reverse("responses:session", args=[session.join_code])
    response = client.post(url, {"anonymous": "1"})
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert len(participant.token) == 32
    assert client.cookies[settings.PARTICIPANT_COOKIE_NAME].value == participant.token


def test_a_session_cookie_with_a_nul_is_ignored(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "\x00" + "a" * 31
    client.cookies[settings.CSRF_COOKIE_NAME] = "\x01" * 32
    assert client.get(reverse("home")).status_code == 200


def test_a_known_participant_with_a_valid_token_is_recognised(client, session):
    participant = ParticipantFactory(workshop=session.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    page = client.get(reverse("responses:session", args=[session.join_code]))
    assert page.context["participant"] == participant


def test_control_characters_are_removed_from_every_field_as_it_arrives(client, session):
    url = reverse("responses:session", args=[session.join_code])
    client.post(
        url,
        {
            "profile": "1",
            "name": "Ada\x00 Lovelace\x1b",
            "organisation": '\x01=HYPERLINK("https://evil.example/","x")',
            "role": "Analyst\x7f\x85",
            "email": "",
            "level_of_government": "state",
            "consent": "yes",
        },
    )
    participant = Participant.objects.get()
    assert participant.name == "Ada Lovelace"
    assert participant.organisation == '=HYPERLINK("https://evil.example/","x")'
    assert participant.role == "Analyst"


def test_tabs_and_line_breaks_survive_the_input_filter(client, session):
    participant = ParticipantFactory(workshop=session.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    url = reverse("responses:statement_create", args=[session.join_code])
    response = client.post(
        url,
        {
            "text": "First line\r\nsecond\x00 line",
            "use": "",
            "idempotency_key": "0b8f5c8e-3f4e-4d8f-9a41-7e2f0e2b1c11",
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    assert response.json()["statement"]["text"] == "First line\nsecond line"


def test_every_response_carries_a_permissions_policy(client):
    response = client.get(reverse("home"))
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    policy = dict(part.split("=", 1) for part in PERMISSIONS_POLICY.split(", "))
    assert policy["camera"] == policy["microphone"] == policy["geolocation"] == "()"
    assert policy["fullscreen"] == "(self)"  # the live board's full-screen button


def test_the_policy_asks_browsers_to_report_violations(client):
    response = client.get(reverse("home"))
    assert response["Content-Security-Policy"].endswith("; report-uri /csp-report/")


def report(client, body, content_type="application/csp-report", **extra):
    return client.generic("POST", reverse("csp_report"), body, content_type=content_type, **extra)


def test_a_csp_report_is_logged_as_one_escaped_line(caplog):
    client = Client(enforce_csrf_checks=True)  # browsers send no CSRF token with a report
    body = json.dumps(
        {
            "csp-report": {
                "document-uri": "https://workshops.example.org/s/ABCDEF/",
                "violated-directive": "script-src 'self'",
                "blocked-uri": "inline\nFAKE LOG LINE",
                "script-sample": "secret text someone typed",
            }
        }
    )
    with caplog.at_level(logging.WARNING, logger="ctg_workshops.views"):
        response = report(client, body)
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "ctg_workshops.views"]
    line = record.getMessage()
    assert "script-src 'self'" in line
    assert "\n" not in line and "\\nFAKE LOG LINE" in line
    assert "secret text" not in line  # only the known fields, never a sample of the page


def test_reporting_api_reports_are_logged_too(client, caplog):
    body = json.dumps(
        [{"type": "csp-violation", "body": {"effectiveDirective": "img-src", "blockedURL": "x"}}]
    )
    with caplog.at_level(logging.WARNING, logger="ctg_workshops.views"):
        assert report(client, body, "application/reports+json").status_code == 204
    assert "img-src" in caplog.records[-1].getMessage()


def test_csp_reports_are_bounded_in_size_and_rate(client, caplog, rate_window):
    other = Client(REMOTE_ADDR="198.51.100.1")
    assert report(other, "x" * 20_000).status_code == 413
    assert report(other, "not json").status_code == 204
    assert other.get(reverse("csp_report")).status_code == 405
    body = json.dumps({"csp-report": {"violated-directive": "style-src"}})
    caplog.clear()
    with override_settings(CSP_REPORTS_PER_MINUTE=3), caplog.at_level(logging.WARNING):
        statuses = [report(client, body).status_code for _ in range(5)]
    assert statuses == [204] * 5
    assert sum("csp violation" in r.getMessage() for r in caplog.records) == 3


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_unread(client, path, length):
    return client.generic(
        "POST",
        path,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
    )


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, session):
    # Every POST body used to be parsed (a 300 MB multipart to a temporary file) before any
    # check could refuse it, the CSP endpoint's own limit included.
    big = settings.REQUEST_MAX_BYTES + 1
    assert post_unread(client, "/csp-report/", 20_000).status_code == 413
    for path in ("/join/", f"/s/{session.join_code}/", "/reports/records/upload/"):
        assert post_unread(client, path, big).status_code == 413, path
    # A page that does not exist reads no body either.
    assert post_unread(client, "/no-such-page/", 1_000).status_code == 404


def test_a_nested_json_bomb_is_no_report(client):
    assert report(client, "[" * 6000 + "]" * 6000).status_code == 204
