"""Publishing a phase's summary report as a read-only web page, and withdrawing it.

Publishing renders the report once, as staff see it at that moment, and stores the snapshot: the
page body (without the staff-only links to the records), the PDF and the Word file. Readers are
served the snapshot, one indexed query per request, whatever the records do afterwards.

A phase has at most one live publication (a database constraint). Publishing again while one is
live updates it in place with a new snapshot and keeps its link, so a link already shared keeps
working; only withdrawing ends a link, and publishing after a withdrawal makes a new one.
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reports.exports import ExportUnavailable, export_docx, export_pdf, report_charts
from reports.models import Publication
from reports.notifications import notifications_kick, publication_notify
from reports.selectors import report_build
from reports.structure import Report
from sessions.models import ProjectPhase


@dataclass(frozen=True)
class Snapshot:
    title: str
    body_html: str
    pdf: bytes | None
    docx: bytes
    scope: dict[str, list[str]]


def scope_record(report: Report) -> dict[str, list[str]]:
    """The workshops a report covers and leaves out, as stored with its publication."""
    return {
        "included": [w.title for w in report.workshops],
        "left_out": [w.title for w in report.left_out],
    }


def _snapshot(phase: ProjectPhase) -> Snapshot:
    report = report_build(phase=phase)
    # The same templates as the staff page, with trace=False: no links to the staff-only pages
    # behind the counts. Autoescaped; the narrative's HTML is already sanitised by nh3.
    body_html = render_to_string(
        "reports/_publication_body.html",
        {"report": report, "charts": report_charts(report), "trace": False},
    )
    try:
        pdf = export_pdf(report)
    except ExportUnavailable:
        pdf = None  # this server cannot make PDFs: the page offers Word only
    return Snapshot(
        title=report.title,
        body_html=body_html,
        pdf=pdf,
        docx=export_docx(report),
        scope=scope_record(report),
    )


def _etag(publication: Publication) -> str:
    digest = hashlib.sha256()
    for part in (
        publication.title.encode(),
        publication.visibility.encode(),
        publication.published_at.isoformat().encode(),
        publication.body_html.encode(),
        bytes(publication.pdf or b""),
        bytes(publication.docx or b""),
    ):
        # Each part prefixed by its length, so no two different snapshots hash alike.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def report_publish(
    *, phase: ProjectPhase, visibility: str, user, new_link: bool = False
) -> Publication:
    """Publish the phase's report as it stands (or replace the live snapshot, keeping its link)
    and queue the participants' notifications. Returns the live publication."""
    if visibility not in Publication.Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    # Rendering (the PDF takes seconds) happens before the transaction: on SQLite a transaction
    # holds the write lock from its start, and participants' cards must not wait on a PDF.
    snapshot = _snapshot(phase)
    return _publication_store(
        phase=phase, visibility=visibility, user=user, snapshot=snapshot, new_link=new_link
    )


@transaction.atomic
def _publication_store(
    *, phase: ProjectPhase, visibility: str, user, snapshot: Snapshot, new_link: bool
) -> Publication:
    # Lock the phase so two staff publishing at once queue instead of both inserting a live row.
    ProjectPhase.objects.select_for_update().get(pk=phase.pk)
    live = Publication.objects.select_for_update().filter(phase=phase, withdrawn_at__isnull=True)
    # After a withdrawal the report comes back at its previous link (participants were e-mailed
    # it), unless staff ask for a new one, e.g. because the old link went too far.
    withdrawn = Publication.objects.filter(phase=phase, withdrawn_at__isnull=False).order_by(
        "-withdrawn_at", "-pk"
    )
    publication = (
        live.first() or (None if new_link else withdrawn.first()) or Publication(phase=phase)
    )
    publication.withdrawn_at = None
    publication.withdrawn_by = None
    publication.visibility = visibility
    publication.title = snapshot.title
    publication.body_html = snapshot.body_html
    publication.pdf = snapshot.pdf
    publication.docx = snapshot.docx
    publication.scope = snapshot.scope
    publication.published_at = timezone.now()
    publication.published_by = user
    publication.etag = _etag(publication)
    publication.save()
    publication_notify(publication=publication)
    # Sending starts once the publication is committed (the worker retries what fails).
    transaction.on_commit(notifications_kick)
    return publication


@transaction.atomic
def report_withdraw(*, publication: Publication, user) -> Publication:
    """End the publication's link at once. Withdrawing a withdrawn publication changes nothing."""
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.withdrawn_at is None:
        publication.withdrawn_at = timezone.now()
        publication.withdrawn_by = user
        publication.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return publication


# --- Reads ------------------------------------------------------------------------------------


def _without_files(queryset: QuerySet) -> QuerySet:
    """The files stay in the database until someone downloads one; the page only needs to know
    whether they exist."""
    return queryset.defer("pdf", "docx").annotate(
        has_pdf=ExpressionWrapper(Q(pdf__isnull=False), output_field=BooleanField()),
        has_docx=ExpressionWrapper(Q(docx__isnull=False), output_field=BooleanField()),
    )


def publication_live(*, token: str) -> Publication | None:
    """The live publication behind a link, or None for a withdrawn or unknown one. One query on
    the token's unique index; the files are not loaded (see ``publication_file``)."""
    return (
        _without_files(Publication.objects.filter(token=token, withdrawn_at__isnull=True))
        .select_related("phase")
        .first()
    )


def publication_live_for_phase(*, phase: ProjectPhase) -> Publication | None:
    """The phase's live publication, for the staff report page, or None (without its body)."""
    return (
        _without_files(Publication.objects.filter(phase=phase, withdrawn_at__isnull=True))
        .defer("body_html")
        .select_related("published_by")
        .first()
    )


def publication_path_for_phase(*, phase_id: int, public_only: bool) -> str | None:
    """The path of a phase's live published report, for a closed session's page (registered
    with responses in ReportsConfig.ready()); only a public one if ``public_only``. One query."""
    live = Publication.objects.filter(phase_id=phase_id, withdrawn_at__isnull=True)
    if public_only:
        live = live.filter(visibility=Publication.Visibility.PUBLIC)
    token = live.values_list("token", flat=True).first()
    return reverse("published:report", args=[token]) if token else None


def publications_public() -> QuerySet[Publication]:
    """Live public publications, newest first; unlisted ones never appear."""
    return (
        Publication.objects.filter(
            withdrawn_at__isnull=True, visibility=Publication.Visibility.PUBLIC
        )
        .select_related("phase")
        .only("token", "title", "published_at", "phase__title", "phase__slug")
        .order_by("-published_at", "-pk")
    )


@dataclass(frozen=True)
class PublishedFile:
    content: bytes
    filename: str
    content_type: str
    etag: str
    unlisted: bool


FILE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def publication_file(*, token: str, kind: str) -> PublishedFile | None:
    """A live publication's PDF or Word file, in one query; None if there is none."""
    if kind not in FILE_TYPES:
        raise ValueError(f"unknown file kind {kind!r}")
    row = (
        Publication.objects.filter(token=token, withdrawn_at__isnull=True)
        .values_list(kind, "etag", "visibility", "phase__slug")
        .first()
    )
    if row is None or row[0] is None:
        return None
    content, etag, visibility, slug = row
    return PublishedFile(
        content=bytes(content),  # PostgreSQL gives a memoryview
        filename=f"{slug}-summary-report.{kind}",
        content_type=FILE_TYPES[kind],
        etag=etag,
        unlisted=visibility == Publication.Visibility.UNLISTED,
    )
