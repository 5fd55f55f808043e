"""Staff's records pages: download the records or a template, and bring a records file in.

An upload is checked first (the import runs and is rolled back, so every rule is applied) and
shown as a preview; only a confirmation imports it. While either runs, the page polls its
progress, which the import reports to the cache under a key the page made.
"""

import hashlib
import uuid
from datetime import timedelta

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reports.forms import RecordsExportForm, RecordsUploadForm
from reports.models import ImportBatch
from reports.records.exporting import records_export, records_template
from reports.records.importing import ImportResult, records_import
from reports.records.layout import SHEETS
from reports.records.problems import PROBLEMS_KEPT
from reports.views import staff_required
from sessions.models import Workshop
from sessions.text import strip_control_characters

PROGRESS_SECONDS = 15 * 60
# A checked file waiting for confirmation may hold personal data: it is dropped after a day.
UNCONFIRMED_KEPT = timedelta(days=1)


def _progress_key(key: str) -> str:
    return f"records-progress:{key}"


def _reporter(key: str):
    try:
        key = str(uuid.UUID(key))
    except ValueError:
        return None  # no progress to show: the page did not ask for it

    def report(stage: str, done: int, total: int) -> None:
        cache.set(
            _progress_key(key), {"stage": stage, "done": done, "total": total}, PROGRESS_SECONDS
        )

    return report


def _download(file) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _records_page(request: HttpRequest, *, export_form=None, upload_form=None, status=200):
    return render(
        request,
        "reports/records.html",
        {
            "export_form": export_form or RecordsExportForm(),
            "upload_form": upload_form or RecordsUploadForm(),
            "progress": uuid.uuid4(),
            # Only what the list shows: a batch's file and problems may run to megabytes.
            "batches": ImportBatch.objects.select_related("created_by").only(
                "filename", "status", "created_at", "created_by"
            )[:20],
            "sheets": SHEETS,
        },
        status=status,
    )


@require_GET
@staff_required
def records(request: HttpRequest) -> HttpResponse:
    return _records_page(request)


@require_GET
@staff_required
def records_download(request: HttpRequest) -> HttpResponse:
    form = RecordsExportForm(request.GET)
    if not form.is_valid():
        return _records_page(request, export_form=form, status=400)
    return _download(
        records_export(phase=form.cleaned_data["phase"], fmt=form.cleaned_data["format"])
    )


@require_GET
@staff_required
def records_template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "csv"):
        return render(request, "404.html", status=404)
    return _download(records_template(fmt=fmt))


def _forget_unconfirmed() -> None:
    ImportBatch.objects.filter(
        status=ImportBatch.Status.CHECKED, created_at__lt=timezone.now() - UNCONFIRMED_KEPT
    ).update(status=ImportBatch.Status.DISCARDED, content=None, finished_at=timezone.now())


def _store(batch: ImportBatch, result: ImportResult) -> None:
    batch.summary = result.summary()
    batch.problems = result.problem_dicts()


@require_POST
@staff_required
def records_upload(request: HttpRequest) -> HttpResponse:
    form = RecordsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _records_page(request, upload_form=form, status=400)
    _forget_unconfirmed()
    upload = form.cleaned_data["file"]
    content = upload.read()
    result = records_import(
        name=upload.name,
        content=content,
        actor=request.user,
        dry_run=True,
        progress=_reporter(request.POST.get("progress", "")),
    )
    batch = ImportBatch(
        filename=strip_control_characters(upload.name)[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        content=content if result.ok else None,
        status=ImportBatch.Status.CHECKED if result.ok else ImportBatch.Status.INVALID,
        created_by=request.user,
    )
    _store(batch, result)
    batch.save()
    return redirect("reports:records_batch", pk=batch.pk)


@require_GET
@never_cache
@staff_required
def records_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(
        ImportBatch.objects.select_related("created_by").defer("content"), pk=pk
    )
    counts = batch.summary.get("counts", {})
    # Batches checked before problems were capped may hold many more than are kept now.
    problems = batch.problems[:PROBLEMS_KEPT]
    problem_count = len(batch.problems) + batch.summary.get("more_problems", 0)
    return render(
        request,
        "reports/records_batch.html",
        {
            "batch": batch,
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
            "progress": uuid.uuid4(),
        },
    )


@require_POST
@staff_required
def records_batch_import(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        # The lock makes a second click wait for the first import and then find it done.
        batch = get_object_or_404(ImportBatch.objects.select_for_update(), pk=pk)
        if batch.status != ImportBatch.Status.CHECKED:
            messages.info(
                request,
                _("This file was already dealt with: %(status)s.")
                % {"status": batch.get_status_display()},
            )
            return redirect("reports:records_batch", pk=batch.pk)
        result = records_import(
            name=batch.filename,
            content=bytes(batch.content),
            actor=request.user,
            progress=_reporter(request.POST.get("progress", "")),
        )
        _store(batch, result)
        batch.status = ImportBatch.Status.IMPORTED if result.written else ImportBatch.Status.INVALID
        batch.content = None
        batch.finished_at = timezone.now()
        batch.save()
    if result.written:
        messages.success(request, _("The records were imported."))
    else:
        messages.error(request, _("Nothing was imported: the records changed since the check."))
    return redirect("reports:records_batch", pk=batch.pk)


@require_POST
@staff_required
def records_batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    updated = ImportBatch.objects.filter(pk=pk, status=ImportBatch.Status.CHECKED).update(
        status=ImportBatch.Status.DISCARDED, content=None, finished_at=timezone.now()
    )
    if updated:
        messages.success(request, _("The file was discarded; nothing was imported."))
    return redirect(reverse("reports:records"))


@require_GET
@never_cache
def records_progress(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """How far the check or import started by a page has got.

    The key is a random UUID only that page knows, and the answer holds nothing but a stage and
    two counts, so the key is the permission: no sign-in check, hence no database query, so the
    poll is answered at once even while the import holds SQLite's write lock.
    """
    state = cache.get(_progress_key(str(key)))
    if state is None:
        return HttpResponse(status=204)
    return JsonResponse(state)
