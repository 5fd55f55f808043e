"""Participants' personal data: everything held about one participant (subject access), erasing
their identity on request, and purging the identities of old workshops.

Erasing removes who someone is, never what they said or how they voted: their statements and
dots stay, linked to the same (now anonymous) participant, so every count in the report stays
the same. The one figure that can change is a workshop's organisation count when it is counted
from the records (staff did not enter the reported attendance): an erased organisation is no
longer counted.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser as User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from responses.models import AgencyProject, Dot, Participant, Statement, new_participant_token
from sessions.audit import audit_record
from sessions.models import AuditEvent, Workshop

# The fields that say who a participant is. Organisation is one of them: in a small workshop
# "the only person from the Office of Parks" identifies someone as surely as a name.
IDENTITY_FIELDS = ("name", "organisation", "level_of_government", "role", "email")
ERASED = "(erased)"
DATA_FORMAT = "ctg-workshops participant data, version 1"


def export_time(value: dt.date | dt.datetime | None) -> str | None:
    """A date or time as the data export writes it: ISO 8601, local time, to the second."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


# --- What the apps above hold about a participant ---------------------------------------------
#
# The reports app keeps a participant's e-mail address on each message telling them a report
# was published. This app may not import it: imports go one way (docs/architecture.md). So an
# app above that holds personal data registers it here, from its AppConfig.ready(): its part of
# the subject-access export, and its step in erasing an identity, which ``participant_erase``
# runs inside its own transaction, so an identity goes everywhere or nowhere.


@dataclass(frozen=True)
class PersonalDataHolder:
    key: str  # the export's key for this part, e.g. "notifications"
    export: Callable[[Participant], Any]  # JSON-ready: what is held about the participant
    erase: Callable[[Participant], None]  # removes the identity; runs every time, so idempotent


_holders: dict[str, PersonalDataHolder] = {}


def personal_data_register(
    *,
    key: str,
    export: Callable[[Participant], Any],
    erase: Callable[[Participant], None],
) -> None:
    """Include another app's records in ``participant_data`` under ``key``, and erase them in
    ``participant_erase``."""
    holder = PersonalDataHolder(key=key, export=export, erase=erase)
    if _holders.setdefault(key, holder) != holder:
        raise ValueError(f"another app already exports a participant's {key!r}")


def _has_identity() -> Q:
    has_any = Q()
    for field in IDENTITY_FIELDS:
        has_any |= ~Q(**{field: ""})
    return has_any


# --- Reads ------------------------------------------------------------------------------------


def participants_with_counts(*, workshop: Workshop) -> QuerySet[Participant]:
    """A workshop's participants, each with ``statement_count`` and ``dot_count``, in one query.

    Correlated subqueries rather than joins: a join of statements and dots multiplies rows.
    """
    statements = (
        Statement.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(n=Count("pk"))
        .values("n")
    )
    dots = (
        Dot.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(n=Sum("count"))
        .values("n")
    )
    return (
        Participant.objects.filter(workshop=workshop)
        .annotate(
            statement_count=Coalesce(Subquery(statements, output_field=IntegerField()), 0),
            dot_count=Coalesce(Subquery(dots, output_field=IntegerField()), 0),
        )
        .order_by("joined_at", "pk")
    )


def _history(
    participant: Participant, statement_ids: list[int], project_ids: list[int] | None = None
) -> QuerySet[AuditEvent]:
    """Events about the participant, their statements or agency projects, and events they
    caused."""
    return (
        AuditEvent.objects.filter(workshop_id=participant.workshop_id)
        .filter(
            Q(target=AuditEvent.Target.PARTICIPANT, target_id=participant.pk)
            | Q(target=AuditEvent.Target.STATEMENT, target_id__in=statement_ids)
            | Q(target=AuditEvent.Target.AGENCY_PROJECT, target_id__in=project_ids or [])
            | Q(actor_participant=participant)
        )
        .select_related("session")
        .order_by("created_at", "pk")
    )


def participant_data(*, participant: Participant) -> dict[str, Any]:
    """Everything held about one participant, ready for ``json.dumps`` (subject access)."""
    workshop = Workshop.objects.select_related("phase").get(pk=participant.workshop_id)
    statements = list(
        Statement.objects.filter(participant=participant)
        .select_related("session", "category")
        .order_by("created_at", "pk")
    )
    dots = Dot.objects.filter(participant=participant).select_related("session", "category")
    projects = list(AgencyProject.objects.filter(participant=participant).order_by("pk"))
    events = _history(participant, [s.pk for s in statements], [p.pk for p in projects])
    held_above = {key: holder.export(participant) for key, holder in _holders.items()}
    return {
        "format": DATA_FORMAT,
        "exported_at": export_time(timezone.now()),
        "participant": _participant_fields(participant),
        "workshop": {
            "reference": workshop.reference,
            "title": workshop.title,
            "date": export_time(workshop.date),
            "project_phase": workshop.phase.title,
        },
        # What the apps above hold (reports: the messages telling them a report was published).
        **held_above,
        "statements": [_statement_fields(s) for s in statements],
        "dots": [
            {
                "session": d.session.title,
                "category": d.category.name,
                "count": d.count,
                "placed_at": export_time(d.placed_at),
            }
            for d in dots.order_by("placed_at", "pk")
        ],
        "agency_projects": [_project_fields(p) for p in projects],
        "history": [_event_fields(e, participant) for e in events],
    }


def _participant_fields(participant: Participant) -> dict[str, Any]:
    return {
        "reference": participant.reference,
        "name": participant.name,
        "organisation": participant.organisation,
        "level_of_government": participant.level_of_government,
        "role": participant.role,
        "email": participant.email,
        "consent_to_be_named": participant.consent_to_be_named,
        "consent_recorded_at": export_time(participant.consent_recorded_at),
        "consent_to_contact": participant.consent_to_contact,
        "contact_consent_at": export_time(participant.contact_consent_at),
        "contact_opted_out_at": export_time(participant.contact_opted_out_at),
        "joined_at": export_time(participant.joined_at),
        "identity_erased_at": export_time(participant.erased_at),
    }


def _statement_fields(s: Statement) -> dict[str, Any]:
    return {
        "session": s.session.title,
        "text": s.text,
        "use": s.use,
        "source": s.source,
        "category": s.category.name if s.category else None,
        "created_at": export_time(s.created_at),
        "updated_at": export_time(s.updated_at),
        "hidden": s.hidden,
        "hidden_reason": s.hidden_reason,
    }


def _project_fields(p: AgencyProject) -> dict[str, Any]:
    return {
        "organisation": p.organisation,
        "platform": p.platform,
        "purpose": p.purpose,
        "status": p.status,
        "contact_name": p.contact_name,
        "contact_email": p.contact_email,
        "contact_consent": p.contact_consent,
        "contact_consent_at": export_time(p.contact_consent_at),
        "review": p.review,
        "created_at": export_time(p.created_at),
    }


def _event_fields(e: AuditEvent, participant: Participant) -> dict[str, Any]:
    return {
        "when": export_time(e.created_at),
        "action": e.action,
        "record": e.target,
        "record_id": e.target_id,
        "session": e.session.title if e.session else None,
        # Who acted, without naming staff: this export is about the participant.
        "by": (
            "participant"
            if e.actor_participant_id == participant.pk
            else "staff"
            if e.actor_id
            else None
        ),
        "changes": e.changes,
    }


# --- Writes -----------------------------------------------------------------------------------


def _audit(*, participant: Participant, actor: User | None, action: str) -> AuditEvent:
    # The event names the participant by its id only; ``changes`` holds no identity.
    return audit_record(
        workshop=participant.workshop,
        actor=actor,
        action=action,
        target=AuditEvent.Target.PARTICIPANT,
        target_id=participant.pk,
    )


@transaction.atomic
def participant_data_export(*, participant: Participant, actor: User | None) -> dict[str, Any]:
    """``participant_data``, with the export recorded in the workshop's history."""
    data = participant_data(participant=participant)
    _audit(participant=participant, actor=actor, action=AuditEvent.Action.EXPORTED)
    return data


def _scrub(value: Any, secrets: set[str], keys: tuple[str, ...]) -> Any:
    """``value`` (decoded JSON) with the values under ``keys``, and every string that is one of
    ``secrets``, replaced by ERASED.

    Whole values only: a short role such as "CIO" must not wipe every string containing it.
    """
    if isinstance(value, dict):
        return {
            key: ERASED if key in keys and item else _scrub(item, secrets, keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, secrets, keys) for item in value]
    if isinstance(value, str) and value.strip().casefold() in secrets:
        return ERASED
    return value


def _history_scrub(participant: Participant, secrets: set[str]) -> None:
    # Events link their actor rather than copying a name, but a recorded profile change could
    # hold one: scrub the events about or by the participant, and any event of the workshop
    # holding their name or e-mail as a value.
    quoting = Q()
    for field in ("name", "email"):
        value = getattr(participant, field).strip()
        if value:
            quoting |= Q(changes__icontains=f'"{value}"')
    events = AuditEvent.objects.filter(workshop_id=participant.workshop_id).filter(
        Q(target=AuditEvent.Target.PARTICIPANT, target_id=participant.pk)
        | Q(actor_participant=participant)
        | quoting
    )
    for event in events:
        # Only a participant's own record has identity fields; a category also has a "name".
        about_them = (event.target, event.target_id) == (
            AuditEvent.Target.PARTICIPANT,
            participant.pk,
        )
        scrubbed = _scrub(event.changes, secrets, IDENTITY_FIELDS if about_them else ())
        if scrubbed != event.changes:
            event.changes = scrubbed
            event.save(update_fields=["changes"])


def _admin_log_scrub(participant: Participant, label: str) -> None:
    # The admin's change log copies str(participant), the name, into object_repr; its change
    # messages list changed fields and may quote them.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Participant),
        object_id=str(participant.pk),
    ).update(object_repr=label, change_message="")


@transaction.atomic
def participant_erase(*, participant: Participant, actor: User | None) -> Participant:
    """Remove a participant's identity everywhere; their statements and dots stay and count.

    Blanks the identity fields, withdraws consent (with its time), gives the record a new
    browser token (so the browser that had the old one can no longer act as them), and scrubs
    the admin's change log and the history. Erasing an erased participant changes nothing.
    """
    # The caller's own object is locked, refreshed and changed, so it never shows stale details.
    participant.refresh_from_db(from_queryset=Participant.objects.select_for_update())
    secrets = {
        getattr(participant, field).strip().casefold()
        for field in ("name", "organisation", "role", "email")
        if getattr(participant, field).strip()
    }
    already_erased = participant.erased_at is not None and not (
        secrets
        or participant.level_of_government
        or participant.consent_to_be_named
        or participant.consent_recorded_at
        or participant.consent_to_contact
        or participant.contact_consent_at
    )
    if not already_erased:
        _history_scrub(participant, secrets)
        for field in IDENTITY_FIELDS:
            setattr(participant, field, "")
        participant.consent_to_be_named = False
        participant.consent_recorded_at = None
        participant.consent_to_contact = False
        participant.contact_consent_at = None
        participant.token = new_participant_token()
        participant.erased_at = timezone.now()
        participant.save(
            update_fields=[
                *IDENTITY_FIELDS,
                "consent_to_be_named",
                "consent_recorded_at",
                "consent_to_contact",
                "contact_consent_at",
                "token",
                "erased_at",
            ]
        )
        _audit(participant=participant, actor=actor, action=AuditEvent.Action.ERASED)
    # The contacts of the agency projects they described: the entries themselves stay.
    AgencyProject.objects.filter(participant=participant).update(
        contact_name="", contact_email="", contact_consent=False, contact_consent_at=None
    )
    # What the apps above hold (reports: the addresses on messages about a published report).
    for holder in _holders.values():
        holder.erase(participant)
    _admin_log_scrub(participant, str(participant))
    return participant


@dataclass(frozen=True)
class PurgeLine:
    workshop_pk: int
    title: str
    date: dt.date
    participants: int
    # The organisation count the report took from the records, now kept as the reported
    # attendance (None when staff had already entered it, or nobody named an organisation).
    organisations_kept: int | None = None


@dataclass(frozen=True)
class PurgeResult:
    held_before: dt.date  # workshops held before this day were purged
    dry_run: bool
    workshops: tuple[PurgeLine, ...]

    @property
    def total(self) -> int:
        return sum(line.participants for line in self.workshops)


def identities_purge(
    *, older_than_days: int, now: dt.datetime | None = None, dry_run: bool
) -> PurgeResult:
    """Erase every identity still held for workshops held more than ``older_than_days`` ago.

    One transaction per workshop rather than one for the whole purge: on SQLite a transaction
    holds the only write lock, and a long one would stall a session running at the same time.
    """
    held_before = timezone.localdate(now or timezone.now()) - dt.timedelta(days=older_than_days)
    identified = Participant.objects.filter(
        _has_identity(), erased_at__isnull=True, workshop__date__lt=held_before
    )
    lines = []
    for workshop in Workshop.objects.filter(pk__in=identified.values("workshop_id")).order_by(
        "date", "pk"
    ):
        to_erase = identified.filter(workshop=workshop).order_by("pk")
        count = to_erase.count()
        # Erasing organisations would change the report's organisation count where it is
        # counted from the records, so the count is kept as the reported attendance first.
        kept = None
        if workshop.attendance_organisations is None:
            kept = (
                (
                    Participant.objects.filter(workshop=workshop)
                    .exclude(organisation="")
                    .aggregate(n=Count(Lower("organisation"), distinct=True))["n"]
                )
                or None
            )
        if not dry_run:
            with transaction.atomic():
                if kept is not None:
                    Workshop.objects.filter(pk=workshop.pk).update(attendance_organisations=kept)
                for participant in to_erase:
                    participant_erase(participant=participant, actor=None)
        lines.append(PurgeLine(workshop.pk, workshop.title, workshop.date, count, kept))
    return PurgeResult(held_before=held_before, dry_run=dry_run, workshops=tuple(lines))
