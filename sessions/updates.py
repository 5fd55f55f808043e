"""Updating a record's fields: the one way every write service changes an existing row.

``model_update`` sets the given fields, saves only those that changed and returns the changes;
``model_update_audited`` does the same and records them in the history when there are any, so
every "changed" event is made the same way (HackSoft's ``model_update``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from django.db import connections, models, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from sessions.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from sessions.models import PlenarySession, Workshop


def model_update(*, instance: models.Model, fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set ``fields`` on ``instance``, save those that changed, return ``{field: [before, after]}``.

    Nothing is written when nothing changed. A field updated automatically on save
    (``auto_now``, such as ``updated_at``) is saved along with any change. A foreign key is
    compared, and reported, by its id, so no related row is loaded to compare it.
    """
    changes: dict[str, list[Any]] = {}
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        if not field.concrete or field.many_to_many:
            raise ValueError(f"{name!r} is not a column of {type(instance).__name__}")
        if field.is_relation:
            before = getattr(instance, field.attname)
            after = value.pk if isinstance(value, models.Model) else value
        else:
            before, after = getattr(instance, name), value
        if before != after:
            changes[field.name] = [before, after]
            setattr(instance, name, value)
    if changes:
        automatic = [
            field.name
            for field in instance._meta.concrete_fields
            if getattr(field, "auto_now", False) and field.name not in changes
        ]
        instance.save(update_fields=[*changes, *automatic])
    return changes


def model_update_audited(
    *,
    instance: models.Model,
    fields: Mapping[str, Any],
    recorded: Collection[str] | None = None,
    workshop: Workshop,
    session: PlenarySession | None = None,
    actor: AbstractBaseUser | None = None,
    participant: models.Model | None = None,
    action: str,
    target: str,
) -> dict[str, list[Any]]:
    """``model_update``, then one history event about ``instance`` if a recorded field changed.

    ``recorded`` names the fields the history keeps (all of ``fields`` when ``None``); their
    values must be JSON. ``participant`` is a responses.Participant, typed as any model as in
    ``audit_record`` (this app is the bottom layer). Returns the recorded changes, empty when no
    event was stored.
    """
    changes = model_update(instance=instance, fields=fields)
    if recorded is not None:
        changes = {field: change for field, change in changes.items() if field in recorded}
    if changes:
        audit_record(
            workshop=workshop,
            session=session,
            actor=actor,
            participant=participant,
            action=action,
            target=target,
            target_id=instance.pk,
            changes=changes,
        )
    return changes


def model_insert_once(instance: models.Model) -> bool:
    """Insert ``instance`` unless a row with one of its unique values exists; True if inserted.

    One statement (``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on PostgreSQL, ``INSERT OR
    IGNORE … RETURNING`` on SQLite) instead of a look-up then an insert, and no savepoint for an
    IntegrityError: the idempotent writes (a card's or a dot's key) take this path. The primary
    key is set on ``instance`` when it was inserted.
    """
    meta = instance._meta
    using = router.db_for_write(type(instance), instance=instance)
    fields = [field for field in meta.local_concrete_fields if not field.generated]
    if getattr(instance, meta.pk.attname) is None:
        fields = [field for field in fields if field is not meta.pk]
    query = InsertQuery(type(instance), on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    setattr(instance, meta.pk.attname, meta.pk.to_python(row[0]))
    instance._state.adding = False
    instance._state.db = using
    return True
