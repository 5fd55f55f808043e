"""Paper cards: a facilitator types them in, and corrects one that was mistyped.

URLs live under a workshop's session (responses/facilitator_urls.py); access is checked by
``session_view``. Only the cards a facilitator typed in can be corrected here: an online card
stays the participant's own words, and the facilitator may only hide it (on the clustering page).
"""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from responses import facilitation
from responses.models import STATEMENT_MAX_LENGTH, Statement
from responses.services import ParticipationRefused
from responses.text import split_use_mark
from sessions.access import session_view
from sessions.models import PlenarySession

CORRECTABLE = (Statement.Source.CARD, Statement.Source.FACILITATOR)


class CardForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Card text"),
        max_length=1000,
        strip=False,
        help_text=gettext_lazy("End with (E) or (I) to mark external or internal use."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class CardCorrectForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Card text"),
        max_length=STATEMENT_MAX_LENGTH * 2,  # the real limit applies after tidying
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": STATEMENT_MAX_LENGTH, "autofocus": True}
        ),
    )
    use = forms.ChoiceField(
        label=gettext_lazy("Mark"), choices=Statement.Use.choices, required=False
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_http_methods(["GET", "POST"])
@session_view
def session_cards(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """Keyboard-first entry of paper cards: type, press Enter, the next card is ready."""
    form = CardForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        text, use = split_use_mark(form.cleaned_data["text"])
        try:
            submission = facilitation.card_enter(
                session=session,
                actor=request.user,
                text=text,
                use=use,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ParticipationRefused as refusal:  # FacilitationRefused or a text refusal
            form.add_error("text", refusal.message)
        else:
            if _wants_json(request):
                statement = submission.statement
                return JsonResponse(
                    {
                        "status": "saved",
                        "text": statement.text,
                        "use": statement.use,
                        "use_label": str(statement.get_use_display()) if statement.use else "",
                        "correct_url": _correct_url(session, statement.pk),
                    },
                    status=201 if submission.created else 200,
                )
            messages.success(request, _("Card saved. Type the next one."))
            return redirect("facilitation:session_cards", session.workshop_id, session.pk)
    if form.errors and _wants_json(request):
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


def _correct_url(session: PlenarySession, statement_pk: int) -> str:
    return reverse(
        "facilitation:card_correct", args=[session.workshop_id, session.pk, statement_pk]
    )


def _back_url(request: HttpRequest, session: PlenarySession, statement: Statement) -> str:
    """Back where the correction was asked for: the clustering page at the card, or the cards."""
    if request.GET.get("from") == "clustering":
        page = reverse("facilitation:session_clustering", args=[session.workshop_id, session.pk])
        return f"{page}#statement-{statement.pk}"
    return reverse("facilitation:session_cards", args=[session.workshop_id, session.pk])


@require_http_methods(["GET", "POST"])
@session_view
def card_correct(request: HttpRequest, session: PlenarySession, statement_pk: int) -> HttpResponse:
    """Correct the text or mark of a card typed in from paper; the history keeps the change."""
    statement = (
        Statement.objects.select_related("session__workshop")
        .filter(session=session, pk=statement_pk)
        .first()
    )
    if statement is None or statement.source not in CORRECTABLE:
        messages.error(
            request,
            _("Only a card typed in from paper can be corrected; hide an online card instead."),
        )
        return redirect("facilitation:session_clustering", session.workshop_id, session.pk)
    form = CardCorrectForm(
        request.POST or None, initial={"text": statement.text, "use": statement.use}
    )
    if request.method == "POST" and form.is_valid():
        try:
            facilitation.card_correct(
                statement=statement,
                actor=request.user,
                text=form.cleaned_data["text"],
                use=form.cleaned_data["use"],
            )
        except ParticipationRefused as refusal:  # FacilitationRefused or a text refusal
            form.add_error("use" if refusal.code == "use" else "text", refusal.message)
        else:
            messages.success(request, _("Card corrected. The change is in the workshop's history."))
            return redirect(_back_url(request, session, statement))
    return render(
        request,
        "responses/card_correct.html",
        {
            "session": session,
            "workshop": session.workshop,
            "statement": statement,
            "form": form,
            "back_url": _back_url(request, session, statement),
        },
        status=400 if form.errors else 200,
    )
