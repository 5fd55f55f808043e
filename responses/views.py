"""The participant's pages: join a session by code, write cards, place dots.

No account is needed: a random token in a cookie identifies the browser. Every page works
without JavaScript (forms post and redirect back); with it, cards are kept in the browser until
the server acknowledges them (static/js/participant.js) and dots update in place (htmx).
"""

import io
import re
import secrets
import uuid
from datetime import UTC, timedelta
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from responses import services
from responses.forms import DotForm, JoinCodeForm, ProfileForm, StatementEditForm, StatementForm
from responses.models import Statement
from responses.ratelimit import (
    Limit,
    Verdict,
    client_address,
    rate_limit_full,
    rate_limit_hit,
    rate_limits_hit,
)
from responses.selectors import (
    DotState,
    ballot_for,
    dot_state,
    own_statements,
    published_report_url,
    session_and_participant,
)
from responses.services import ParticipationRefused, Profile
from sessions.live import session_state
from sessions.models import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, PlenarySession

Phase = PlenarySession.Phase


def _limits() -> tuple[Limit, Limit]:
    return (
        Limit("participant", settings.PARTICIPANT_WRITES_PER_MINUTE, 60),
        Limit("session", settings.SESSION_WRITES_PER_MINUTE, 60),
    )


def _address_limit(name: str) -> Limit:
    return {
        "joins": Limit("address-joins", settings.ADDRESS_JOINS_PER_10_MINUTES, 600),
        "writes": Limit("address-writes", settings.ADDRESS_WRITES_PER_MINUTE, 60),
        "cards": Limit("address-cards", settings.ADDRESS_CARDS_PER_MINUTE, 60),
        "misses": Limit("code-misses", settings.ADDRESS_CODE_MISSES_PER_MINUTE, 60),
    }[name]


# A browser's participant token is made by secrets.token_urlsafe(24): 32 URL-safe characters.
# Anything else in the cookie (too long, control characters) is no token and is never looked up.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _browser_token(request: HttpRequest) -> str | None:
    token = request.COOKIES.get(settings.PARTICIPANT_COOKIE_NAME, "")
    return token if _TOKEN.fullmatch(token) else None


def status_key(code: str) -> str:
    """The key a participant's page adds to its status polls: only a page that knew the code
    has it, so polling cannot be used to test codes."""
    return salted_hmac("responses.session_status", code).hexdigest()[:16]


def _guessing(request: HttpRequest) -> Verdict:
    """Whether this address has used up its wrong join codes for now (nothing is counted)."""
    return rate_limit_full(limit=_address_limit("misses"), subject=client_address(request))


def _guessing_refusal(request: HttpRequest, verdict: Verdict) -> HttpResponse:
    message = _(
        "Too many wrong session codes came from your network. Check the code on the screen "
        "and try again in %(seconds)d seconds."
    ) % {"seconds": verdict.retry_after}
    if _wants_json(request):
        response = JsonResponse({"status": "refused", "error": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _unknown_code(request: HttpRequest) -> HttpResponse:
    """A code no session has: counted against the address, so codes cannot be guessed fast."""
    verdict = rate_limit_hit(limit=_address_limit("misses"), subject=client_address(request))
    if not verdict.allowed:
        return _guessing_refusal(request, verdict)
    raise Http404


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal_response(request, session, message: str, *, status: int, retry_after: int = 0):
    if _wants_json(request):
        response = JsonResponse({"status": "refused", "error": message}, status=status)
    elif request.htmx:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    else:
        messages.error(request, message)
        response = redirect("responses:session", code=session.join_code)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _busy_refusal(request, session, verdict: Verdict) -> HttpResponse:
    message = _(
        "That was a lot at once. Wait %(seconds)d seconds, then send again: "
        "nothing you typed is lost."
    ) % {"seconds": verdict.retry_after}
    return _refusal_response(request, session, message, status=429, retry_after=verdict.retry_after)


def participant_view(view=None, *, new_card: bool = False):
    """Resolve the session from its code and the participant from the browser's cookie (one
    query for both).

    Views that change something also go through the rate limits here, all in one round trip
    to the cache: the participant's, the address's, then the session's (``new_card`` adds the
    address's card limit first).
    """
    if view is None:
        return lambda view: participant_view(view, new_card=new_card)

    @wraps(view)
    def wrapper(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        session, participant = session_and_participant(code=code, token=_browser_token(request))
        if session is None:
            return _unknown_code(request)
        if participant is None:
            if not (verdict := _guessing(request)).allowed:
                return _guessing_refusal(request, verdict)
            if request.method == "POST":
                message = _("Join the session first: your browser is not signed up for it.")
                return _refusal_response(request, session, message, status=403)
            return redirect("responses:session", code=session.join_code)
        if request.method == "POST":
            participant_limit, session_limit = _limits()
            address = client_address(request)
            # The address before the session: one machine cannot spend a whole room's budget.
            checks = [
                (participant_limit, participant.pk),
                (_address_limit("writes"), address),
                (session_limit, session.pk),
            ]
            if new_card:
                checks.insert(0, (_address_limit("cards"), address))
            verdict = rate_limits_hit(checks)
            if not verdict.allowed:
                if verdict.refused_by == "address-cards":
                    return _cards_refusal(request, session, verdict)
                return _busy_refusal(request, session, verdict)
        return view(request, session, participant, *args, **kwargs)

    return wrapper


def _cards_refusal(request, session, verdict: Verdict) -> HttpResponse:
    message = _(
        "Very many cards are arriving from your network. Wait %(seconds)d seconds, then "
        "send again: nothing you typed is lost."
    ) % {"seconds": verdict.retry_after}
    return _refusal_response(request, session, message, status=429, retry_after=verdict.retry_after)


@require_GET
def join(request: HttpRequest) -> HttpResponse:
    """Type a session code; ?code= comes from the join form or a printed link."""
    form = JoinCodeForm(request.GET or None)
    if form.is_bound and not (verdict := _guessing(request)).allowed:
        return _guessing_refusal(request, verdict)
    if form.is_valid():
        return redirect("responses:session", code=form.cleaned_data["code"].join_code)
    if form.has_error("code", "unknown"):
        rate_limit_hit(limit=_address_limit("misses"), subject=client_address(request))
    return render(request, "responses/join.html", {"form": form})


@require_http_methods(["GET", "POST"])
@ensure_csrf_cookie
@never_cache
def session_page(request: HttpRequest, code: str) -> HttpResponse:
    """The participant's page for one session; it shows what the current phase allows."""
    token = _browser_token(request)
    session, participant = session_and_participant(code=code.upper(), token=token)
    if session is None:
        return _unknown_code(request)
    if participant is None and not (verdict := _guessing(request)).allowed:
        return _guessing_refusal(request, verdict)
    if code != session.join_code:
        return redirect("responses:session", code=session.join_code)
    if participant is None:
        return _join_step(request, session, token)
    if request.method == "POST":
        return redirect("responses:session", code=session.join_code)
    return _render_session(request, session, participant)


def _set_token_cookie(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        settings.PARTICIPANT_COOKIE_NAME,
        token,
        max_age=settings.PARTICIPANT_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _join_step(request: HttpRequest, session: PlenarySession, token: str | None) -> HttpResponse:
    """The join form, and joining. The browser's token is given with the form, before joining,
    so a join sent twice (a retry after a lost answer) is still one participant."""
    if session.phase == Phase.CLOSED:
        # Joining now would only change a finished workshop's attendance.
        return render(
            request,
            "responses/join_session.html",
            {
                "session": session,
                "closed": True,
                "published_report_url": published_report_url(session=session, public_only=True),
            },
        )
    form = ProfileForm(request.POST if "profile" in request.POST else None)
    if request.method == "POST" and ("anonymous" in request.POST or form.is_valid()):
        verdict = rate_limits_hit(
            [
                (_limits()[1], session.pk),
                (_address_limit("joins"), client_address(request)),
            ]
        )
        if not verdict.allowed:
            response = render(
                request,
                "responses/join_session.html",
                {"session": session, "form": form, "busy": verdict.retry_after},
                status=429,
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
        # Normally the token the form came with; a browser that did not keep it gets one now.
        token = token or secrets.token_urlsafe(24)
        profile = None
        if "profile" in request.POST:
            profile = Profile(
                **{k: form.cleaned_data[k] for k in ProfileForm.Meta.fields},
                consent_to_be_named=form.cleaned_data["consent"] == "yes",
            )
        services.participant_join(workshop=session.workshop, browser_token=token, profile=profile)
        response = redirect("responses:session", code=session.join_code)
        _set_token_cookie(response, token)
        return response
    response = render(request, "responses/join_session.html", {"session": session, "form": form})
    _set_token_cookie(response, token or secrets.token_urlsafe(24))
    return response


def _render_session(
    request: HttpRequest,
    session: PlenarySession,
    participant,
    *,
    statement_form: StatementForm | None = None,
    status: int = 200,
    template: str = "responses/session.html",
) -> HttpResponse:
    """The whole page, or with ``template`` only the part the page swaps in place."""
    context = {
        "session": session,
        "workshop": session.workshop,
        "participant": participant,
        "statements": own_statements(session=session, participant=participant),
        "statement_form": statement_form
        or StatementForm(initial={"idempotency_key": uuid.uuid4()}),
        "status_key": status_key(session.join_code),
        "new_key": uuid.uuid4,  # called by the template: a fresh key for each dot form
    }
    if session.phase in (Phase.VOTING, Phase.CLOSED):
        context["ballot"] = ballot_for(session=session, participant=participant)
    if session.phase == Phase.CLOSED:
        # Once the summary report is published, the people who took part can read it from here
        # (unlisted or public: they were in the room).
        context["published_report_url"] = published_report_url(session=session, public_only=False)
    if session.phase == Phase.COLLECTING:
        ends_at = session.phase_changed_at + timedelta(minutes=session.writing_minutes)
        context["writing_ends_at"] = ends_at
        # Machine-readable times for <time> and the countdown, in UTC to the second.
        context["writing_deadline"] = ends_at.astimezone(UTC).isoformat(timespec="seconds")
        context["server_now"] = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@participant_view
def profile_edit(request: HttpRequest, session, participant) -> HttpResponse:
    """The participant's optional details and consent, changeable at any time."""
    form = ProfileForm(request.POST or None, instance=participant)
    if request.method == "POST" and form.is_valid():
        services.participant_profile_set(
            participant=participant,
            profile=Profile(
                **{k: form.cleaned_data[k] for k in ProfileForm.Meta.fields},
                consent_to_be_named=form.cleaned_data["consent"] == "yes",
            ),
        )
        messages.success(request, _("Your details are saved."))
        return redirect("responses:session", code=session.join_code)
    return render(
        request,
        "responses/profile.html",
        {"session": session, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@participant_view(new_card=True)
def statement_create(request: HttpRequest, session, participant) -> HttpResponse:
    form = StatementForm(request.POST)
    if not form.is_valid():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        if _wants_json(request):
            return JsonResponse({"status": "refused", "error": message}, status=400)
        return _render_session(request, session, participant, statement_form=form, status=400)
    try:
        submission = services.statement_submit(
            session=session,
            participant=participant,
            text=form.cleaned_data["text"],
            use=form.cleaned_data["use"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ParticipationRefused as refusal:
        status = 409 if refusal.code.startswith("phase") else 400
        if _wants_json(request):
            return JsonResponse({"status": "refused", "error": refusal.message}, status=status)
        form.add_error("text", refusal.message)
        return _render_session(request, session, participant, statement_form=form, status=status)
    statement = submission.statement
    if _wants_json(request):
        return JsonResponse(
            {
                "status": "received",
                "created": submission.created,
                "statement": {
                    "id": statement.pk,
                    "key": str(statement.idempotency_key),
                    "text": statement.text,
                    "use": statement.use,
                    "edit_url": reverse(
                        "responses:statement_edit", args=[session.join_code, statement.pk]
                    ),
                    "withdraw_url": reverse(
                        "responses:statement_withdraw", args=[session.join_code, statement.pk]
                    ),
                },
            },
            status=201 if submission.created else 200,
        )
    messages.success(request, _("Received: your card is stored."))
    return redirect("responses:session", code=session.join_code)


@require_http_methods(["GET", "POST"])
@participant_view
def statement_edit(request: HttpRequest, session, participant, pk: int) -> HttpResponse:
    statement = Statement.objects.filter(session=session, participant=participant, pk=pk).first()
    if statement is None:
        raise Http404
    form = StatementEditForm(
        request.POST or None, initial={"text": statement.text, "use": statement.use}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.statement_edit(
                session=session,
                participant=participant,
                pk=pk,
                text=form.cleaned_data["text"],
                use=form.cleaned_data["use"],
            )
        except ParticipationRefused as refusal:
            form.add_error("text", refusal.message)
        else:
            messages.success(request, _("Your card is changed."))
            return redirect("responses:session", code=session.join_code)
    status = 400 if form.errors else 200
    return render(
        request,
        "responses/statement_edit.html",
        {"session": session, "statement": statement, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@participant_view
def statement_withdraw(request: HttpRequest, session, participant, pk: int) -> HttpResponse:
    """Withdraw one of the participant's cards: GET asks first ("Withdraw this card?"), POST
    withdraws. A confirmation rather than an undo: nothing is kept to be undone, and the board
    never shows a card that is about to come back."""
    if request.method == "GET":
        statement = Statement.objects.filter(
            session=session, participant=participant, pk=pk
        ).first()
        if statement is None:
            raise Http404
        if session.phase != Phase.COLLECTING:
            return redirect("responses:session", code=session.join_code)
        return render(
            request,
            "responses/statement_withdraw.html",
            {"session": session, "statement": statement},
        )
    try:
        services.statement_withdraw(session=session, participant=participant, pk=pk)
    except ParticipationRefused as refusal:
        return _refusal_response(request, session, refusal.message, status=409)
    messages.success(request, _("Your card is withdrawn."))
    return redirect("responses:session", code=session.join_code)


@require_POST
@participant_view
def dot_change(request: HttpRequest, session, participant) -> HttpResponse:
    """Place a dot or take one off. With htmx the answer is only the category's line, the dots
    left and the message; the whole ballot when every line's buttons changed (see
    ``_dots_ran_out_or_came_back``); without htmx, the page again."""
    form = DotForm(request.POST)
    error, state, every_line = "", None, False
    if not form.is_valid():
        error = _("That dot could not be placed: reload the page and try again.")
    else:
        place = form.cleaned_data["action"] == "place"
        change = services.dot_place if place else services.dot_remove
        try:
            state = change(
                session=session,
                participant=participant,
                category_id=form.cleaned_data["category"],
                key=form.cleaned_data["key"],
            )
        except ParticipationRefused as refusal:
            error = refusal.message
            # Refused for want of dots: the page showed dots left, so all its lines are stale.
            every_line = refusal.code == "no_dots_left"
            state = dot_state(
                session=session, participant=participant, category_id=form.cleaned_data["category"]
            )
        else:
            every_line = _dots_ran_out_or_came_back(state, place=place)
    if request.htmx:
        context = {"session": session, "dot_error": error, "new_key": uuid.uuid4}
        if state is not None and not every_line:
            return render(request, "responses/_dot_answer.html", {**context, "state": state})
        # No such category (a stale or tampered page), or every line's buttons changed (the
        # last dot placed, or one taken off from none left): the whole ballot, in place.
        response = render(
            request,
            "responses/_ballot.html",
            {**context, "ballot": ballot_for(session=session, participant=participant)},
        )
        response["HX-Retarget"] = "#ballot"
        response["HX-Reswap"] = "outerHTML"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your dots are saved."))
    return redirect(f"{reverse('responses:session', args=[session.join_code])}#ballot")


def _dots_ran_out_or_came_back(state: DotState, *, place: bool) -> bool:
    """Whether a dot change moved the participant's dots left to or from none: then every
    category's "Place a dot" changed (disabled or enabled again), not only the tapped one's.
    A repeated key answers for the change it repeats, which crossed the same way."""
    if place:
        return state.left == 0
    return state.limit - state.used == 1


@require_GET
@ensure_csrf_cookie
@never_cache
def session_status(request: HttpRequest, code: str) -> HttpResponse:
    """Polled by the participant's page every three seconds: 204 while nothing changed (read
    from the cache, not the database); once the session moved on, the page's content as it is
    now, which htmx swaps in place (without htmx: ``HX-Refresh``, a reload).

    It also renews the CSRF cookie, which the page's script uses to resend a card whose token
    had expired. The page's URL carries the code's ``status_key``.
    """
    if not constant_time_compare(request.GET.get("k", ""), status_key(code)):
        # Only a page that knew the code has its key: anything else is a guess, answered the
        # same whether the code exists or not. Joined phones are never slowed by guessers.
        return _unknown_code(request)
    state = session_state(code)
    if state is None:
        raise Http404
    phase, revealed = state
    if (request.GET.get("phase"), request.GET.get("revealed")) == (phase, "1" if revealed else "0"):
        return HttpResponse(status=204)
    if request.htmx:
        session, participant = session_and_participant(code=code, token=_browser_token(request))
        if session is not None and participant is not None:
            return _render_session(
                request, session, participant, template="responses/_session_content.html"
            )
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


@require_GET
def join_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The session's join link as a QR code (SVG), for the projector and printed handouts.

    Made from the code alone, without looking the session up, so it tells a guesser nothing
    and is never refused to a projector on a network whose wrong codes ran out.
    """
    if not (len(code) == JOIN_CODE_LENGTH and all(c in JOIN_CODE_ALPHABET for c in code)):
        raise Http404
    url = request.build_absolute_uri(reverse("responses:session", args=[code]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer,
        kind="svg",
        scale=10,
        border=2,
        xmldecl=False,
        title=_("QR code for %(url)s") % {"url": url},
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response
