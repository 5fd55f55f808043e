"""Staff's report pages: the report built from the records, its narrative, its exports, and
the records behind each count."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from reports import services
from reports.exports import ExportUnavailable, report_charts
from reports.forms import NarrativeForm, PublishForm
from reports.models import Publication, ReportExport, ReportNarrative
from reports.narrative import SECTIONS, markdown_to_html
from reports.notifications import notifications_to_queue
from reports.publishing import publication_live_for_phase, scope_record
from reports.selectors import (
    may_be_named,
    participant_label,
    report_build,
    report_scope,
    workshop_withheld_below,
)
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from sessions.access import staff_required
from sessions.models import ProjectPhase, Workshop


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    phases = ProjectPhase.objects.order_by("-starts_on", "title")
    return render(request, "reports/index.html", {"phases": phases})


@require_GET
@staff_required
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    phase = get_object_or_404(ProjectPhase, slug=slug)
    report = report_build(phase=phase)
    publication = publication_live_for_phase(phase=phase)
    return render(
        request,
        "reports/report.html",
        {
            "report": report,
            "charts": report_charts(report),
            "trace": True,
            "formats": ReportExport.Format.choices,
            "publication": publication,
            "publication_url": (
                request.build_absolute_uri(reverse("published:report", args=[publication.token]))
                if publication
                else ""
            ),
            "publish_form": PublishForm(
                initial={"visibility": publication.visibility} if publication else None,
                withdrawn_before=publication is None
                and Publication.objects.filter(phase=phase).exists(),
            ),
            "to_notify": notifications_to_queue(phase=phase),
            "current_scope": scope_record(report),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def narrative_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Markdown for each section, with a preview before saving. Numbers are never typed here."""
    phase = get_object_or_404(ProjectPhase, slug=slug)
    narrative = ReportNarrative.objects.filter(phase=phase).first() or ReportNarrative(phase=phase)
    form = NarrativeForm(request.POST or None, instance=narrative, scope=report_scope(phase=phase))
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = [(title, markdown_to_html(form.cleaned_data[key])) for key, title in SECTIONS]
        else:
            services.narrative_save(phase=phase, user=request.user, **form.cleaned_data)
            messages.success(request, _("The narrative is saved."))
            return redirect("reports:report", slug=phase.slug)
    return render(
        request,
        "reports/narrative_form.html",
        {"phase": phase, "form": form, "preview": preview},
    )


@require_GET
@staff_required
@never_cache
def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    phase = get_object_or_404(ProjectPhase, slug=slug)
    if fmt not in ReportExport.Format.values:
        raise Http404
    try:
        file = services.report_export(phase=phase, fmt=fmt, user=request.user, via="web")
    except ExportUnavailable as problem:
        messages.error(request, str(problem))
        return redirect("reports:report", slug=phase.slug)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_required
def trace_category(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The statements, dots and paper dot total behind a category's counts in the report.

    Staff see the records even where the report withholds them (a small group), with a notice
    saying so: checking the data is what this page is for.
    """
    category = get_object_or_404(
        Category.objects.select_related("session__workshop", "presented_from"),
        pk=pk,
        session__workshop__phase__slug=slug,
    )
    statements = list(
        Statement.objects.filter(category=category, hidden=False).order_by("created_at", "pk")
    )
    dots = [
        (dot, participant_label(dot.participant))
        for dot in Dot.objects.filter(category=category)
        .select_related("participant")
        .order_by("placed_at", "pk")
    ]
    paper = PaperDotTally.objects.filter(category=category).first()
    dot_total = sum(dot.count for dot, _label in dots)
    return render(
        request,
        "reports/trace_category.html",
        {
            "slug": slug,
            "category": category,
            "statements": statements,
            "dots": dots,
            "dot_total": dot_total,
            "paper": paper,
            "vote_total": dot_total + (paper.count if paper else 0),
            "withheld_below": workshop_withheld_below(category.session.workshop),
        },
    )


@require_GET
@staff_required
def trace_workshop(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The participants' records behind a workshop's attendance count. A participant's name
    and organisation appear beside them only if they consented to be named (and were not
    erased); the organisations behind the count are listed apart, tied to nobody."""
    workshop = get_object_or_404(Workshop, pk=pk, phase__slug=slug)
    participants = list(Participant.objects.filter(workshop=workshop).order_by("joined_at", "pk"))
    organisations = sorted(
        {p.organisation.strip() for p in participants if p.organisation.strip()}, key=str.lower
    )
    rows = [
        (
            participant,
            participant_label(participant),
            participant.organisation if may_be_named(participant) else "",
        )
        for participant in participants
    ]
    return render(
        request,
        "reports/trace_workshop.html",
        {
            "slug": slug,
            "workshop": workshop,
            "participants": rows,
            "organisations": organisations,
            "withheld_below": workshop_withheld_below(workshop),
        },
    )
