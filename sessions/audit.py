"""The change history: who changed which statement, category or note, and when.

The write services call these functions inside their own transactions, so a change and its
event are stored together or not at all. An event links to its actor (a user or a participant)
and never copies who they are: no participant's name, e-mail, organisation or role goes into
``changes``, so erasing a participant's identity leaves nothing of it in the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Choices, Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions.models import AuditEvent, PlenarySession, Workshop

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Action = AuditEvent.Action
Target = AuditEvent.Target

# Who a participant is; never recorded in an event about them.
IDENTITY_FIELDS = frozenset(
    {"name", "organisation", "level_of_government", "role", "email", "token"}
)


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each named field whose value differs.

    A field named on one side only counts as ``None`` on the other. Values must be JSON:
    strings, numbers, booleans or ``None``.
    """
    fields = dict.fromkeys([*before, *after])
    return {
        field: [before.get(field), after.get(field)]
        for field in fields
        if before.get(field) != after.get(field)
    }


def audit_created(**values: Any) -> dict[str, list[Any]]:
    """The changes of a new record: each filled-in value, from nothing."""
    return {field: [None, value] for field, value in values.items() if value not in ("", None)}


def audit_removed(**values: Any) -> dict[str, list[Any]]:
    """The changes of a removed record: each value it held, to nothing."""
    return {field: [value, None] for field, value in values.items() if value not in ("", None)}


def audit_event(
    *,
    workshop: Workshop,
    session: PlenarySession | None = None,
    actor: AbstractBaseUser | None = None,
    participant: Model | None = None,
    action: str,
    target: str,
    target_id: int,
    changes: Mapping[str, list[Any]] | None = None,
) -> AuditEvent:
    """An unsaved event, checked; ``audit_record`` saves one, ``audit_record_many`` several.

    ``participant`` is a responses.Participant (typed as any model: this app, the bottom layer,
    never imports the apps above it).
    """
    if actor is not None and participant is not None:
        raise ValueError("an event has at most one actor: a user or a participant")
    if action not in Action.values:
        raise ValueError(f"unknown action {action!r}")
    if target not in Target.values:
        raise ValueError(f"unknown record type {target!r}")
    changes = dict(changes or {})
    if target == Target.PARTICIPANT and IDENTITY_FIELDS & changes.keys():
        raise ValueError("a participant's identity is never copied into the history")
    return AuditEvent(
        workshop=workshop,
        session=session,
        actor=actor,
        actor_participant=participant,
        action=action,
        target=target,
        target_id=target_id,
        changes=changes,
    )


def audit_record(
    *,
    workshop: Workshop,
    session: PlenarySession | None = None,
    actor: AbstractBaseUser | None = None,
    participant: Model | None = None,
    action: str,
    target: str,
    target_id: int,
    changes: Mapping[str, list[Any]] | None = None,
) -> AuditEvent:
    """Store one event: ``actor`` (a user) or ``participant`` made the change, or neither."""
    event = audit_event(
        workshop=workshop,
        session=session,
        actor=actor,
        participant=participant,
        action=action,
        target=target,
        target_id=target_id,
        changes=changes,
    )
    event.save()
    return event


def audit_record_many(
    *,
    workshop: Workshop,
    session: PlenarySession | None = None,
    actor: AbstractBaseUser | None = None,
    participant: Model | None = None,
    action: str,
    target: str,
    changes_by_id: Mapping[int, Mapping[str, list[Any]]],
) -> list[AuditEvent]:
    """One event per record in ``changes_by_id`` (record id → its changes), in one insert.

    For changes to many records at once, such as the statements a merge moves.
    """
    events = [
        audit_event(
            workshop=workshop,
            session=session,
            actor=actor,
            participant=participant,
            action=action,
            target=target,
            target_id=target_id,
            changes=changes,
        )
        for target_id, changes in changes_by_id.items()
    ]
    return AuditEvent.objects.bulk_create(events)


# --- Reading the history back -----------------------------------------------------------------

FIELD_LABELS = {
    "text": gettext_lazy("Text"),
    "use": gettext_lazy("Use"),
    "source": gettext_lazy("Source"),
    "category": gettext_lazy("Category"),
    "statements": gettext_lazy("Statements"),
    "reference_number": gettext_lazy("Reference number"),
    "name": gettext_lazy("Name"),
    "description": gettext_lazy("Description"),
    "presented_from": gettext_lazy("Presented from"),
    "hidden_reason": gettext_lazy("Reason for hiding"),
    "suggestion": gettext_lazy("Accepted from a clustering suggestion"),
    "suggestions_on": gettext_lazy("Clustering suggestions shown"),
    "count": gettext_lazy("Paper dots"),
    "note": gettext_lazy("Note"),
    "revision": gettext_lazy("Revision"),
    "based_on": gettext_lazy("Written from revision"),
    "conflict_with": gettext_lazy("Saved alongside revision"),
    # Agency projects (responses/projects.py): never the organisation or the contact.
    "platform": gettext_lazy("Tool or platform"),
    "status": gettext_lazy("Status"),
    "contact_consent": gettext_lazy("Contact may be shared"),
    "review": gettext_lazy("Review"),
}


@dataclass(frozen=True)
class ChangeLine:
    """One changed field, ready to show; ``None`` means there was no value on that side."""

    label: str
    before: str | None
    after: str | None


# --- What the apps above tell the history about their records ---------------------------------
#
# Most records in the history (statements, categories, participants, agency projects) belong
# to the apps above this one, which this one may not import: imports go one way
# (docs/architecture.md). So each app describes its own records here, from its
# AppConfig.ready(): the labels of the choice values its events record, and how staff name a
# record of a type. A small explicit registry rather than a lookup of the apps' models by name,
# so that what the history shows of another app's records is written down in that app.

RecordNamer = Callable[[Collection[int]], Mapping[int, str]]

_choices: dict[str, type[Choices]] = {}
_namers: dict[str, RecordNamer] = {}


def audit_choices_register(*, field: str, choices: type[Choices]) -> None:
    """Show a recorded value of ``field`` by its label in ``choices`` ("E" as "External use").

    A field name means one thing in the whole history: two apps may not give it two sets of
    choices.
    """
    if _choices.setdefault(field, choices) is not choices:
        raise ValueError(f"the history already shows {field!r} with {_choices[field].__name__}")


def audit_namer_register(*, target: str, namer: RecordNamer) -> None:
    """Name the records of type ``target``: ``namer(ids)`` gives ``{id: name}`` for those ids it
    knows, in one query."""
    if target not in Target.values:
        raise ValueError(f"unknown record type {target!r}")
    if _namers.setdefault(target, namer) is not namer:
        raise ValueError(f"the history already names records of type {target!r}")


def audit_record_names(events: Iterable[AuditEvent]) -> dict[tuple[str, int], str]:
    """What staff call the records of ``events``, by ``(target, target_id)``: one call of each
    registered namer; records of unnamed types, or that are gone, are left out."""
    ids: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.target in _namers:
            ids[event.target].add(event.target_id)
    return {
        (target, pk): name
        for target, wanted in ids.items()
        for pk, name in _namers[target](wanted).items()
    }


def _shown(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    choices = _choices.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def audit_change_lines(changes: Mapping[str, Any]) -> list[ChangeLine]:
    """An event's changes as labelled before and after texts (escaped by the template).

    Fields come in a fixed order: PostgreSQL's JSON keeps no order of its own.
    """
    order = list(FIELD_LABELS)
    fields = sorted(changes, key=lambda f: (order.index(f) if f in order else len(order), f))
    lines = []
    for field in fields:
        values = changes[field]
        before, after = values if isinstance(values, list) and len(values) == 2 else (None, values)
        lines.append(
            ChangeLine(
                label=str(FIELD_LABELS.get(field, field.replace("_", " ").capitalize())),
                before=_shown(field, before),
                after=_shown(field, after),
            )
        )
    return lines
