"""Staff's records pages: download the records or a template, and bring a records file in.

An upload is checked first and shown as a preview; only a confirmation imports it (services.py).
While either runs, the page polls its progress, which the import reports to the cache under a
key the page made (progress.py).
"""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reports.forms import RecordsExportForm, RecordsUploadForm
from reports.models import ImportBatch
from reports.records.exporting import RecordsFile, records_export, records_template
from reports.records.layout import SHEETS
from reports.records.progress import progress_reporter, progress_state
from reports.records.selectors import import_batch_get, import_batch_list, import_batch_preview
from reports.records.services import import_batch_check, import_batch_discard, import_batch_import
from sessions.access import staff_required


def _download(file: RecordsFile) -> HttpResponse:
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
            "batches": import_batch_list(),
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


@require_POST
@staff_required
def records_upload(request: HttpRequest) -> HttpResponse:
    form = RecordsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _records_page(request, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    batch = import_batch_check(
        name=upload.name,
        content=upload.read(),
        actor=request.user,
        progress=progress_reporter(request.POST.get("progress", "")),
    )
    return redirect("reports:records_batch", pk=batch.pk)


@require_GET
@never_cache
@staff_required
def records_batch(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        batch = import_batch_get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "reports/records_batch.html",
        {"batch": batch, **import_batch_preview(batch=batch), "progress": uuid.uuid4()},
    )


@require_POST
@staff_required
def records_batch_import(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        batch, result = import_batch_import(
            pk=pk,
            actor=request.user,
            progress=progress_reporter(request.POST.get("progress", "")),
        )
    except ImportBatch.DoesNotExist:
        raise Http404 from None
    if result is None:
        messages.info(
            request,
            _("This file was already dealt with: %(status)s.")
            % {"status": batch.get_status_display()},
        )
    elif result.written:
        messages.success(request, _("The records were imported."))
    else:
        messages.error(request, _("Nothing was imported: the records changed since the check."))
    return redirect("reports:records_batch", pk=batch.pk)


@require_POST
@staff_required
def records_batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    if import_batch_discard(pk=pk):
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
    state = progress_state(key)
    if state is None:
        return HttpResponse(status=204)
    return JsonResponse(state)
