"""Pages for agency projects: participants describe their organisations' social media projects,
the workshop's facilitators review them, and the approved list is shared after the workshop.

The participant's pages live under a session's code (responses/urls.py) and find the
participant from the browser's cookie, in every phase of the session; the review page and its
download live under the workshop (responses/facilitator_urls.py), for its facilitators and
staff only. Every form posts and redirects back, so all of it works without JavaScript.
"""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from responses.forms import AgencyProjectForm, ProjectReviewForm
from responses.models import AgencyProject
from responses.projects import (
    DOWNLOADS,
    ProjectDetails,
    project_review,
    project_submit,
    project_withdraw,
)
from responses.selectors import (
    projects_approved,
    projects_are_shared,
    projects_for_review,
    projects_own,
    projects_shared,
)
from responses.services import ParticipationRefused
from responses.views import participant_view
from sessions.access import facilitator_required
from sessions.models import Workshop
from sessions.roles import workshops_visible_to

Review = AgencyProject.Review

# --- The participant's pages ------------------------------------------------------------------


def _render_projects(request, session, participant, form: AgencyProjectForm, *, status: int = 200):
    return render(
        request,
        "responses/projects.html",
        {
            "session": session,
            "workshop": session.workshop,
            "form": form,
            "projects": projects_own(participant=participant),
            "shared": projects_are_shared(session.workshop),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@never_cache
@participant_view
def projects(request: HttpRequest, session, participant) -> HttpResponse:
    """Describe a project, and see one's own entries with their review."""
    if request.method == "GET":
        form = AgencyProjectForm(
            initial={"organisation": participant.organisation, "idempotency_key": uuid.uuid4()}
        )
        return _render_projects(request, session, participant, form)
    form = AgencyProjectForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "idempotency_key"}
        try:
            project_submit(
                participant=participant,
                data=ProjectDetails(**data),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ParticipationRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "Received: your project is stored. The facilitators review it before it is "
                    "shared."
                ),
            )
            return redirect("responses:projects", code=session.join_code)
    return _render_projects(request, session, participant, form, status=400)


@require_POST
@participant_view
def project_withdraw_view(request: HttpRequest, session, participant, pk: int) -> HttpResponse:
    try:
        project_withdraw(participant=participant, pk=pk)
    except ParticipationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Your entry is withdrawn."))
    return redirect("responses:projects", code=session.join_code)


@require_GET
@never_cache
@participant_view
def projects_shared_page(request: HttpRequest, session, participant) -> HttpResponse:
    """The approved list, once the workshop is completed; until then, when it will be."""
    workshop = session.workshop
    return render(
        request,
        "responses/projects_shared.html",
        {
            "session": session,
            "workshop": workshop,
            "shared": projects_are_shared(workshop),
            "projects": projects_shared(workshop=workshop),
        },
    )


def _download(workshop: Workshop, projects: list[AgencyProject], fmt: str) -> HttpResponse:
    if fmt not in DOWNLOADS:
        raise Http404
    render_file, content_type = DOWNLOADS[fmt]
    response = HttpResponse(render_file(projects), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{workshop.reference}-agency-projects.{fmt}"'
    )
    response["Cache-Control"] = "no-store"  # it may hold contacts
    return response


@require_GET
@participant_view
def projects_shared_download(request: HttpRequest, session, participant, fmt: str):
    """The shared list as a file: what the shared page shows (nothing before it is shared)."""
    workshop = session.workshop
    return _download(workshop, projects_shared(workshop=workshop), fmt)


# --- The facilitator's pages ------------------------------------------------------------------


def _workshop(request: HttpRequest, pk: int) -> Workshop:
    workshop = workshops_visible_to(request.user).filter(pk=pk).first()
    if workshop is None:
        raise Http404
    return workshop


@require_http_methods(["GET", "POST"])
@facilitator_required
def project_review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the workshop's entries, waiting first. POST: approve one or keep it out."""
    workshop = _workshop(request, pk)
    if request.method == "POST":
        form = ProjectReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("That decision could not be read: try again."))
            return redirect("facilitation:project_review", pk=workshop.pk)
        project = AgencyProject.objects.filter(
            workshop=workshop, pk=form.cleaned_data["project"]
        ).first()
        if project is None:
            raise Http404
        decision = form.cleaned_data["decision"]
        project_review(project=project, decision=decision, actor=request.user)
        names = {"organisation": project.organisation, "platform": project.platform}
        if decision == Review.APPROVED:
            message = _("Approved: %(organisation)s, %(platform)s.") % names
        else:
            message = _("Not shared: %(organisation)s, %(platform)s.") % names
        messages.success(request, message)
        # Back to the entry just reviewed, so a long list keeps its place.
        return redirect(
            reverse("facilitation:project_review", args=[workshop.pk]) + f"#project-{project.pk}"
        )
    entries = projects_for_review(workshop=workshop)
    return render(
        request,
        "responses/project_review.html",
        {
            "workshop": workshop,
            "groups": [
                (review, label, [p for p in entries if p.review == review])
                for review, label in (
                    (Review.PENDING, _("Waiting for review")),
                    (Review.APPROVED, _("Approved")),
                    (Review.REJECTED, _("Not shared")),
                )
            ],
            "approved_count": sum(p.review == Review.APPROVED for p in entries),
            "shared": projects_are_shared(workshop),
        },
    )


@require_GET
@facilitator_required
def projects_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The approved list as a file, at any time: what participants get once it is shared."""
    workshop = _workshop(request, pk)
    return _download(workshop, list(projects_approved(workshop=workshop)), fmt)
