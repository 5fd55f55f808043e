"""Reads for the records pages: the recent import batches, and what one batch's page shows."""

from django.db.models import QuerySet

from reports.models import ImportBatch
from reports.records.layout import SHEETS
from reports.records.problems import PROBLEMS_KEPT
from sessions.models import Workshop

BATCHES_LISTED = 20


def import_batch_list() -> QuerySet[ImportBatch]:
    """The latest batches, with only what the list shows: a file and problems may be megabytes."""
    return ImportBatch.objects.select_related("created_by").only(
        "filename", "status", "created_at", "created_by"
    )[:BATCHES_LISTED]


def import_batch_get(*, pk: int) -> ImportBatch:
    """A batch without its file; raises ``ImportBatch.DoesNotExist`` for an unknown one."""
    return ImportBatch.objects.select_related("created_by").defer("content").get(pk=pk)


def import_batch_preview(*, batch: ImportBatch) -> dict[str, object]:
    """What a batch's page shows of its stored summary and problems, by name."""
    counts = batch.summary.get("counts", {})
    # Batches checked before problems were capped may hold many more than are kept now.
    problems = batch.problems[:PROBLEMS_KEPT]
    problem_count = len(batch.problems) + batch.summary.get("more_problems", 0)
    return {
        "counts": [
            (sheet.name, counts[sheet.name])
            for sheet in SHEETS
            if counts.get(sheet.name, {}).get("rows")
        ],
        "new_total": sum(c["new"] for c in counts.values()),
        "notices": batch.summary.get("notices", []),
        "workshops": Workshop.objects.filter(
            reference__in=batch.summary.get("workshops", [])
        ).order_by("date", "title")
        if batch.status == ImportBatch.Status.IMPORTED
        else [],
        "problems": problems,
        "problem_count": problem_count,
        "more_problems": problem_count - len(problems),
        "more_workshops": batch.summary.get("more_workshops", 0),
    }
