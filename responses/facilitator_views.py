"""The facilitator's work on statements: paper cards, clustering, moderation.

URLs live under a workshop's session (sessions/urls.py); access is checked by ``session_view``.
Every form posts and redirects back, so all of it works by keyboard and without JavaScript;
static/js/clustering.js adds drag and drop on top of the same forms.
"""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from responses import services
from responses.forms import PaperDotsForm
from responses.models import Category, PaperDotTally, Statement
from responses.services import FacilitationRefused, ParticipationRefused
from sessions.models import PlenarySession
from sessions.selectors import clustering_for, session_for
from sessions.views import session_view


class CardForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Card text"),
        max_length=1000,
        strip=False,
        help_text=gettext_lazy("End with (E) or (I) to mark external or internal use."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


def split_use_mark(text: str) -> tuple[str, str]:
    """'Reach more residents (E)' -> ('Reach more residents', 'E'), as written on cards."""
    stripped = text.rstrip()
    for mark in ("E", "I"):
        for suffix in (f"({mark})", f"({mark.lower()})"):
            if stripped.endswith(suffix):
                return stripped[: -len(suffix)].rstrip(), mark
    return text, ""


def _clustering_url(session: PlenarySession, anchor: str = "") -> str:
    url = reverse("workshop_sessions:session_clustering", args=[session.workshop_id, session.pk])
    return f"{url}#{anchor}" if anchor else url


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_http_methods(["GET", "POST"])
@session_view
def session_cards(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """Keyboard-first entry of paper cards: type, press Enter, the next card is ready."""
    form = CardForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        text, use = split_use_mark(form.cleaned_data["text"])
        try:
            submission = services.card_enter(
                session=session,
                actor=request.user,
                text=text,
                use=use,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ParticipationRefused as refusal:  # FacilitationRefused or a text refusal
            form.add_error("text", refusal.message)
        else:
            if "application/json" in request.headers.get("Accept", ""):
                statement = submission.statement
                return JsonResponse(
                    {
                        "status": "saved",
                        "text": statement.text,
                        "use": statement.use,
                        "use_label": str(statement.get_use_display()) if statement.use else "",
                    },
                    status=201 if submission.created else 200,
                )
            messages.success(request, _("Card saved. Type the next one."))
            return redirect("workshop_sessions:session_cards", session.workshop_id, session.pk)
    if form.errors and "application/json" in request.headers.get("Accept", ""):
        errors = " ".join(error for errors in form.errors.values() for error in errors)
        return JsonResponse({"status": "refused", "error": errors}, status=400)
    recent = Statement.objects.filter(session=session, source=Statement.Source.CARD).order_by(
        "-created_at", "-pk"
    )
    return render(
        request,
        "responses/cards.html",
        {
            "session": session,
            "workshop": session.workshop,
            "form": form,
            "recent": list(recent[:10]),
            "card_count": recent.count(),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
@session_view
def session_clustering(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    return _clustering_page(request, session)


def _clustering_page(
    request: HttpRequest,
    session: PlenarySession,
    paper_form: PaperDotsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    board = clustering_for(user=request.user, session=session)
    if paper_form is None:
        tallies = list(PaperDotTally.objects.filter(session=session).order_by("-recorded_at"))
        paper_form = PaperDotsForm(
            categories=board.categories,
            initial={
                "note": tallies[0].note if tallies else "",
                **{f"paper_{t.category_id}": t.count for t in tallies},
            },
        )
    dots = {category.pk: category.dot_total or 0 for category in board.categories}
    return render(
        request,
        "responses/clustering.html",
        {
            "session": session,
            "workshop": session.workshop,
            "board": board,
            "paper_form": paper_form,
            "paper_rows": [(c, field, dots.get(c.pk, 0)) for c, field in paper_form.rows()],
        },
        status=status,
    )


def _clustering_action(action):
    """Run one clustering change, report it, and go back to the clustering page."""

    @require_POST
    @session_view
    def view(request: HttpRequest, session: PlenarySession) -> HttpResponse:
        try:
            message, anchor = action(request, session)
        except ParticipationRefused as refusal:  # FacilitationRefused or a text refusal
            messages.error(request, refusal.message)
            anchor = ""
        else:
            messages.success(request, message)
        return redirect(_clustering_url(session, anchor))

    view.__name__ = action.__name__
    return view


@_clustering_action
def category_create(request, session):
    category = services.category_create(
        session=session,
        actor=request.user,
        name=request.POST.get("name", ""),
        description=request.POST.get("description", ""),
    )
    return _("Category “%(name)s” created.") % {"name": category.name}, f"category-{category.pk}"


@_clustering_action
def category_update(request, session):
    category = session.categories.filter(pk=_optional_id(request.POST.get("category"))).first()
    number = _optional_id(request.POST.get("reference_number"))
    if category is None or number is None:
        raise FacilitationRefused(_("Give the category a reference number."), code="number")
    category = services.category_update(
        category=category,
        actor=request.user,
        reference_number=number,
        name=request.POST.get("name", ""),
        description=request.POST.get("description", ""),
    )
    return _("Category “%(name)s” saved.") % {"name": category.name}, f"category-{category.pk}"


@_clustering_action
def categories_renumber(request, session):
    services.categories_renumber(session=session, actor=request.user)
    return _("Categories renumbered from 1."), ""


@_clustering_action
def statements_move(request, session):
    ids = _ids(request.POST.getlist("statement"))
    # Come back to where the statement was, so working down a list needs no scrolling back.
    origin = (
        Statement.objects.filter(session=session, pk__in=ids[:1])
        .values_list("category_id", flat=True)
        .first()
    )
    moved = services.statements_categorise(
        session=session,
        actor=request.user,
        statement_ids=ids,
        category_id=_optional_id(request.POST.get("category")),
    )
    anchor = f"category-{origin}" if origin else "uncategorised"
    return _("%(count)d statement(s) moved.") % {"count": moved}, anchor


@_clustering_action
def category_merge(request, session):
    target = services.category_merge(
        session=session,
        actor=request.user,
        source_id=_optional_id(request.POST.get("category")) or 0,
        target_id=_optional_id(request.POST.get("into")) or 0,
    )
    return _("Merged into “%(name)s”.") % {"name": target.name}, f"category-{target.pk}"


@_clustering_action
def category_split(request, session):
    new = services.category_split(
        session=session,
        actor=request.user,
        category_id=_optional_id(request.POST.get("category")) or 0,
        statement_ids=_ids(request.POST.getlist("statement")),
        name=request.POST.get("name", ""),
    )
    return _("New category “%(name)s” split off.") % {"name": new.name}, f"category-{new.pk}"


@_clustering_action
def category_delete(request, session):
    services.category_delete(
        session=session,
        actor=request.user,
        category_id=_optional_id(request.POST.get("category")) or 0,
    )
    return _("Category removed; its statements are uncategorised again."), "uncategorised"


@_clustering_action
def categories_present(request, session):
    source_id = _optional_id(request.POST.get("source"))
    try:
        source = session_for(
            user=request.user,
            workshop_pk=_optional_id(request.POST.get("source_workshop")) or 0,
            pk=source_id or 0,
        )
    except PlenarySession.DoesNotExist:
        raise FacilitationRefused(_("Choose a session's list to present."), code="source") from None
    created = services.categories_present(session=session, actor=request.user, source=source)
    return (
        _("%(count)d categories presented from “%(title)s”.")
        % {"count": len(created), "title": source.title},
        "",
    )


@_clustering_action
def statement_hide(request, session):
    statement = _statement(session, request)
    services.statement_hide(
        statement=statement, actor=request.user, reason=request.POST.get("reason", "")
    )
    return _("Statement hidden. It is kept and can be restored."), "hidden"


@_clustering_action
def statement_restore(request, session):
    statement = _statement(session, request)
    services.statement_restore(statement=statement, actor=request.user)
    return _("Statement restored."), "uncategorised"


def _statement(session: PlenarySession, request: HttpRequest) -> Statement:
    statement = (
        Statement.objects.select_related("session__workshop")
        .filter(session=session, pk=_optional_id(request.POST.get("statement")))
        .first()
    )
    if statement is None:
        raise FacilitationRefused(_("That statement is not in this session."), code="statement")
    return statement


@require_POST
@session_view
def paper_dots_save(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """Save the paper dot totals; a mistake shows the page again with what was typed."""
    categories = Category.objects.filter(session=session).order_by("reference_number")
    form = PaperDotsForm(request.POST, categories=categories)
    if form.is_valid():
        try:
            changed = services.paper_dots_record(
                session=session,
                totals=form.totals(),
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ParticipationRefused as refusal:  # FacilitationRefused
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("Paper dot totals saved (%(count)d changed).") % {"count": changed}
                if changed
                else _("The paper dot totals are unchanged."),
            )
            return redirect(_clustering_url(session, "paper-dots"))
    return _clustering_page(request, session, paper_form=form, status=400)
