"""The facilitator's work on statements: clustering and moderation (paper cards: card_views).

URLs live under a workshop's session (responses/facilitator_urls.py); access is checked by
``session_view``. Every form posts and redirects back, so all of it works by keyboard and
without JavaScript; static/js/clustering.js adds drag and drop on top of the same forms.

After each change the page says what was done in its live region (#clustering-status), marks
the statements or category it touched, and puts the focus where a keyboard user goes on: after
a move, the next statement's box in the list the statement left (or, at the end of that list,
the moved statement's own box); after a new, merged or split category, that category (the
redirect's ``#category-<id>``, which a browser focuses as the section takes ``tabindex=-1``).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from responses import facilitation
from responses.facilitation import FacilitationRefused
from responses.forms import (
    MOVE_GROUP_SIZE,
    CategoryMergeForm,
    PaperDotsForm,
    StatementsMoveForm,
)
from responses.models import Category, PaperDotTally, Statement
from responses.selectors import clustering_for
from responses.services import ParticipationRefused
from responses.suggest.selectors import suggestions_for
from sessions.access import session_view
from sessions.models import PlenarySession
from sessions.selectors import session_for


def clustering_url(session: PlenarySession, anchor: str = "", **query: int) -> str:
    """The clustering page, e.g. with ``edit=<category id>`` open, at ``#anchor``.

    Where a box is to have the focus (``next``, ``edit``, ``hide``), the page marks it
    ``autofocus`` and the URL has no ``#anchor``: a browser focuses nothing while it shows an
    anchor, and focusing the box scrolls it into view anyway.
    """
    url = reverse("facilitation:session_clustering", args=[session.workshop_id, session.pk])
    if query:
        url = f"{url}?{urlencode(query)}"
    return f"{url}#{anchor}" if anchor else url


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# A refused move or merge is shown on the next clustering page beside each box that was wrong,
# after the redirect (so a reload never posts it again). A statement's box is shown empty (its
# message quotes what was typed): its list's boxes are posted together, and a wrong number kept
# in one would be refused again with every move from that list. The merge box keeps its text.
REFUSAL_KEY = "clustering_refusal"


# What the last change touched, for the next page to mark (and to describe the focus with).
DONE_KEY = "clustering_done"


def clustering_done(
    request: HttpRequest, session: PlenarySession, *, statements=(), category=None
) -> None:
    request.session[DONE_KEY] = {
        "session": session.pk,
        "statements": list(statements)[:MOVE_GROUP_SIZE],
        "category": category,
    }


def _take_done(request: HttpRequest, session: PlenarySession) -> tuple[set[int], int | None]:
    kept = request.session.pop(DONE_KEY, None)
    if not kept or kept.get("session") != session.pk:
        return set(), None
    return set(kept["statements"]), kept["category"]


@dataclass(frozen=True)
class BoxRefusal:
    """What was typed in number boxes that were refused, and why, by box owner."""

    kind: str  # "move" (statements' boxes) or "merge" (a category's)
    typed: dict[int, str]  # statement or category id → what its box held
    errors: dict[int, str]  # the same ids → why that box was refused

    def keep(self, request: HttpRequest, session: PlenarySession) -> None:
        """Keep the errors and what was typed for the next page (which says them once)."""
        request.session[REFUSAL_KEY] = {
            "session": session.pk,
            "kind": self.kind,
            "typed": {str(k): v[:20] for k, v in self.typed.items()},
            "errors": {str(k): v for k, v in self.errors.items()},
        }

    @classmethod
    def take(cls, request: HttpRequest, session: PlenarySession) -> "BoxRefusal | None":
        kept = request.session.pop(REFUSAL_KEY, None)
        if not kept or kept.get("session") != session.pk:
            return None  # another session's: that page was left, and so was its refusal
        return cls(
            kind=kept["kind"],
            typed={int(k): v for k, v in kept["typed"].items()},
            errors={int(k): v for k, v in kept["errors"].items()},
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
    """The board: every statement with one small number box, and ONE list of the categories.

    Each statement's move box and each category's merge box name the shared ``<datalist>`` of
    the categories, so the page grows by one row per statement and per category, not by their
    product (1,000 statements and 100 categories once made a 10 MB page of 110,900 options).
    """
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
    shown = [*board.uncategorised, *(s for c in board.categories for s in c.visible_statements)]
    refusal = BoxRefusal.take(request, session)
    moves = refusal if refusal and refusal.kind == "move" else BoxRefusal("move", {}, {})
    merge = refusal if refusal and refusal.kind == "merge" else BoxRefusal("merge", {}, {})
    focus = next((s.pk for s in shown if s.pk in moves.errors), None)
    if focus is None and not merge.errors:
        focus = _optional_id(request.GET.get("next"))  # the statement to go on with
    moved, done_category = _take_done(request, session)
    for statement in shown:  # why its number was refused (mostly nothing)
        statement.refused = moves.errors.get(statement.pk, "")
        statement.focus = statement.pk == focus
        statement.moved = statement.pk in moved
    # The page's messages: what was done, in the live region; what was refused, as an alert.
    said = list(messages.get_messages(request))
    # ?edit=<category> opens that category's editor (and its statements' tick boxes for a
    # split); ?hide=<statement> shows the hide form for that statement: one at a time, so the
    # page carries one editor's forms, not a hundred.
    editing = _optional_id(request.GET.get("edit"))
    if merge.errors:
        editing = next(iter(merge.errors))
    suggestions = suggestions_for(session=session, board=board) if session.suggestions_on else None
    if suggestions is not None:  # beside each uncategorised statement
        for statement in board.uncategorised:
            statement.hints = suggestions.categories.get(statement.pk, [])
            statement.duplicate = suggestions.duplicates.get(statement.pk)
    hide_id = _optional_id(request.GET.get("hide"))
    hiding = next((s for s in shown if s.pk == hide_id), None) if hide_id is not None else None
    return render(
        request,
        "responses/clustering.html",
        {
            "session": session,
            "workshop": session.workshop,
            "board": board,
            "paper_form": paper_form,
            "paper_rows": [(c, field, dots.get(c.pk, 0)) for c, field in paper_form.rows()],
            "move_group_size": MOVE_GROUP_SIZE,
            "editing": editing,
            "merge_typed": merge.typed.get(editing, ""),
            "merge_error": merge.errors.get(editing, ""),
            "hiding": hiding,
            "suggestions": suggestions,
            "autofocus": not (focus or hiding or merge.errors),  # the editor's name box
            "done_messages": [m for m in said if m.level != messages.ERROR],
            "problems": [m for m in said if m.level == messages.ERROR],
            "done_category": done_category,
            # after a move of one statement, a link to it where it went
            "moved_one": next((s.pk for s in shown if s.moved), None)
            if len(moved) == 1 and done_category is None
            else None,
        },
        status=status,
    )


def clustering_action(action=None, *, reopen: str = ""):
    """Run one clustering change, report it, and go back to the clustering page.

    ``action`` returns its message and the URL of the page to go back to.

    A refusal goes back with its message; with ``reopen="edit"`` to the editor of the posted
    category, with ``reopen="hide"`` to the hide form of the posted statement, where it was.
    """

    def decorate(action):
        @require_POST
        @session_view
        def view(request: HttpRequest, session: PlenarySession) -> HttpResponse:
            try:
                message, back = action(request, session)
            except ParticipationRefused as refusal:  # FacilitationRefused or a text refusal
                messages.error(request, refusal.message)
                return redirect(_refused_url(request, session, reopen))
            messages.success(request, message)
            return redirect(back)

        view.__name__ = action.__name__
        return view

    return decorate(action) if action is not None else decorate


def _refused_url(request: HttpRequest, session: PlenarySession, reopen: str) -> str:
    if reopen == "edit":
        category = _optional_id(request.POST.get("category"))
        if category is not None and session.categories.filter(pk=category).exists():
            return clustering_url(session, edit=category)
    if reopen == "hide":
        statement = _optional_id(request.POST.get("statement"))
        if statement is not None and session.statements.filter(pk=statement).exists():
            return clustering_url(session, hide=statement)
    return clustering_url(session)


@clustering_action
def category_create(request, session):
    category = facilitation.category_create(
        session=session,
        actor=request.user,
        name=request.POST.get("name", ""),
        description=request.POST.get("description", ""),
    )
    clustering_done(request, session, category=category.pk)
    return (
        _("Created category %(category)s.") % {"category": category},
        clustering_url(session, f"category-{category.pk}"),
    )


@clustering_action(reopen="edit")
def category_update(request, session):
    category = session.categories.filter(pk=_optional_id(request.POST.get("category"))).first()
    number = _optional_id(request.POST.get("reference_number"))
    if category is None or number is None:
        raise FacilitationRefused(_("Give the category a reference number."), code="number")
    category = facilitation.category_update(
        category=category,
        actor=request.user,
        reference_number=number,
        name=request.POST.get("name", ""),
        description=request.POST.get("description", ""),
    )
    clustering_done(request, session, category=category.pk)
    return (
        _("Category “%(name)s” saved.") % {"name": category.name},
        clustering_url(session, f"category-{category.pk}"),
    )


@clustering_action
def categories_renumber(request, session):
    facilitation.categories_renumber(session=session, actor=request.user)
    return _("Categories renumbered from 1."), clustering_url(session)


def _short(text: str) -> str:
    return Truncator(text).chars(60)


def _category_label(category: Category | None) -> str:
    return str(category) if category is not None else _("Uncategorised")


def clustering_url_after(session: PlenarySession, statement: Statement, leaving: list[int]) -> str:
    """The page at the statement after this one in its list (other than those ``leaving`` it),
    or at the list itself.

    After a move the next statement's number box has the focus, so working down a list is: a
    number, Enter, a number, Enter; no scrolling back, no mouse.
    """
    after = (
        Statement.objects.filter(session=session, hidden=False, category_id=statement.category_id)
        .filter(
            Q(created_at__gt=statement.created_at)
            | Q(created_at=statement.created_at, pk__gt=statement.pk)
        )
        .exclude(pk__in=leaving)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if after is not None:
        return clustering_url(session, next=after)
    category_id = statement.category_id
    return clustering_url(session, f"category-{category_id}" if category_id else "uncategorised")


def _moved_message(moved: int, last: Statement | None, moves: dict) -> str:
    """E.g. "Moved “Cheaper outreach” to 3. Security." or "Moved 5 statements to 1. Resources."."""
    targets = sorted({_category_label(c) for c in moves.values()})
    if moved == 1 and len(moves) == 1 and last is not None:
        return _("Moved “%(text)s” to %(category)s.") % {
            "text": _short(last.text),
            "category": targets[0],
        }
    return ngettext(
        "Moved %(count)d statement to %(category)s.",
        "Moved %(count)d statements to %(category)s.",
        moved,
    ) % {"count": moved, "category": get_text_list(targets, _("and"))}


@require_POST
@session_view
def statements_move(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """Move statements to the categories whose numbers were typed (or that one was dropped on).

    Goes back to the statement after the last one moved, in the list it left; a box with a wrong
    number leaves its statement where it was and is shown with the reason, and the focus.
    """
    form = StatementsMoveForm(request.POST, session=session)
    back = clustering_url(session)
    if form.is_valid():
        moves = form.cleaned_data["moves"]
        last = (
            Statement.objects.filter(session=session, pk__in=list(moves))
            .order_by("-created_at", "-pk")
            .first()
        )
        if last is not None:
            back = clustering_url_after(session, last, list(moves))
            if "next=" not in back:  # the end of the list it left: on at the moved one
                back = clustering_url(session, next=last.pk)
        try:
            moved = facilitation.statements_sort(
                session=session,
                actor=request.user,
                moves={pk: None if c is None else c.pk for pk, c in moves.items()},
            )
        except ParticipationRefused as refusal:  # FacilitationRefused
            messages.error(request, refusal.message)
            return redirect(clustering_url(session))
        messages.success(request, _moved_message(moved, last, moves))
        clustering_done(request, session, statements=moves)
    elif not form.box_errors:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    if form.box_errors:
        texts = dict(
            Statement.objects.filter(session=session, pk__in=list(form.box_errors)).values_list(
                "pk", "text"
            )
        )
        for pk, error in form.box_errors.items():
            if pk in texts:
                error = _("“%(text)s” was not moved: %(reason)s") % {
                    "text": _short(texts[pk]),
                    "reason": error,
                }
            messages.error(request, error)
        BoxRefusal("move", {}, form.box_errors).keep(request, session)
        back = clustering_url(session)  # at the first wrong box: it has the focus
    return redirect(back)


@require_POST
@session_view
def category_merge(request: HttpRequest, session: PlenarySession) -> HttpResponse:
    """Merge one category into the one whose number was typed, and remove the emptied one."""
    form = CategoryMergeForm(request.POST, session=session)
    source = session.categories.filter(pk=_optional_id(request.POST.get("category"))).first()
    if form.is_valid() and source is not None:
        count = source.statements.filter(hidden=False).count()
        try:
            target = facilitation.category_merge(
                session=session,
                actor=request.user,
                source_id=source.pk,
                target_id=form.cleaned_data["target"].pk,
            )
        except ParticipationRefused as refusal:  # FacilitationRefused
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Merged “%(source)s” into %(target)s: %(count)d statement moved.",
                    "Merged “%(source)s” into %(target)s: %(count)d statements moved.",
                    count,
                )
                % {"source": source.name, "target": _category_label(target), "count": count},
            )
            clustering_done(request, session, category=target.pk)
            return redirect(clustering_url(session, f"category-{target.pk}"))
    if source is None:
        messages.error(request, _("That category is not in this session."))
        return redirect(clustering_url(session))
    reason = " ".join(error for errors in form.errors.values() for error in errors)
    typed = form.data.get("into_number", "")
    messages.error(request, reason)
    BoxRefusal("merge", {source.pk: typed}, {source.pk: reason}).keep(request, session)
    return redirect(clustering_url(session))  # at the editor's merge box: it has the focus


@clustering_action(reopen="edit")
def category_split(request, session):
    ticked = _ids(request.POST.getlist("statement"))
    new = facilitation.category_split(
        session=session,
        actor=request.user,
        category_id=_optional_id(request.POST.get("category")) or 0,
        statement_ids=ticked,
        name=request.POST.get("name", ""),
    )
    clustering_done(request, session, statements=ticked, category=new.pk)
    count = len(set(ticked))
    return (
        ngettext(
            "Split %(count)d statement off into the new category %(category)s.",
            "Split %(count)d statements off into the new category %(category)s.",
            count,
        )
        % {"count": count, "category": new},
        clustering_url(session, f"category-{new.pk}"),
    )


@clustering_action(reopen="edit")
def category_delete(request, session):
    facilitation.category_delete(
        session=session,
        actor=request.user,
        category_id=_optional_id(request.POST.get("category")) or 0,
    )
    return (
        _("Category removed; its statements are uncategorised again."),
        clustering_url(session, "uncategorised"),
    )


@clustering_action
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
    created = facilitation.categories_present(session=session, actor=request.user, source=source)
    return (
        _("%(count)d categories presented from “%(title)s”.")
        % {"count": len(created), "title": source.title},
        clustering_url(session),
    )


@clustering_action(reopen="hide")
def statement_hide(request, session):
    statement = _statement(session, request)
    after = clustering_url_after(session, statement, [statement.pk])
    facilitation.statement_hide(
        statement=statement, actor=request.user, reason=request.POST.get("reason", "")
    )
    return _("Statement hidden. It is kept and can be restored."), after


@clustering_action
def statement_restore(request, session):
    statement = _statement(session, request)
    facilitation.statement_restore(statement=statement, actor=request.user)
    return _("Statement restored."), clustering_url(session, "uncategorised")


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
            changed = facilitation.paper_dots_record(
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
            return redirect(clustering_url(session, "paper-dots"))
    return _clustering_page(request, session, paper_form=form, status=400)
