"""Agency projects: the social media projects participants describe for their organisations.

A participant describes an existing or planned project during or after a workshop; the
workshop's facilitators review each entry; once the workshop is completed the approved entries
are shared with its participants, as a page and as downloads (CSV and spreadsheet). This module
holds the writes and the downloads; the lists are read by responses/selectors.py.

The contact is optional and kept only with its own consent, recorded with its time. History
events name the fields of an entry, never the contact's name or e-mail.
"""

import io
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import AgencyProject, Participant
from responses.services import ParticipationRefused
from sessions.audit import Action, Target, audit_created, audit_record, audit_removed
from sessions.spreadsheets import csv_text, sheet_write
from sessions.updates import model_update_audited

Review = AgencyProject.Review


@dataclass(frozen=True)
class ProjectDetails:
    """What a participant writes about a project (validated by AgencyProjectForm)."""

    organisation: str
    platform: str
    purpose: str
    status: str
    contact_name: str = ""
    contact_email: str = ""
    contact_consent: bool = False


@dataclass(frozen=True)
class ProjectSubmission:
    project: AgencyProject
    created: bool


# --- Writes -----------------------------------------------------------------------------------


def _described(project: AgencyProject) -> dict:
    """What the history records of an entry: its tool and status, and whether a contact may be
    shared. Never the contact's name or e-mail, nor the organisation: it is usually the
    participant's own (the form fills it in from their details), and says who they are."""
    return {
        "platform": project.platform,
        "status": project.status,
        "contact_consent": project.contact_consent,
    }


def _project_for_key(key: uuid.UUID, participant: Participant) -> AgencyProject | None:
    project = AgencyProject.objects.filter(idempotency_key=key).first()
    if project is not None and project.participant_id != participant.pk:
        # A key belongs to the browser that made the form; another's is never answered.
        raise ParticipationRefused(
            _("This entry could not be matched to you. Copy your text and send it again."),
            code="key_conflict",
        )
    return project


def project_submit(
    *, participant: Participant, data: ProjectDetails, idempotency_key: uuid.UUID
) -> ProjectSubmission:
    """Store a participant's entry once, however often the same form is sent.

    A repeat of a stored key returns the stored entry (``created`` False). A contact is refused
    without consent rather than dropped, so nobody believes they shared one that was not kept.
    """
    existing = _project_for_key(idempotency_key, participant)
    if existing is not None:
        return ProjectSubmission(existing, created=False)
    contact_name, contact_email = data.contact_name.strip(), data.contact_email.strip()
    if (contact_name or contact_email) and not data.contact_consent:
        raise ParticipationRefused(
            _("A contact is kept only with consent to share it."), code="contact_consent"
        )
    if data.status not in AgencyProject.Status.values:
        raise ParticipationRefused(_("Choose existing or planned."), code="status")
    try:
        with transaction.atomic():
            project = AgencyProject.objects.create(
                workshop_id=participant.workshop_id,
                participant=participant,
                organisation=data.organisation.strip(),
                platform=data.platform.strip(),
                purpose=data.purpose.strip(),
                status=data.status,
                contact_name=contact_name,
                contact_email=contact_email,
                contact_consent=data.contact_consent,
                contact_consent_at=timezone.now() if data.contact_consent else None,
                idempotency_key=idempotency_key,
            )
            audit_record(
                workshop=participant.workshop,
                participant=participant,
                action=Action.CREATED,
                target=Target.AGENCY_PROJECT,
                target_id=project.pk,
                changes=audit_created(**_described(project)),
            )
    except IntegrityError:
        # The same key arrived twice at once: the other request stored it first.
        existing = _project_for_key(idempotency_key, participant)
        if existing is None:
            raise
        return ProjectSubmission(existing, created=False)
    return ProjectSubmission(project, created=True)


@transaction.atomic
def project_withdraw(*, participant: Participant, pk: int) -> None:
    """A participant removes their own entry while it waits for review."""
    project = (
        AgencyProject.objects.select_for_update().filter(participant=participant, pk=pk).first()
    )
    if project is None:
        raise ParticipationRefused(_("That entry is not one of yours."), code="not_yours")
    if project.review != Review.PENDING:
        raise ParticipationRefused(
            _("That entry has been reviewed and can no longer be withdrawn."), code="reviewed"
        )
    audit_record(
        workshop=participant.workshop,
        participant=participant,
        action=Action.WITHDRAWN,
        target=Target.AGENCY_PROJECT,
        target_id=project.pk,
        changes=audit_removed(**_described(project)),
    )
    project.delete()


@transaction.atomic
def project_review(
    *, project: AgencyProject, decision: str, actor: AbstractBaseUser | None
) -> AgencyProject:
    """Approve an entry for the shared list or keep it out ("rejected": not shared).

    Records who decided and when; deciding what was already decided changes nothing.
    """
    if decision not in (Review.APPROVED, Review.REJECTED):
        raise ValueError(f"unknown review decision {decision!r}")
    project.refresh_from_db(from_queryset=AgencyProject.objects.select_for_update())
    if project.review == decision:
        return project
    # The history names the decision; who decided is the event's actor, when is its time.
    model_update_audited(
        instance=project,
        fields={"review": decision, "reviewed_by": actor, "reviewed_at": timezone.now()},
        recorded={"review"},
        workshop=project.workshop,
        actor=actor,
        action=Action.CHANGED,
        target=Target.AGENCY_PROJECT,
    )
    return project


# --- Downloads --------------------------------------------------------------------------------


def _rows(projects: list[AgencyProject]) -> tuple[list[str], list[list[str]]]:
    headers = [
        _("Organisation"),
        _("Tool or platform"),
        _("Purpose"),
        _("Status"),
        _("Contact name"),
        _("Contact e-mail"),
    ]
    rows = [
        [
            project.organisation,
            project.platform,
            project.purpose,
            str(project.get_status_display()),
            # Belt and braces: the database keeps no contact without consent.
            project.contact_name if project.contact_consent else "",
            project.contact_email if project.contact_consent else "",
        ]
        for project in projects
    ]
    return headers, rows


def projects_csv(projects: list[AgencyProject]) -> bytes:
    """The list as CSV (UTF-8 with BOM, for spreadsheet programs), formulas made inert."""
    headers, rows = _rows(projects)
    return ("\ufeff" + csv_text(headers, rows)).encode("utf-8")


def projects_xlsx(projects: list[AgencyProject]) -> bytes:
    """The list as a one-sheet workbook; every cell is text, never a formula."""
    from openpyxl import Workbook

    headers, rows = _rows(projects)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "agency_projects"
    sheet_write(sheet, headers, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


DOWNLOADS = {
    "csv": (projects_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        projects_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}
