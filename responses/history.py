"""How responses' records show in a workshop's history (sessions/audit.py): the labels of the
choice values its events record, and participants named by their reference, never by name.

The history is sessions', the bottom layer, which may not import this app; ``history_describe``
tells it, from ResponsesConfig.ready().
"""

from collections.abc import Collection

from django.utils.translation import gettext as _

from responses.models import AgencyProject, Participant, Statement
from sessions.audit import audit_choices_register, audit_namer_register
from sessions.models import AuditEvent


def participant_names(ids: Collection[int]) -> dict[int, str]:
    """Participants by their reference, in one query; an id that is gone is left out."""
    references = Participant.objects.filter(pk__in=ids).values_list("pk", "reference")
    return {pk: _("Participant %(reference)s") % {"reference": ref} for pk, ref in references}


def history_describe() -> None:
    audit_choices_register(field="use", choices=Statement.Use)
    audit_choices_register(field="source", choices=Statement.Source)
    audit_choices_register(field="review", choices=AgencyProject.Review)
    audit_choices_register(field="status", choices=AgencyProject.Status)  # only projects have one
    audit_namer_register(target=AuditEvent.Target.PARTICIPANT, namer=participant_names)
