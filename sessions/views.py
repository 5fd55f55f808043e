"""The facilitator's pages: plan workshops and sessions, run them, keep notes.

Every view asks sessions.roles (through the selectors) whether the user may see the workshop;
a workshop that is not theirs answers 404, exactly like one that does not exist. The live board
and the pages for working on statements are responses' (responses/facilitator_urls.py), though
their URLs sit under a workshop's too.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sessions import services
from sessions.access import facilitator_required, session_view
from sessions.audit import audit_change_lines, audit_record_names
from sessions.forms import HistoryFilterForm, NoteForm, PhaseForm, SessionForm, WorkshopForm
from sessions.models import AuditEvent, PlenarySession, Workshop
from sessions.roles import user_is_staff_member, workshops_visible_to
from sessions.selectors import (
    note_history,
    note_latest,
    workshop_detail_for,
    workshop_events,
)

Phase = PlenarySession.Phase


def _workshop(request: HttpRequest, pk: int) -> Workshop:
    workshop = workshops_visible_to(request.user).filter(pk=pk).first()
    if workshop is None:
        raise Http404
    return workshop


# --- Workshops --------------------------------------------------------------------------------


@require_GET
@login_required
def workshop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        workshop = workshop_detail_for(user=request.user, pk=pk)
    except Workshop.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "workshop_sessions/workshop_detail.html",
        {
            "workshop": workshop,
            "phases": PlenarySession.Phase.choices,
            "is_staff_member": user_is_staff_member(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@facilitator_required
def workshop_create(request: HttpRequest) -> HttpResponse:
    form = WorkshopForm(request.POST or None, can_assign=user_is_staff_member(request.user))
    if request.method == "POST" and form.is_valid():
        workshop = services.workshop_create(creator=request.user, **form.cleaned_data)
        messages.success(request, _("The workshop is created. Now plan its sessions."))
        return redirect(workshop)
    return render(request, "workshop_sessions/workshop_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@facilitator_required
def workshop_edit(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = _workshop(request, pk)
    can_assign = user_is_staff_member(request.user)
    form = WorkshopForm(request.POST or None, instance=workshop, can_assign=can_assign)
    if request.method == "POST" and form.is_valid():
        form.save()
        if can_assign:
            workshop.facilitators.set(form.cleaned_data["facilitators"])
        message = _("The workshop is saved.")
        if "status" in form.changed_data and workshop.status == Workshop.Status.COMPLETED:
            message += " " + _("Its participants can now see the agency projects you approved.")
        messages.success(request, message)
        return redirect(workshop)
    return render(
        request, "workshop_sessions/workshop_form.html", {"form": form, "workshop": workshop}
    )


HISTORY_PER_PAGE = 100


@require_GET
@facilitator_required
def workshop_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed which statement, category or note, and when: newest first, filterable."""
    workshop = _workshop(request, pk)
    form = HistoryFilterForm(request.GET or None, workshop=workshop)
    filters = form.cleaned_data if form.is_valid() else {}
    events = workshop_events(
        workshop=workshop, session=filters.get("session"), target=filters.get("target", "")
    )
    paginator = Paginator(events, HISTORY_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    # Records are named by the app that owns them (a participant by their reference), in one
    # query per record type for the page.
    names = audit_record_names(page)
    return render(
        request,
        "workshop_sessions/workshop_history.html",
        {
            "workshop": workshop,
            "form": form,
            "filtered": bool(filters.get("session") or filters.get("target")),
            "page": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "rows": [
                (
                    event,
                    _history_record(event, names),
                    audit_change_lines(event.changes),
                    _history_link(event),
                )
                for event in page
            ],
        },
    )


def _history_record(event: AuditEvent, names: dict[tuple[str, int], str]) -> str:
    """What an event is about, as staff know it: a record by the name its app gives it (a
    participant by their reference), the workshop by its title, others by kind and number."""
    name = names.get((event.target, event.target_id))
    if name is not None:
        return name
    if event.target == AuditEvent.Target.WORKSHOP:
        return _("This workshop")
    return f"{str(event.get_target_display()).capitalize()} {event.target_id}"


# Where a record of each type is worked on; other records link to their session's card.
# Pages link across apps by URL name (the workshop page links to responses' pages too): only
# imports must go one way.
_HISTORY_PAGES = {
    "statement": "facilitation:session_clustering",
    "category": "facilitation:session_clustering",
    "paper_dots": "facilitation:session_clustering",
    "note": "workshop_sessions:session_note_history",
}


def _history_link(event: AuditEvent) -> str:
    if event.session_id is None:
        return ""
    name = _HISTORY_PAGES.get(event.target)
    if name is None:
        workshop_url = reverse("workshop_sessions:workshop_detail", args=[event.workshop_id])
        return f"{workshop_url}#session-{event.session_id}"
    return reverse(name, args=[event.workshop_id, event.session_id])


# --- Sessions ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@facilitator_required
def session_create(request: HttpRequest, workshop_pk: int) -> HttpResponse:
    workshop = _workshop(request, workshop_pk)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.session_create(workshop=workshop, **form.cleaned_data)
        messages.success(request, _("The session is added to the agenda."))
        return redirect(workshop)
    return render(
        request, "workshop_sessions/session_form.html", {"form": form, "workshop": workshop}
    )


@require_http_methods(["GET", "POST"])
@session_view
def session_edit(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The session is saved."))
        return redirect(session.workshop)
    return render(
        request,
        "workshop_sessions/session_form.html",
        {"form": form, "workshop": session.workshop, "session": session},
    )


@require_POST
@session_view
def session_move(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    direction = request.POST.get("direction", "")
    if direction in ("up", "down"):
        services.session_move(session=session, direction=direction)
        messages.success(
            request,
            _("“%(title)s” is now number %(position)d.")
            % {"title": session.title, "position": session.position},
        )
    return redirect(f"{session.workshop.get_absolute_url()}#session-{session.pk}")


@require_http_methods(["GET", "POST"])
@session_view
def session_phase(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """Move the session to another phase (POST). Opening voting when its categories cannot take
    every participant's dots does not happen silently: the facilitator is sent to this URL's
    GET, a page that says so and offers the fixes as buttons, each posting here again."""
    to_board = request.POST.get("next_page", request.GET.get("next_page")) == "board"
    back = (
        _board_url(session)
        if to_board
        else f"{session.workshop.get_absolute_url()}#session-{session.pk}"
    )
    if request.method == "GET":
        shortfall = _dot_shortfall(session)
        if shortfall is None or session.phase == Phase.VOTING:
            return redirect(back)
        return render(
            request,
            "workshop_sessions/session_voting_warning.html",
            {
                "session": session,
                "workshop": session.workshop,
                "shortfall": shortfall,
                "next_page": "board" if to_board else "",
                "back": back,
            },
        )
    form = PhaseForm(request.POST)
    if form.is_valid():
        phase = form.cleaned_data["phase"]
        fix = request.POST.get("fix", "")
        shortfall = None
        if phase == Phase.VOTING and session.phase != Phase.VOTING:
            shortfall = _dot_shortfall(session)
        if shortfall is not None and fix not in shortfall.fixes:
            warning = reverse(
                "workshop_sessions:session_phase", args=[session.workshop_id, session.pk]
            )
            return redirect(f"{warning}?next_page=board" if to_board else warning)
        services.session_phase_set(
            session=session,
            phase=phase,
            dots_per_participant=shortfall.categories if shortfall and fix == "dots" else None,
            dots_may_stack=True if shortfall and fix == "stack" else None,
        )
        messages.success(request, _phase_message(session, fix if shortfall else ""))
    return redirect(back)


@dataclass(frozen=True)
class DotShortfall:
    """A session whose categories cannot take all of a participant's dots."""

    categories: int
    dots: int

    @property
    def fixes(self) -> tuple[str, ...]:
        # With no category at all, no number of dots or stacking helps.
        return ("dots", "stack", "anyway") if self.categories else ("anyway",)


def _dot_shortfall(session: PlenarySession) -> DotShortfall | None:
    """Whether a participant could be left with dots nowhere to go: no categories, or fewer
    than their dots while each category takes one.

    The categories are responses', which this app may not import: counted through the reverse
    relation, as the workshop page's selector does (one COUNT, no import).
    """
    categories = session.categories.count()
    if categories == 0 or (
        not session.dots_may_stack and categories < session.dots_per_participant
    ):
        return DotShortfall(categories=categories, dots=session.dots_per_participant)
    return None


def _phase_message(session: PlenarySession, fix: str) -> str:
    message = _("“%(title)s” is now in the phase: %(phase)s.") % {
        "title": session.title,
        "phase": session.get_phase_display(),
    }
    if fix == "dots":
        message += " " + ngettext(
            "Each participant has %(dots)d dot.",
            "Each participant has %(dots)d dots.",
            session.dots_per_participant,
        ) % {"dots": session.dots_per_participant}
    elif fix == "stack":
        message += " " + _("Participants may put more than one dot on a category.")
    return message


@require_POST
@session_view
def session_reveal(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    revealed = request.POST.get("revealed") == "1"
    services.session_results_reveal(session=session, revealed=revealed)
    messages.success(
        request,
        _("The results are shown to participants and on the board.")
        if revealed
        else _("The results are hidden again."),
    )
    return redirect(_board_url(session))


def _board_url(session: PlenarySession) -> str:
    # The live board is responses' page (it shows statements and dots), under this session's path.
    return reverse("facilitation:session_board", args=[session.workshop_id, session.pk])


@require_GET
@session_view
def session_join_screen(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """For the projector: the session's join code, link and QR code in large type."""
    return render(
        request,
        "workshop_sessions/session_join_screen.html",
        {"session": session, "workshop": session.workshop, "join_url": _join_url(request, session)},
    )


def _join_url(request: HttpRequest, session: PlenarySession) -> str:
    return request.build_absolute_uri(reverse("responses:session", args=[session.join_code]))


# --- Notes ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@session_view
def session_notes(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """The notes editor. Saves never overwrite: a conflicting save keeps both texts."""
    latest = note_latest(session=session)
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            saved = services.note_save(
                session=session,
                author=request.user,
                text=form.cleaned_data["text"],
                based_on=form.cleaned_data["based_on"],
            )
            return _note_saved(request, session, saved)
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"status": "refused", "errors": form.errors}, status=400)
    else:
        form = NoteForm(
            initial={"text": latest.text if latest else "", "based_on": latest and latest.number}
        )
    return render(
        request,
        "workshop_sessions/notes.html",
        {"session": session, "workshop": session.workshop, "form": form, "latest": latest},
    )


def _note_saved(request: HttpRequest, session: PlenarySession, saved) -> HttpResponse:
    revision, conflict = saved.revision, saved.conflict_with
    if "application/json" in request.headers.get("Accept", ""):
        body = {"status": "saved", "revision": revision.number}
        if conflict is not None:
            body["conflict"] = {
                "revision": conflict.number,
                "author": _author_name(conflict.author),
                "text": conflict.text,
            }
        return JsonResponse(body)
    if conflict is not None:
        form = NoteForm(initial={"text": revision.text, "based_on": revision.number})
        return render(
            request,
            "workshop_sessions/notes.html",
            {
                "session": session,
                "workshop": session.workshop,
                "form": form,
                "latest": revision,
                "conflict": conflict,
                "conflict_author": _author_name(conflict.author),
            },
            status=409,
        )
    messages.success(request, _("Notes saved as revision %(n)d.") % {"n": revision.number})
    return redirect("workshop_sessions:session_notes", session.workshop_id, session.pk)


def _author_name(user) -> str:
    if user is None:
        return _("someone")
    return user.get_full_name() or user.get_username()


@require_GET
@session_view
def session_note_history(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    return render(
        request,
        "workshop_sessions/note_history.html",
        {
            "session": session,
            "workshop": session.workshop,
            "revisions": note_history(session=session),
        },
    )
