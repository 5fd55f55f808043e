"""Failing closed: an unexpected error shows a plain page, and logs cannot be forged."""

import logging
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from ctg_workshops.logging import SingleLineFormatter
from tests.factories import PlenarySessionFactory, UserFactory


@pytest.mark.django_db
def test_a_crash_shows_a_generic_page_without_details(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(role="facilitator"))
    with mock.patch(
        "ctg_workshops.views.workshop_list_for", side_effect=RuntimeError("secret table xyz")
    ):
        response = client.get(reverse("home"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Traceback" not in body and "secret table xyz" not in body and "RuntimeError" not in body


@pytest.mark.django_db
def test_a_crash_while_storing_a_card_leaves_no_half_record(settings):
    from responses.models import Statement

    settings.DEBUG = False
    session = PlenarySessionFactory(phase="collecting")
    client = Client(raise_request_exception=False)
    client.post(reverse("responses:session", args=[session.join_code]), {"anonymous": "1"})
    # The history event after the insert fails: the card must not stay without it.
    with mock.patch("responses.services.audit_record", side_effect=RuntimeError("disk")):
        response = client.post(
            reverse("responses:statement_create", args=[session.join_code]),
            {"text": "Lost?", "idempotency_key": "0b8f7a0e-3f0c-4b5e-9a59-0d3c2b1a0f9e"},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 500
    assert not Statement.objects.exists()


def format_record(message: str, *args) -> str:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, message, args, None)
    return SingleLineFormatter("%(levelname)s %(message)s").format(record)


def test_newlines_in_logged_input_cannot_forge_a_line():
    line = format_record("Not Found: %s", "/s/x\nINFO admin logged in\r\x1b[31m")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line == "WARNING Not Found: /s/x\\nINFO admin logged in\\r\\x1b[31m"


def test_tracebacks_stay_on_the_records_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = SingleLineFormatter("%(message)s").format(record)
    assert "\n" not in text
    assert text.startswith("failed\\nTraceback (most recent call last):\\n")
    assert text.endswith("ValueError: bad\\nvalue")


@pytest.mark.django_db
def test_nul_characters_are_dropped_from_every_form(client):
    from responses.models import Category
    from tests.factories import PlenarySessionFactory, WorkshopFactory

    facilitator = UserFactory(role="facilitator")
    session = PlenarySessionFactory(workshop=WorkshopFactory(facilitators=[facilitator]))
    client.force_login(facilitator)
    url = reverse("facilitation:category_create", args=[session.workshop_id, session.pk])
    response = client.post(url, {"name": "Secu\x00rity", "description": "a\x00b"})
    assert response.status_code == 302
    assert list(Category.objects.values_list("name", "description")) == [("Security", "ab")]
    assert client.get(reverse("responses:join"), {"code": "AB\x00C"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept, kind", [("text/html", "text/html"), ("application/json", "application/json")]
)
def test_an_unreachable_database_answers_503_with_retry_after(accept, kind):
    from django.db import OperationalError

    client = Client(raise_request_exception=False)
    with mock.patch(
        "responses.views.session_and_participant",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/s/ABCDEF/", HTTP_ACCEPT=accept)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith(kind)
    assert "database" in response.content.decode()
    assert "connection refused" not in response.content.decode()
