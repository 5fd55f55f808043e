"""Telling participants that the report is published: who is queued, what is sent, once; the
opt-out link; retries; the staff record; consent on the profile form; erasure."""

import datetime as dt
import re
import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from reports import notifications
from reports.models import Notification, Publication
from reports.notifications import (
    SendResult,
    notifications_kick,
    notifications_send_due,
    opt_out_token,
    participant_opt_out,
    publication_notify,
)
from responses.forms import ProfileForm
from responses.models import Participant
from responses.privacy import participant_data, participant_erase
from tests.factories import (
    ParticipantFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    UserFactory,
    WorkshopFactory,
)

NOW = dt.datetime(2009, 11, 2, 9, 0, tzinfo=dt.UTC)


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


FAILING = "tests.reports.test_notifications.FailingBackend"


def later(**delta) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


def consenting(workshop, email: str, **kwargs) -> Participant:
    return ParticipantFactory(
        workshop=workshop,
        email=email,
        consent_to_contact=True,
        contact_consent_at=NOW - dt.timedelta(days=40),
        **kwargs,
    )


def publish(phase, title: str = "Exploratory Social Media Project: summary report") -> Publication:
    return Publication.objects.create(
        phase=phase, title=title, body_html="<p>The report.</p>", etag="e1"
    )


def withdraw(publication: Publication) -> None:
    publication.withdrawn_at = timezone.now()
    publication.save(update_fields=["withdrawn_at"])


def opt_out_link(message) -> str:
    """The opt-out URL in a message's text, as a path for the test client."""
    (url,) = re.findall(r"^(http\S+/notifications/opt-out/\S+/)$", message.body, re.MULTILINE)
    assert url.startswith(settings.SITE_URL)
    return url.removeprefix(settings.SITE_URL)


@pytest.fixture
def world(db):
    phase = ProjectPhaseFactory(title="Exploratory Social Media Project — Phase I", slug="esmp")
    state = WorkshopFactory(phase=phase, title="State agency workshop")
    local = WorkshopFactory(phase=phase, title="Local government workshop")
    cancelled = WorkshopFactory(phase=phase, title="Cancelled workshop", status="cancelled")
    elsewhere = WorkshopFactory(title="Another phase's workshop")
    people = {
        "ann": consenting(state, "ann@example.org"),
        "bob": consenting(local, "bob@example.org"),
        "no consent": ParticipantFactory(workshop=state, email="carl@example.org"),
        "opted out": consenting(
            state, "dora@example.org", contact_opted_out_at=NOW - dt.timedelta(days=1)
        ),
        "erased": consenting(state, "erin@example.org", erased_at=NOW - dt.timedelta(days=1)),
        "anonymous": ParticipantFactory(workshop=state),
        "cancelled workshop": consenting(cancelled, "fay@example.org"),
        "other phase": consenting(elsewhere, "gus@example.org"),
    }
    return {"phase": phase, "state": state, "people": people}


def queued(phase) -> list[tuple[str, str, str]]:
    return sorted(
        Notification.objects.filter(phase=phase).values_list(
            "participant__email", "email", "status"
        )
    )


# --- The must-show: exactly the consenting participants, once; the opt-out link works ----------


def test_publishing_notifies_exactly_the_consenting_participants_once(world, client):
    phase, ann = world["phase"], world["people"]["ann"]
    publication = publish(phase)

    assert publication_notify(publication=publication) == 2
    assert queued(phase) == [
        ("ann@example.org", "ann@example.org", "pending"),
        ("bob@example.org", "bob@example.org", "pending"),
    ]
    # Publishing again, or withdrawing and republishing, queues nobody again.
    assert publication_notify(publication=publication) == 0
    withdraw(publication)
    republished = publish(phase, title="Phase I report, corrected")
    assert publication_notify(publication=republished) == 0

    assert notifications_send_due() == SendResult(sent=2)
    assert sorted(m.to for m in mail.outbox) == [["ann@example.org"], ["bob@example.org"]]
    assert notifications_send_due(now=later(days=1)) == SendResult()
    assert publication_notify(publication=republished) == 0
    assert notifications_send_due(now=later(days=2)) == SendResult()
    assert len(mail.outbox) == 2
    assert queued(phase) == [
        ("ann@example.org", "ann@example.org", "sent"),
        ("bob@example.org", "bob@example.org", "sent"),
    ]

    # The opt-out link in Ann's message: GET asks and changes nothing; POST opts out.
    (message,) = [m for m in mail.outbox if m.to == ["ann@example.org"]]
    link = opt_out_link(message)
    page = client.get(link)
    assert page.status_code == 200
    assert b"Stop the messages" in page.content
    ann.refresh_from_db()
    assert ann.contact_opted_out_at is None

    done = client.post(link, follow=True)
    assert done.redirect_chain == [(link + "?done=1", 302)]
    assert b"Done: you will receive no more messages from us." in done.content
    ann.refresh_from_db()
    assert ann.contact_opted_out_at is not None
    assert (ann.consent_to_contact, ann.contact_consent_at) == (False, None)  # it ends consent


def test_message_says_what_why_and_how_to_stop(world):
    publication = publish(world["phase"])
    ann = world["people"]["ann"]
    publication_notify(publication=publication)
    notifications_send_due()

    (message,) = [m for m in mail.outbox if m.to == ["ann@example.org"]]
    row = Notification.objects.get(participant=ann)
    unsubscribe = f"{settings.SITE_URL}/notifications/opt-out/{opt_out_token(ann.pk)}/"
    assert message.subject == "Report published: Exploratory Social Media Project: summary report"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"] == f"<notification-{row.pk}@127.0.0.1>"
    report_url = f"{settings.SITE_URL}/published/{publication.token}/"
    assert message.body == (
        "Hello,\n\n"
        "The summary report “Exploratory Social Media Project: summary report” is published. "
        "You can read it here:\n\n"
        f"{report_url}\n\n"
        "You receive this message because you took part in “State agency workshop”, gave your "
        "e-mail address and asked to be told when the report is published. This is the only "
        "message about this report.\n\n"
        "To receive no more messages from us, open this link and confirm:\n"
        f"{unsubscribe}\n"
    )
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{report_url}">' in html
    assert f'<a href="{unsubscribe}">' in html
    assert (row.status, row.attempts, row.email, row.last_error) == (
        "sent",
        1,
        "ann@example.org",
        "",
    )
    assert row.sent_at is not None


def test_pending_message_of_a_participant_who_opted_out_is_cancelled_not_sent(world, client):
    ann = world["people"]["ann"]
    publication_notify(publication=publish(world["phase"]))

    response = client.post(reverse("notifications:opt_out", args=[opt_out_token(ann.pk)]))

    assert response.status_code == 302  # a person pressed the button: shown at its own URL
    assert Notification.objects.get(participant=ann).status == "cancelled"
    assert notifications_send_due() == SendResult(sent=1)
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]


@pytest.mark.parametrize(
    "change",
    [
        {"contact_opted_out_at": NOW},
        {"erased_at": NOW, "email": ""},
        {"consent_to_contact": False, "contact_consent_at": None},
        {"email": ""},
    ],
    ids=["opted out", "erased", "consent withdrawn", "address removed"],
)
def test_participant_changed_since_queueing_is_cancelled_not_sent(world, change):
    ann = world["people"]["ann"]
    publication_notify(publication=publish(world["phase"]))
    Participant.objects.filter(pk=ann.pk).update(**change)

    assert notifications_send_due() == SendResult(sent=1, cancelled=1)

    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    row = Notification.objects.get(participant=ann)
    assert (row.status, row.attempts, row.sent_at) == ("cancelled", 0, None)


def test_a_changed_address_is_used_and_recorded(world):
    ann = world["people"]["ann"]
    publication_notify(publication=publish(world["phase"]))
    Participant.objects.filter(pk=ann.pk).update(email="ann.new@example.org")

    notifications_send_due()

    assert sorted(m.to for m in mail.outbox) == [["ann.new@example.org"], ["bob@example.org"]]
    assert Notification.objects.get(participant=ann).email == "ann.new@example.org"


def test_one_click_opt_out_from_a_mail_client_needs_no_csrf_token(world):
    ann = world["people"]["ann"]
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        reverse("notifications:opt_out", args=[opt_out_token(ann.pk)]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.contact_opted_out_at is not None


def test_opting_out_twice_keeps_the_first_time(world, client):
    ann = world["people"]["ann"]
    url = reverse("notifications:opt_out", args=[opt_out_token(ann.pk)])
    client.post(url)
    ann.refresh_from_db()
    first = ann.contact_opted_out_at

    again = client.get(url)
    client.post(url)

    assert b"You have already asked to receive no more messages from us." in again.content
    ann.refresh_from_db()
    assert ann.contact_opted_out_at == first


@pytest.mark.parametrize("token", ["1:forged", "nonsense", "ann"])
def test_opt_out_with_a_bad_token_is_not_found(world, client, token):
    assert client.get(reverse("notifications:opt_out", args=[token])).status_code == 404
    assert client.post(reverse("notifications:opt_out", args=[token])).status_code == 404
    assert Participant.objects.filter(contact_opted_out_at__isnull=False).count() == 1


def test_opt_out_token_of_another_purpose_is_refused(world, client):
    from django.core import signing

    token = signing.Signer(salt="something-else").sign(str(world["people"]["ann"].pk))

    assert client.post(reverse("notifications:opt_out", args=[token])).status_code == 404


# --- Failures, withdrawal, claims -----------------------------------------------------------


@override_settings(EMAIL_BACKEND=FAILING)
def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(world):
    ann = world["people"]["ann"]
    Participant.objects.filter(pk=world["people"]["bob"].pk).update(email="")
    publication_notify(publication=publish(world["phase"]))
    now = later()
    waits = []
    for attempt in range(1, 6):
        assert notifications_send_due(now=now) == SendResult(retrying=1)
        row = Notification.objects.get(participant=ann)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        waits.append(int((row.next_attempt_at - now).total_seconds() // 60))
        # Not due before its time.
        assert notifications_send_due(now=row.next_attempt_at - dt.timedelta(seconds=1)) == (
            SendResult()
        )
        now = row.next_attempt_at

    assert waits == [1, 5, 30, 120, 720]
    assert notifications_send_due(now=now) == SendResult(failed=1)
    row = Notification.objects.get(participant=ann)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 6, None)
    assert notifications_send_due(now=now + dt.timedelta(days=30)) == SendResult()
    assert mail.outbox == []


def test_a_run_stops_after_three_failures_in_a_row(world):
    for n in range(3):
        consenting(world["state"], f"extra{n}@example.org")
    publication_notify(publication=publish(world["phase"]))

    with override_settings(EMAIL_BACKEND=FAILING):
        result = notifications_send_due()

    assert result == SendResult(retrying=3, stopped=True)
    assert Notification.objects.filter(attempts=0).count() == 2


def test_a_message_of_a_withdrawn_report_is_cancelled(world):
    publication = publish(world["phase"])
    publication_notify(publication=publication)
    withdraw(publication)

    assert notifications_send_due() == SendResult(cancelled=2)

    assert mail.outbox == []
    assert queued(world["phase"]) == [
        ("ann@example.org", "ann@example.org", "cancelled"),
        ("bob@example.org", "bob@example.org", "cancelled"),
    ]


def test_republishing_after_a_withdrawal_tells_those_not_yet_told(world):
    publication = publish(world["phase"])
    publication_notify(publication=publication)
    withdraw(publication)
    notifications_send_due()
    republished = publish(world["phase"], title="Phase I report, corrected")

    assert publication_notify(publication=republished) == 2
    assert notifications_send_due() == SendResult(sent=2)

    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["Report published: Phase I report, corrected"] * 2
    assert set(
        Notification.objects.filter(phase=world["phase"]).values_list("publication", flat=True)
    ) == {republished.pk}


def test_a_message_queued_before_a_republish_links_the_live_report(world):
    publication = publish(world["phase"])
    publication_notify(publication=publication)
    withdraw(publication)
    republished = publish(world["phase"], title="Phase I report, corrected")

    assert notifications_send_due() == SendResult(sent=2)

    assert all(f"/published/{republished.token}/" in m.body for m in mail.outbox)
    assert all(publication.token not in m.body for m in mail.outbox)


def test_a_message_being_sent_is_not_picked_by_another_worker(world):
    publication_notify(publication=publish(world["phase"]))
    row, to_send = notifications._claim(now=timezone.now())
    assert to_send is True

    # Another worker meanwhile: only the other message is due.
    assert notifications_send_due() == SendResult(sent=1)
    assert Notification.objects.get(pk=row.pk).status == "pending"
    assert [m.to for m in mail.outbox] != [[row.email]]
    # A worker that died after claiming: the message is due again once the claim runs out.
    assert notifications_send_due(now=later() + notifications.CLAIM) == SendResult(sent=1)
    assert Notification.objects.get(pk=row.pk).attempts == 2


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="two workers at once need a database with row locks and several connections",
)
def test_two_workers_at_once_never_send_the_same_message(transactional_db):
    import threading

    from django.db import connections

    workshop = WorkshopFactory()
    for n in range(30):
        consenting(workshop, f"p{n}@example.org")
    publication_notify(publication=publish(workshop.phase))
    start = threading.Barrier(2)
    results = []

    def worker() -> None:
        try:
            start.wait()
            results.append(notifications_send_due())
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert sum(result.sent for result in results) == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{n}@example.org" for n in range(30))
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


# --- Background sending ---------------------------------------------------------------------


def test_kick_does_nothing_when_switched_off(world):
    publication_notify(publication=publish(world["phase"]))

    assert notifications_kick() is None
    assert mail.outbox == []


@override_settings(NOTIFICATIONS_SEND_ON_COMMIT=True)
def test_kick_sends_in_a_background_thread(world, monkeypatch):
    started = []

    class InlineThread:
        # The test database is this thread's; run the target here, as the thread would.
        def __init__(self, *, target, name, daemon):
            started.append((name, daemon))
            self.target = target

        def start(self):
            self.target()

    monkeypatch.setattr(notifications.threading, "Thread", InlineThread)
    monkeypatch.setattr(notifications.connections, "close_all", lambda: started.append("closed"))
    publication_notify(publication=publish(world["phase"]))

    notifications_kick()

    assert started == [("notifications", True), "closed"]
    assert sorted(m.to for m in mail.outbox) == [["ann@example.org"], ["bob@example.org"]]


def test_send_command_once(world):
    from io import StringIO

    publication_notify(publication=publish(world["phase"]))
    out = StringIO()

    call_command("send_notifications", "--once", stdout=out)

    assert out.getvalue() == "Sent 2, to retry 0, failed 0, cancelled 0.\n"
    assert len(mail.outbox) == 2


# --- Consent on the profile form ------------------------------------------------------------


def profile_data(**changes) -> dict:
    return {
        "name": "Pat Doe",
        "organisation": "Office of Parks",
        "level_of_government": "state",
        "role": "",
        "email": "",
        "consent": "no",
        **changes,
    }


def test_consent_without_an_address_is_refused_and_typed_values_are_kept(db):
    form = ProfileForm(profile_data(consent_to_contact="on"))

    assert not form.is_valid()
    assert form.errors == {
        "consent_to_contact": [
            "To be told when the report is published, give your e-mail address above, "
            "or untick this box."
        ]
    }
    assert (form["name"].value(), form["organisation"].value()) == ("Pat Doe", "Office of Parks")
    assert form["consent_to_contact"].value() is True


def test_profile_page_records_and_withdraws_consent_with_its_time(db, client):
    session = PlenarySessionFactory(phase="collecting")
    participant = ParticipantFactory(workshop=session.workshop)
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    url = reverse("responses:profile", args=[session.join_code])

    refused = client.post(url, profile_data(consent_to_contact="on"))
    assert refused.status_code == 400
    assert b"give your e-mail address above, or untick this box." in refused.content
    assert b'value="Pat Doe"' in refused.content

    client.post(url, profile_data(email="pat@example.org", consent_to_contact="on"))
    participant.refresh_from_db()
    assert participant.consent_to_contact is True
    given_at = participant.contact_consent_at
    assert given_at is not None

    client.post(url, profile_data(email="pat@example.org", consent_to_contact="on"))
    participant.refresh_from_db()
    assert participant.contact_consent_at == given_at  # the time it was given, kept

    client.post(url, profile_data(email="pat@example.org"))
    participant.refresh_from_db()
    assert (participant.consent_to_contact, participant.contact_consent_at) == (False, None)


def test_joining_with_consent_records_it(db, client):
    session = PlenarySessionFactory(phase="collecting")

    client.post(
        reverse("responses:session", args=[session.join_code]),
        {"profile": "1", **profile_data(email="pat@example.org", consent_to_contact="on")},
    )

    participant = Participant.objects.get(workshop=session.workshop)
    assert (participant.email, participant.consent_to_contact) == ("pat@example.org", True)
    assert participant.contact_consent_at is not None


# --- Privacy ----------------------------------------------------------------------------------


def test_erasing_a_participant_blanks_their_messages_and_cancels_waiting_ones(world):
    ann, bob = world["people"]["ann"], world["people"]["bob"]
    publication_notify(publication=publish(world["phase"]))
    Notification.objects.filter(participant=bob).update(status="sent", sent_at=NOW)

    participant_erase(participant=ann, actor=None)
    participant_erase(participant=bob, actor=None)

    assert queued(world["phase"]) == [("", "", "cancelled"), ("", "", "sent")]
    ann.refresh_from_db()
    assert (ann.consent_to_contact, ann.contact_consent_at) == (False, None)
    assert notifications_send_due() == SendResult()


def test_participant_data_holds_their_messages(world):
    ann = world["people"]["ann"]
    publication_notify(publication=publish(world["phase"]))
    Notification.objects.filter(participant=ann).update(created_at=NOW, attempts=1)

    data = participant_data(participant=ann)

    assert data["notifications"] == [
        {
            "report": "Exploratory Social Media Project: summary report",
            "email": "ann@example.org",
            "status": "pending",
            "attempts": 1,
            "queued_at": "2009-11-02T04:00:00-05:00",
            "sent_at": None,
        }
    ]
    assert data["participant"]["consent_to_contact"] is True
    assert data["participant"]["contact_consent_at"] == "2009-09-23T05:00:00-04:00"


# --- The staff record -----------------------------------------------------------------------


def test_record_page_shows_each_message_and_the_counts(world, client):
    staff = UserFactory(username="staff-member", role="staff")
    publication_notify(publication=publish(world["phase"]))
    with override_settings(EMAIL_BACKEND=FAILING):
        notifications_send_due(limit=1)
    client.force_login(staff)

    response = client.get(reverse("reports:notifications", args=["esmp"]))

    assert response.status_code == 200
    assert response.context["counts"] == [
        ("Waiting to be sent", 2),
        ("Sent", 0),
        ("Gave up after retries", 0),
        ("Not sent (opted out or erased)", 0),
    ]
    rows = [(n.email, n.status, n.attempts) for n in response.context["notifications"]]
    assert sorted(rows) == [("ann@example.org", "pending", 1), ("bob@example.org", "pending", 0)]
    assert b"SMTPServerDisconnected: Connection unexpectedly closed" in response.content
    assert world["people"]["ann"].reference.encode() in response.content


def test_record_page_is_for_staff_only(world, client):
    client.force_login(UserFactory(username="facilitator-a", role="facilitator"))

    assert client.get(reverse("reports:notifications", args=["esmp"])).status_code == 403


def test_record_page_of_an_unknown_phase_is_not_found(world, client):
    client.force_login(UserFactory(username="staff-member", role="staff"))

    assert client.get(reverse("reports:notifications", args=["nope"])).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_record_page_query_count_is_fixed(world, client, django_assert_num_queries, count):
    staff = UserFactory(username="staff-member", role="staff")
    publication = publish(world["phase"])
    for n in range(count):
        workshop = WorkshopFactory(phase=world["phase"])
        row = Notification.objects.create(
            publication=publication,
            phase=world["phase"],
            participant=consenting(workshop, f"p{n}@example.org"),
            email=f"p{n}@example.org",
        )
    assert Notification.objects.filter(pk=row.pk).exists()
    client.force_login(staff)
    url = reverse("reports:notifications", args=["esmp"])

    with django_assert_num_queries(6):
        response = client.get(url)

    assert len(response.context["notifications"]) == count


def test_the_publish_service_queues_the_consenting_and_sends_once_committed(
    world, staff_user, django_capture_on_commit_callbacks
):
    from reports.notifications import notifications_kick
    from reports.publishing import report_publish

    with django_capture_on_commit_callbacks() as callbacks:
        report_publish(phase=world["phase"], visibility="unlisted", user=staff_user)
    with django_capture_on_commit_callbacks() as again:
        report_publish(phase=world["phase"], visibility="public", user=staff_user)

    assert callbacks == again == [notifications_kick]
    assert queued(world["phase"]) == [
        ("ann@example.org", "ann@example.org", "pending"),
        ("bob@example.org", "bob@example.org", "pending"),
    ]
    assert notifications_send_due() == SendResult(sent=2)
    assert sorted(m.to for m in mail.outbox) == [["ann@example.org"], ["bob@example.org"]]


def test_ticking_the_box_again_after_opting_out_renews_consent(world, client):
    ann = world["people"]["ann"]
    participant_opt_out(participant=ann)
    session = PlenarySessionFactory(workshop=ann.workshop, phase="collecting")
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = ann.token
    url = reverse("responses:profile", args=[session.join_code])
    page = client.get(url).content.decode()
    assert "Tick this again to be told after all." in page

    client.post(url, profile_data(email="ann@example.org", consent_to_contact="on"))

    ann.refresh_from_db()
    assert ann.consent_to_contact is True
    assert ann.contact_opted_out_at is None
    assert ann.contact_consent_at is not None
