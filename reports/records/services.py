"""The import-batch lifecycle: a records file checked and kept, then imported or discarded.

An upload is checked first (the import runs and is rolled back, so every rule is applied) and
stored as a batch; only a confirmation imports it, under a row lock so that a second click waits
for the first and then finds it done. A checked file may hold personal data, so one that waits
for confirmation longer than ``UNCONFIRMED_KEPT`` is forgotten.
"""

import hashlib
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from reports.models import ImportBatch
from reports.records.importing import ImportResult, Progress, records_import
from sessions.text import strip_control_characters

# A checked file waiting for confirmation may hold personal data: it is dropped after a day.
UNCONFIRMED_KEPT = timedelta(days=1)


def _store(batch: ImportBatch, result: ImportResult) -> None:
    batch.summary = result.summary()
    batch.problems = result.problem_dicts()


@transaction.atomic
def import_batch_forget_unconfirmed() -> int:
    """Discard the checked batches older than ``UNCONFIRMED_KEPT``, dropping their files.

    Returns how many were discarded.
    """
    return ImportBatch.objects.filter(
        status=ImportBatch.Status.CHECKED, created_at__lt=timezone.now() - UNCONFIRMED_KEPT
    ).update(status=ImportBatch.Status.DISCARDED, content=None, finished_at=timezone.now())


def import_batch_check(
    *,
    name: str,
    content: bytes,
    actor: AbstractBaseUser,
    progress: Progress | None = None,
) -> ImportBatch:
    """Check a records file and store it as a batch: ``checked`` (file kept) or ``invalid``.

    Side effects: forgets the unconfirmed batches past ``UNCONFIRMED_KEPT`` first. The check
    writes the records and rolls them back (``records_import(dry_run=True)``) in its own
    transaction; the batch is then saved in one statement. The two are not wrapped in one
    transaction on purpose: on SQLite that would hold the write lock for the whole check.
    """
    import_batch_forget_unconfirmed()
    result = records_import(
        name=name, content=content, actor=actor, dry_run=True, progress=progress
    )
    batch = ImportBatch(
        filename=strip_control_characters(name)[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        content=content if result.ok else None,
        status=ImportBatch.Status.CHECKED if result.ok else ImportBatch.Status.INVALID,
        created_by=actor,
    )
    _store(batch, result)
    batch.save()
    return batch


@transaction.atomic
def import_batch_import(
    *, pk: int, actor: AbstractBaseUser, progress: Progress | None = None
) -> tuple[ImportBatch, ImportResult | None]:
    """Import a checked batch's file, once; the result is None if the batch was already done.

    Raises ``ImportBatch.DoesNotExist`` for an unknown batch. Side effects: the batch's row is
    locked while the file is imported, so a second click waits for the first import and then
    finds it done; the batch becomes ``imported`` (or ``invalid`` if the database refused the
    records, which then are rolled back whole), its file is dropped and its summary and
    problems are replaced by the import's. The import records one history event per workshop.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=pk)
    if batch.status != ImportBatch.Status.CHECKED:
        return batch, None
    result = records_import(
        name=batch.filename, content=bytes(batch.content), actor=actor, progress=progress
    )
    _store(batch, result)
    batch.status = ImportBatch.Status.IMPORTED if result.written else ImportBatch.Status.INVALID
    batch.content = None
    batch.finished_at = timezone.now()
    batch.save()
    return batch, result


@transaction.atomic
def import_batch_discard(*, pk: int) -> bool:
    """Discard a checked batch and drop its file; False if it was not waiting (or is unknown)."""
    updated = ImportBatch.objects.filter(pk=pk, status=ImportBatch.Status.CHECKED).update(
        status=ImportBatch.Status.DISCARDED, content=None, finished_at=timezone.now()
    )
    return bool(updated)
