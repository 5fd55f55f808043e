"""Batches checked before problems were capped kept every problem (880,000 for one file), which
made their pages slow to load; keep the first 200 by place, as the import now does, and count
the rest in the summary. The list was already sorted by place, so its head is what the import
would keep today."""

from django.db import migrations

KEPT = 200  # reports.records.problems.PROBLEMS_KEPT when this was written


def cap_problems(apps, schema_editor):
    ImportBatch = apps.get_model("reports", "ImportBatch")
    for pk in list(ImportBatch.objects.values_list("pk", flat=True)):
        # One batch at a time: a single one may hold a hundred megabytes of problems.
        batch = ImportBatch.objects.only("problems", "summary").get(pk=pk)
        if len(batch.problems) <= KEPT:
            continue
        summary = dict(batch.summary or {})
        summary["more_problems"] = summary.get("more_problems", 0) + len(batch.problems) - KEPT
        batch.problems = batch.problems[:KEPT]
        batch.summary = summary
        batch.save(update_fields=["problems", "summary"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_publications_notifications")]

    operations = [migrations.RunPython(cap_problems, migrations.RunPython.noop)]
