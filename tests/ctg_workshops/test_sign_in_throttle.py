"""Sign-in throttling (django-axes): guessing a password stops after a few tries, by account and
by address, and the message never says which part was wrong."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", role="staff")


def sign_in(client: Client, username: str, password: str, url: str = ""):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def test_a_hundred_wrong_passwords_then_the_right_one_does_not_sign_in(staff):
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [sign_in(client, "staff", f"guess-{n}").status_code for n in range(100)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form, with its error
    assert set(statuses[limit:]) == {429}
    right = sign_in(client, "staff", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert int(right["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_the_pause_page_says_neither_which_part_was_wrong_nor_whether_the_name_exists(db):
    UserFactory(username="analyst-pat", role="staff")
    for username in ("analyst-pat", "nobody-by-this-name"):
        client = Client(REMOTE_ADDR=f"203.0.113.{len(username)}")
        for n in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, username, f"guess-{n}")
        page = sign_in(client, username, "x").content.decode()
        assert "too many unsuccessful sign-ins for this user name or from this network" in page
        assert username not in page
        assert "password" not in page.split("Wait")[0].lower()


def test_the_account_is_paused_from_every_address(staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), "staff", f"guess-{n}")
    assert sign_in(Client(REMOTE_ADDR="192.0.2.1"), "staff", PASSWORD).status_code == 429
    # Another account signs in from a fresh address as usual.
    UserFactory(username="facilitator-x", role="facilitator")
    response = sign_in(Client(REMOTE_ADDR="192.0.2.2"), "facilitator-x", PASSWORD)
    assert response.status_code == 302


def test_an_address_guessing_many_names_is_paused(staff):
    client = Client(REMOTE_ADDR="203.0.113.99")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"name-{n}", "guess")
    assert sign_in(client, "staff", PASSWORD).status_code == 429


def test_the_admin_sign_in_is_throttled_too(staff):
    client = Client(REMOTE_ADDR="203.0.113.5")
    url = reverse("admin:login")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "staff", f"guess-{n}", url)
    assert sign_in(client, "staff", PASSWORD, url).status_code == 429


def test_a_few_typos_then_the_right_password_signs_in_and_clears_the_count(staff):
    client = Client(REMOTE_ADDR="203.0.113.8")
    for n in range(3):
        assert sign_in(client, "staff", f"typo-{n}").status_code == 200
    assert sign_in(client, "staff", PASSWORD).status_code == 302
    client.logout()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "staff", f"typo-again-{n}")
    assert sign_in(client, "staff", PASSWORD).status_code == 302
