"""Telling participants that a phase's report is published: one message each, sent in the
background and retried, with a record of what was sent to whom and when.

Who is told: a participant of one of the phase's workshops (cancelled workshops excluded, as the
report excludes them) who left an e-mail address, agreed to be contacted, has not opted out and
has not been erased. At most one message per participant and phase, whatever is published,
withdrawn or republished later (a database constraint).

How it is sent: ``publication_notify`` queues rows inside the publish transaction; after the
commit ``notifications_kick`` sends them in a background thread (development, small sites), and
``manage.py send_notifications`` runs the same ``notifications_send_due`` as a worker
(production), which also retries failures with backoff.

Delivery is at least once, not at most once. A worker claims one message at a time in a short
transaction (PostgreSQL: ``SKIP LOCKED``, so two workers never pick the same row), sends it with
no database lock held (on SQLite a transaction holds the only write lock, and an SMTP exchange
can take seconds), then records the result. The claim holds the message for ``CLAIM`` — far
longer than a send can take with ``EMAIL_TIMEOUT`` — so nobody else sends it meanwhile. If the
process dies after the SMTP server accepted the message but before the result is recorded, the
claim runs out and the message is sent once more; the Message-ID stays the same, so many mail
clients show it once. The alternative, marking it sent before sending, would lose messages on
every crash instead.
"""

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail, signing
from django.db import connections, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.models import Notification, Publication
from responses.models import Participant
from responses.privacy import export_time
from sessions.models import ProjectPhase, Workshop

logger = logging.getLogger(__name__)

Status = Notification.Status

# Minutes to wait after the 1st, 2nd, … failed attempt; after the last attempt it has failed.
BACKOFF_MINUTES = (1, 5, 30, 120, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
# How long a claimed message stays out of other workers' reach while it is being sent.
CLAIM = dt.timedelta(minutes=15)
# A run stops after this many failures in a row: the mail server is probably down, and waiting
# EMAIL_TIMEOUT for each remaining message would only delay the next run.
STOP_AFTER_FAILURES = 3
OPT_OUT_SALT = "reports.notifications.opt-out"


# --- Queueing ---------------------------------------------------------------------------------


def _recipients() -> Q:
    """Participants who may be told now: the same test when queueing and just before sending."""
    return (
        Q(consent_to_contact=True, contact_opted_out_at__isnull=True, erased_at__isnull=True)
        & ~Q(email="")
        & ~Q(workshop__status=Workshop.Status.CANCELLED)
    )


def _may_be_told(participant: Participant, workshop: Workshop) -> bool:
    return (
        participant.consent_to_contact
        and participant.contact_opted_out_at is None
        and participant.erased_at is None
        and bool(participant.email)
        and workshop.status != Workshop.Status.CANCELLED
    )


@transaction.atomic
def notifications_to_queue(*, phase) -> int:
    """How many participants publishing the phase's report now would e-mail (for staff to see
    before they publish)."""
    recipients = Participant.objects.filter(_recipients(), workshop__phase=phase)
    told = Notification.objects.filter(phase=phase).exclude(status=Status.CANCELLED)
    return recipients.exclude(pk__in=told.values("participant_id")).count()


def publication_notify(*, publication: Publication) -> int:
    """Queue one message per participant to be told of the publication; return how many.

    Called inside the publish transaction. Idempotent: a participant with a message for the
    phase already (from any publication) is not queued again, and the unique (participant,
    phase) constraint makes a concurrent call harmless. One exception: a message that was never
    sent because it was cancelled (the report was withdrawn first, or consent was withdrawn and
    given again) is queued again for this publication if the participant may be told now.
    """
    phase_id = publication.phase_id
    now = timezone.now()
    queued = Notification.objects.filter(phase_id=phase_id)
    recipients = Participant.objects.filter(_recipients(), workshop__phase_id=phase_id)
    revived = queued.filter(
        status=Status.CANCELLED, participant__in=recipients.values("pk")
    ).select_related("participant")
    count = 0
    for row in revived:
        row.publication = publication
        row.email = row.participant.email
        row.status = Status.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.last_error = ""
        row.save(
            update_fields=[
                "publication",
                "email",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
            ]
        )
        count += 1
    new = [
        Notification(
            publication=publication,
            phase_id=phase_id,
            participant_id=pk,
            email=email,
            created_at=now,
            next_attempt_at=now,
        )
        for pk, email in recipients.exclude(pk__in=queued.values("participant_id"))
        .order_by("pk")
        .values_list("pk", "email")
    ]
    if new:
        # ignore_conflicts: a row inserted meanwhile by a concurrent call is skipped, not an
        # error. Count what is there afterwards rather than trusting len(new).
        before = queued.count()
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        count += queued.count() - before
    return count


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    retrying: int = 0  # an attempt failed; tried again later
    failed: int = 0  # the last attempt failed; given up
    cancelled: int = 0  # opted out, erased, no consent or address, or the report withdrawn
    stopped: bool = False  # stopped after STOP_AFTER_FAILURES failures in a row

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled


def opt_out_token(participant_id: int) -> str:
    # Signed, not stored: the link works for as long as SECRET_KEY (or a fallback) does.
    return signing.Signer(salt=OPT_OUT_SALT).sign(str(participant_id))


def opt_out_participant_id(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=OPT_OUT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def opt_out_url(participant_id: int) -> str:
    path = reverse("notifications:opt_out", args=[opt_out_token(participant_id)])
    return f"{settings.SITE_URL}{path}"


def published_url(publication: Publication) -> str:
    try:
        path = reverse("published:report", args=[publication.token])
    except NoReverseMatch:
        path = f"/published/{publication.token}/"
    return f"{settings.SITE_URL}{path}"


def notification_message(
    notification: Notification, *, connection=None
) -> mail.EmailMultiAlternatives:
    """The e-mail for one notification, in the site's language."""
    participant = notification.participant
    unsubscribe = opt_out_url(participant.pk)
    context = {
        "title": notification.publication.title,
        "report_url": published_url(notification.publication),
        "workshop": participant.workshop.title,
        "opt_out_url": unsubscribe,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Report published: %(title)s") % {"title": context["title"]}
        body = render_to_string("reports/email/report_published.txt", context).strip() + "\n"
        html = render_to_string("reports/email/report_published.html", context)
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = mail.EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # no line breaks in a header
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
        connection=connection,
        headers={
            # RFC 2369 and RFC 8058: mail clients offer "Unsubscribe" and POST to the link.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            # The same for every attempt: a message sent twice after a crash shows as one.
            "Message-ID": f"<notification-{notification.pk}@{domain}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim(*, now: dt.datetime) -> tuple[Notification | None, bool]:
    """The next due message, claimed for sending; or one cancelled now; or (None, False).

    Returns (row, True) to send, (row, False) when it was cancelled instead.
    """
    with transaction.atomic():
        row = (
            Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
            .select_related("participant__workshop", "publication")
            # Only the notification row is locked; SQLite ignores this (its transaction holds
            # the write lock for the few milliseconds of the claim).
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if row is None:
            return None, False
        participant = row.participant
        publication = row.publication
        if publication.withdrawn_at is not None:
            # Withdrawn and perhaps republished since: tell them of the live one, if any.
            publication = (
                Publication.objects.filter(phase_id=row.phase_id, withdrawn_at__isnull=True)
                .order_by("-published_at")
                .first()
            )
        if publication is None or not _may_be_told(participant, participant.workshop):
            row.status = Status.CANCELLED
            if participant.erased_at is not None:
                row.email = ""
            row.save(update_fields=["status", "email"])
            return row, False
        row.publication = publication
        row.email = participant.email  # the address now, if they changed it since queueing
        row.attempts += 1  # counted at the claim, so a message that crashes the worker ends
        row.next_attempt_at = now + CLAIM
        row.save(update_fields=["publication", "email", "attempts", "next_attempt_at"])
        return row, True


def _error_text(error: Exception) -> str:
    # The exception's class and message, on one line and short. SMTP errors carry the server's
    # reply, never the password.
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text[:300]


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # a broken connection is replaced on the next send
        logger.debug("closing the mail connection failed", exc_info=True)


def notifications_send_due(
    *, now: dt.datetime | None = None, limit: int = 100, connection=None
) -> SendResult:
    """Send up to ``limit`` messages that are due; cancel those that may no longer be sent."""
    now = now or timezone.now()
    own_connection = connection is None
    connection = connection or mail.get_connection(fail_silently=False)
    counts = {"sent": 0, "retrying": 0, "failed": 0, "cancelled": 0}
    failures_in_a_row = 0
    try:
        for _i in range(limit):
            if failures_in_a_row >= STOP_AFTER_FAILURES:
                return SendResult(**counts, stopped=True)
            row, to_send = _claim(now=now)
            if row is None:
                break
            if not to_send:
                counts["cancelled"] += 1
                continue
            pending = Notification.objects.filter(pk=row.pk, status=Status.PENDING)
            try:
                delivered = notification_message(row, connection=connection).send()
                if delivered != 1:
                    raise RuntimeError("the mail backend accepted no message")
            except Exception as error:  # every backend failure is retried
                _close(connection)
                if row.attempts >= MAX_ATTEMPTS:
                    counts["failed"] += 1
                    changes = {"status": Status.FAILED}
                else:
                    counts["retrying"] += 1
                    delay = dt.timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
                    changes = {"next_attempt_at": now + delay}
                logger.warning("notification %s: attempt %s failed", row.pk, row.attempts)
                # Only while still pending: an opt-out meanwhile has cancelled it.
                pending.update(last_error=_error_text(error), **changes)
                failures_in_a_row += 1
                continue
            failures_in_a_row = 0
            # Recorded even if an opt-out or erasure cancelled it meanwhile: it was sent.
            Notification.objects.filter(pk=row.pk).update(
                status=Status.SENT, sent_at=timezone.now(), last_error=""
            )
            counts["sent"] += 1
    finally:
        if own_connection:
            _close(connection)
    return SendResult(**counts)


def notifications_send_all_due(*, now: dt.datetime | None = None) -> SendResult:
    """Send everything due now, batch after batch, until nothing is due or sending fails."""
    total = SendResult()
    while True:
        result = notifications_send_due(now=now)
        total = SendResult(
            sent=total.sent + result.sent,
            retrying=total.retrying + result.retrying,
            failed=total.failed + result.failed,
            cancelled=total.cancelled + result.cancelled,
            stopped=result.stopped,
        )
        if result.handled == 0 or result.stopped:
            return total


def _send_in_background() -> None:
    try:
        result = notifications_send_all_due()
        logger.info("notifications sent in the background: %s", result)
    except Exception:
        # A worker or the next kick picks up what is left; the claim expires on its own.
        logger.exception("sending notifications in the background failed")
    finally:
        # This thread's own database connections; the request's are untouched.
        connections.close_all()


def notifications_kick() -> threading.Thread | None:
    """Send due messages in a background thread now, if NOTIFICATIONS_SEND_ON_COMMIT is on.

    Meant for ``transaction.on_commit(notifications_kick)`` after publishing, so that nothing
    has to be started by hand in development. Retries need the worker
    (``manage.py send_notifications``) or a later kick.
    """
    if not settings.NOTIFICATIONS_SEND_ON_COMMIT:
        return None
    thread = threading.Thread(target=_send_in_background, name="notifications", daemon=True)
    thread.start()
    return thread


# --- Opting out -------------------------------------------------------------------------------


@transaction.atomic
def participant_opt_out(*, participant: Participant) -> Participant:
    """No more messages to this participant: records when, cancels what is still waiting.

    Opting out again changes nothing, and keeps the first time.
    """
    now = timezone.now()
    Participant.objects.filter(pk=participant.pk, contact_opted_out_at__isnull=True).update(
        contact_opted_out_at=now
    )
    # The consent ends with the opt-out, so their details page no longer shows it ticked;
    # ticking it there again is a new consent (responses.services.participant_profile_set).
    Participant.objects.filter(pk=participant.pk).update(
        consent_to_contact=False, contact_consent_at=None
    )
    Notification.objects.filter(participant=participant, status=Status.PENDING).update(
        status=Status.CANCELLED
    )
    participant.refresh_from_db(
        fields=["contact_opted_out_at", "consent_to_contact", "contact_consent_at"]
    )
    return participant


# --- The record -------------------------------------------------------------------------------


def phase_notifications(*, phase: ProjectPhase) -> QuerySet[Notification]:
    """A phase's messages, newest first, with what the staff page shows, in one query."""
    return (
        Notification.objects.filter(phase=phase)
        .select_related("participant__workshop", "publication")
        .order_by("-created_at", "-pk")
    )


def phase_notification_counts(*, phase: ProjectPhase) -> dict[str, int]:
    """Messages of the phase by status, every status present (0 when none), in one query."""
    found = dict(
        Notification.objects.filter(phase=phase)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: found.get(status, 0) for status in Status.values}


# --- A participant's personal data (registered with responses.privacy in ReportsConfig.ready())


def participant_notifications_data(participant: Participant) -> list[dict]:
    """The messages telling a participant that a report was published: to which address, and
    when; their part of the participant's data export."""
    return [
        {
            "report": n.publication.title,
            "email": n.email,
            "status": n.status,
            "attempts": n.attempts,
            "queued_at": export_time(n.created_at),
            "sent_at": export_time(n.sent_at),
        }
        for n in Notification.objects.filter(participant=participant)
        .select_related("publication")
        .order_by("created_at", "pk")
    ]


def participant_notifications_erase(participant: Participant) -> None:
    """Erasing a participant: the address goes, what was sent when stays; nothing waiting is
    sent. Run inside ``participant_erase``'s transaction."""
    Notification.objects.filter(participant=participant, status=Status.PENDING).update(
        status=Status.CANCELLED
    )
    Notification.objects.filter(participant=participant).exclude(email="").update(email="")
