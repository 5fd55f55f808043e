"""Published reports: staff publish and withdraw a phase's report; anyone with the link reads it.

The public pages serve the snapshot stored when staff published (reports/publishing.py): one
indexed query per request. They are the same for every visitor (no user-specific header, no
messages, no session), so they may be cached by browsers and proxies; ``no-cache`` makes every
cache revalidate with the ETag first, so a withdrawal takes effect at once.
"""

import hashlib
from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from reports.forms import PublishForm, WithdrawForm
from reports.models import Notification, Publication
from reports.notifications import notifications_to_queue
from reports.publishing import (
    publication_file,
    publication_live,
    publication_live_for_phase,
    publications_public,
    report_publish,
    report_withdraw,
)
from sessions.access import staff_required
from sessions.models import ProjectPhase

# --- Staff ------------------------------------------------------------------------------------


def _back(phase: ProjectPhase) -> HttpResponse:
    # No fragment: the confirmation is at the top of the page, where the page opens.
    return redirect(reverse("reports:report", args=[phase.slug]))


@require_POST
@staff_required
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish the report as it stands, or replace the live snapshot (its link stays)."""
    phase = get_object_or_404(ProjectPhase, slug=slug)
    form = PublishForm(request.POST, withdrawn_before=True)
    if not form.is_valid():
        messages.error(request, _("Choose who can find the published report."))
        return _back(phase)
    replacing = publication_live_for_phase(phase=phase) is not None
    # Who this publication e-mails: the same count the panel showed before publishing, not
    # messages still waiting from an earlier one.
    queued = notifications_to_queue(phase=phase)
    told_before = Notification.objects.filter(phase=phase).exists()
    publication = report_publish(
        phase=phase,
        visibility=form.cleaned_data["visibility"],
        user=request.user,
        new_link=form.cleaned_data.get("new_link", False),
    )
    if replacing:
        message = _("The published report is replaced by the report as it stands now.")
    else:
        message = _("The report is published.")
    if publication.visibility == Publication.Visibility.PUBLIC:
        message += " " + _("It is listed on the published reports page.")
    else:
        message += " " + _("Only people with the link can read it.")
    if queued:
        message += " " + ngettext(
            "%(count)d participant who asked to be told is being e-mailed the link.",
            "%(count)d participants who asked to be told are being e-mailed the link.",
            queued,
        ) % {"count": queued}
    elif told_before:
        message += " " + _(
            "Participants who asked to be told were e-mailed before; nobody is e-mailed again."
        )
    messages.success(request, message)
    return _back(phase)


@require_http_methods(["GET", "POST"])
@staff_required
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what withdrawing does, and a button to confirm. POST: withdraw."""
    phase = get_object_or_404(ProjectPhase, slug=slug)
    publication = publication_live_for_phase(phase=phase)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if (
            publication is None
            or not form.is_valid()
            or form.cleaned_data["publication"] != publication.pk
        ):
            messages.info(request, _("That publication was already withdrawn."))
            return _back(phase)
        report_withdraw(publication=publication, user=request.user)
        messages.success(request, _("The report is withdrawn: its link now answers “not found”."))
        return _back(phase)
    if publication is None:
        messages.info(request, _("The report is not published."))
        return _back(phase)
    return render(
        request,
        "reports/publication_withdraw.html",
        {
            "phase": phase,
            "publication": publication,
            "form": WithdrawForm(initial={"publication": publication.pk}),
            "told": Notification.objects.filter(
                phase=phase, status=Notification.Status.SENT
            ).count(),
        },
    )


# --- Everyone ---------------------------------------------------------------------------------


def _cached(
    request: HttpRequest, *, etag: str, unlisted: bool, build: Callable[[], HttpResponse]
) -> HttpResponse:
    """A 304 if the reader's copy is current, else the response; either way with the headers
    that make every cache revalidate before reuse."""
    quoted = quote_etag(etag)
    response = get_conditional_response(request, etag=quoted) or build()
    response["ETag"] = quoted
    response["Cache-Control"] = "public, no-cache"
    if unlisted:
        response["X-Robots-Tag"] = "noindex"
    return response


def _page_etag(publication: Publication) -> str:
    # The snapshot's tag, plus what else shapes the page: the language, and the stylesheets'
    # URLs (in production they carry a hash of their content, so new styles are not hidden
    # behind a 304).
    parts = [publication.etag, get_language(), static("css/site.css"), static("css/report.css")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "reports/published_index.html", {"publications": list(publications_public())}
    )


@require_safe
def report(request: HttpRequest, token: str) -> HttpResponse:
    publication = publication_live(token=token)
    if publication is None:
        raise Http404
    unlisted = publication.visibility == Publication.Visibility.UNLISTED

    def build() -> HttpResponse:
        return render(
            request,
            "reports/published.html",
            {
                "publication": publication,
                "unlisted": unlisted,
                # Safe: rendered by our own templates with autoescaping when staff published,
                # and the narrative inside it was sanitised by nh3 (reports/narrative.py).
                "body": mark_safe(publication.body_html),  # noqa: S308
            },
        )

    return _cached(request, etag=_page_etag(publication), unlisted=unlisted, build=build)


def _download(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    file = publication_file(token=token, kind=kind)
    if file is None:
        raise Http404

    def build() -> HttpResponse:
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response

    return _cached(request, etag=f"{file.etag}-{kind}", unlisted=file.unlisted, build=build)


@require_safe
def pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _download(request, token, "pdf")


@require_safe
def docx(request: HttpRequest, token: str) -> HttpResponse:
    return _download(request, token, "docx")
