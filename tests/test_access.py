"""The access-control matrix: every URL × anonymous, participant, this workshop's facilitator,
another workshop's facilitator, and staff. A URL added without a row here fails the suite."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reports.models import ImportBatch, Publication
from reports.notifications import opt_out_token
from responses.views import status_key
from tests.e2e.test_pages import _url_names
from tests.factories import (
    AgencyProjectFactory,
    CategoryFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)

ROLES = ["anonymous", "participant", "facilitator", "other facilitator", "staff"]
LOGIN = reverse("login")


@dataclass(frozen=True)
class Route:
    kind: str  # open | participant-write | participant-read | workshop | facilitator | staff
    url: Callable[[dict], str]
    method: str = "get"
    data: Callable[[dict], dict] = lambda world: {}


def s(name: str, session: str = "session") -> Callable[[dict], str]:
    return lambda w: reverse(name, args=[w["workshop"].pk, w[session].pk])


def p(name: str, *extra: str) -> Callable[[dict], str]:
    return lambda w: reverse(
        f"responses:{name}", args=[w["session"].join_code, *[w[e].pk for e in extra]]
    )


def batch_url(name: str) -> str:
    """A checked records file waiting for confirmation: an empty notes sheet."""
    content = b"workshop,session,revision\r\n"
    batch = ImportBatch.objects.create(
        filename="notes.csv",
        sha256="0" * 64,
        size_bytes=len(content),
        content=content,
        status=ImportBatch.Status.CHECKED,
    )
    return reverse(f"reports:{name}", args=[batch.pk])


def live_publication(world: dict) -> Publication:
    """The world's phase published (stored directly: rendering is tested in test_publishing)."""
    publication, _created = Publication.objects.get_or_create(
        phase=world["workshop"].phase,
        withdrawn_at=None,
        defaults={
            "title": "Published",
            "body_html": "<p>Body</p>",
            "pdf": b"%PDF-1.7",
            "docx": b"PK",
            "etag": "0" * 64,
        },
    )
    return publication


def published(name: str) -> Callable[[dict], str]:
    return lambda w: reverse(f"published:{name}", args=[live_publication(w).token])


def r(name: str, *extra: str) -> Callable[[dict], str]:
    return lambda w: reverse(
        f"reports:{name}", args=[w["workshop"].phase.slug, *[w[e] for e in extra]]
    )


ROUTES: dict[str, Route] = {
    "reports:index": Route("staff", lambda w: reverse("reports:index")),
    "reports:report": Route("staff", r("report")),
    "reports:narrative": Route("staff", r("narrative")),
    "reports:export": Route("staff", r("export", "format")),
    "reports:publish": Route("staff", r("publish"), "post", lambda w: {"visibility": "unlisted"}),
    # The world's phase is published first, so staff's withdrawal has something to end.
    "reports:withdraw": Route(
        "staff",
        lambda w: reverse("reports:withdraw", args=[live_publication(w).phase.slug]),
        "post",
        lambda w: {"publication": live_publication(w).pk},
    ),
    "reports:trace_category": Route("staff", r("trace_category", "category_pk")),
    "reports:trace_workshop": Route("staff", r("trace_workshop", "workshop_pk")),
    "reports:notifications": Route("staff", r("notifications")),
    # Open: the signed token in the link is the permission. GET only asks; POST opts out (see
    # tests/reports/test_notifications.py).
    "notifications:opt_out": Route(
        "open",
        lambda w: reverse("notifications:opt_out", args=[opt_out_token(w["participant"].pk)]),
    ),
    "reports:records": Route("staff", lambda w: reverse("reports:records")),
    "reports:records_export": Route(
        "staff", lambda w: reverse("reports:records_export"), data=lambda w: {"format": "csv"}
    ),
    "reports:records_template": Route(
        "staff", lambda w: reverse("reports:records_template", args=["xlsx"])
    ),
    "reports:records_upload": Route(
        "staff",
        lambda w: reverse("reports:records_upload"),
        "post",
        lambda w: {"file": SimpleUploadedFile("notes.csv", b"workshop,session\r\n")},
    ),
    "reports:records_batch": Route("staff", lambda w: batch_url("records_batch")),
    "reports:records_batch_import": Route(
        "staff", lambda w: batch_url("records_batch_import"), "post"
    ),
    "reports:records_batch_discard": Route(
        "staff", lambda w: batch_url("records_batch_discard"), "post"
    ),
    # Open: the random key its page made is the permission (see the view).
    "reports:records_progress": Route(
        "open", lambda w: reverse("reports:records_progress", args=[uuid.uuid4()])
    ),
    # Published reports: for everyone who has the link (a live publication of the world's phase).
    "published:index": Route("open", lambda w: reverse("published:index")),
    "published:report": Route("open", published("report")),
    "published:pdf": Route("open", published("pdf")),
    "published:docx": Route("open", published("docx")),
    "home": Route("open", lambda w: reverse("home")),
    "healthz": Route("open", lambda w: reverse("healthz")),
    "csp_report": Route("open", lambda w: reverse("csp_report"), "post"),
    "login": Route("open", lambda w: reverse("login")),
    "logout": Route("open", lambda w: reverse("logout"), "post"),
    "responses:join": Route("open", lambda w: reverse("responses:join")),
    "responses:session": Route("open", p("session")),
    "responses:session_status": Route(
        "open",
        lambda w: f"{p('session_status')(w)}?k={status_key(w['session'].join_code)}",
    ),
    "responses:join_qr": Route("open", p("join_qr")),
    "responses:profile": Route("participant-read", p("profile")),
    "responses:statement_edit": Route("participant-read", p("statement_edit", "own_card")),
    "responses:statement_create": Route(
        "participant-write",
        p("statement_create"),
        "post",
        lambda w: {"text": "Hi", "idempotency_key": "5b1b3f4e-8d4c-4a53-9a3e-1f0e2d3c4b5a"},
    ),
    "responses:statement_withdraw": Route(
        "participant-write", p("statement_withdraw", "own_card"), "post"
    ),
    "responses:dot_change": Route(
        "participant-write",
        p("dot_change"),
        "post",
        lambda w: {"category": w["category"].pk, "action": "place"},
    ),
    "responses:projects": Route("participant-read", p("projects")),
    "responses:project_withdraw": Route(
        "participant-write",
        lambda w: reverse(
            "responses:project_withdraw",
            args=[w["session"].join_code, AgencyProjectFactory(participant=w["participant"]).pk],
        ),
        "post",
    ),
    "responses:projects_shared": Route("participant-read", p("projects_shared")),
    "responses:projects_shared_download": Route(
        "participant-read",
        lambda w: reverse(
            "responses:projects_shared_download", args=[w["session"].join_code, "csv"]
        ),
    ),
    "workshop_sessions:workshop_create": Route(
        "facilitator", lambda w: reverse("workshop_sessions:workshop_create")
    ),
    "workshop_sessions:workshop_detail": Route(
        "workshop", lambda w: w["workshop"].get_absolute_url()
    ),
    "workshop_sessions:workshop_edit": Route(
        "workshop", lambda w: reverse("workshop_sessions:workshop_edit", args=[w["workshop"].pk])
    ),
    "workshop_sessions:workshop_history": Route(
        "workshop",
        lambda w: reverse("workshop_sessions:workshop_history", args=[w["workshop"].pk]),
    ),
    "workshop_sessions:session_create": Route(
        "workshop", lambda w: reverse("workshop_sessions:session_create", args=[w["workshop"].pk])
    ),
    "workshop_sessions:session_edit": Route("workshop", s("workshop_sessions:session_edit")),
    "workshop_sessions:session_move": Route(
        "workshop", s("workshop_sessions:session_move"), "post", lambda w: {"direction": "up"}
    ),
    "workshop_sessions:session_phase": Route(
        "workshop", s("workshop_sessions:session_phase"), "post", lambda w: {"phase": "collecting"}
    ),
    "workshop_sessions:session_reveal": Route(
        "workshop", s("workshop_sessions:session_reveal"), "post", lambda w: {"revealed": "1"}
    ),
    "workshop_sessions:session_join_screen": Route(
        "workshop", s("workshop_sessions:session_join_screen")
    ),
    "facilitation:session_board": Route("workshop", s("facilitation:session_board")),
    "facilitation:session_board_feed": Route("workshop", s("facilitation:session_board_feed")),
    "workshop_sessions:session_notes": Route("workshop", s("workshop_sessions:session_notes")),
    "workshop_sessions:session_note_history": Route(
        "workshop", s("workshop_sessions:session_note_history")
    ),
    "facilitation:session_cards": Route("workshop", s("facilitation:session_cards")),
    "facilitation:card_correct": Route(
        "workshop",
        lambda w: reverse(
            "facilitation:card_correct",
            args=[w["workshop"].pk, w["session"].pk, w["paper_card"].pk],
        ),
    ),
    "facilitation:session_clustering": Route("workshop", s("facilitation:session_clustering")),
    "facilitation:category_create": Route(
        "workshop", s("facilitation:category_create"), "post", lambda w: {"name": "New"}
    ),
    "facilitation:category_update": Route(
        "workshop",
        s("facilitation:category_update"),
        "post",
        lambda w: {"category": w["category"].pk, "reference_number": 1, "name": "Renamed"},
    ),
    "facilitation:categories_renumber": Route(
        "workshop", s("facilitation:categories_renumber"), "post"
    ),
    "facilitation:statements_move": Route(
        "workshop",
        s("facilitation:statements_move"),
        "post",
        lambda w: {"statement": w["own_card"].pk, "category": w["category"].pk},
    ),
    "facilitation:category_merge": Route(
        "workshop",
        s("facilitation:category_merge"),
        "post",
        lambda w: {"category": w["category"].pk, "into": w["category"].pk},
    ),
    "facilitation:category_split": Route(
        "workshop",
        s("facilitation:category_split"),
        "post",
        lambda w: {"category": w["category"].pk},
    ),
    "facilitation:category_delete": Route(
        "workshop", s("facilitation:category_delete"), "post", lambda w: {"category": 0}
    ),
    "facilitation:categories_present": Route(
        "workshop", s("facilitation:categories_present"), "post"
    ),
    "facilitation:statement_hide": Route(
        "workshop",
        s("facilitation:statement_hide"),
        "post",
        lambda w: {"statement": w["own_card"].pk, "reason": "Test"},
    ),
    "facilitation:statement_restore": Route(
        "workshop",
        s("facilitation:statement_restore"),
        "post",
        lambda w: {"statement": w["own_card"].pk},
    ),
    # The clustering suggestions (responses/suggest/): "workshop", like the page's actions.
    "facilitation:suggestions_switch": Route(
        "workshop", s("facilitation:suggestions_switch"), "post", lambda w: {"on": "1"}
    ),
    "facilitation:suggestion_file": Route(
        "workshop",
        s("facilitation:suggestion_file"),
        "post",
        lambda w: {"file": f"{w['own_card'].pk}:{w['category'].pk}"},
    ),
    "facilitation:suggestion_group_accept": Route(
        "workshop",
        s("facilitation:suggestion_group_accept"),
        "post",
        lambda w: {"name": "Proposed", "statement": [w["own_card"].pk]},
    ),
    "facilitation:suggestion_dismiss": Route(
        "workshop", s("facilitation:suggestion_dismiss"), "post", lambda w: {"dismiss": "group:"}
    ),
    "facilitation:suggestion_duplicate_hide": Route(
        "workshop",
        s("facilitation:suggestion_duplicate_hide"),
        "post",
        lambda w: {"duplicate": f"{w['own_card'].pk}:{w['own_card'].pk}"},
    ),
    # "workshop", like the other clustering actions: another workshop's facilitator gets 404.
    "facilitation:paper_dots_save": Route(
        "workshop",
        s("facilitation:paper_dots_save"),
        "post",
        lambda w: {f"paper_{w['category'].pk}": "7", "note": "Counted twice"},
    ),
    "facilitation:participant_list": Route(
        "staff",
        lambda w: reverse("facilitation:participant_list", args=[w["workshop"].pk]),
    ),
    "facilitation:participant_data": Route(
        "staff",
        lambda w: reverse(
            "facilitation:participant_data", args=[w["workshop"].pk, w["participant"].pk]
        ),
    ),
    # GET shows the confirmation page; the POST erases (see tests/responses/test_privacy.py).
    "facilitation:participant_erase": Route(
        "staff",
        lambda w: reverse(
            "facilitation:participant_erase", args=[w["workshop"].pk, w["participant"].pk]
        ),
        "post",
    ),
    "facilitation:project_review": Route(
        "workshop",
        lambda w: reverse("facilitation:project_review", args=[w["workshop"].pk]),
    ),
    "facilitation:projects_download": Route(
        "workshop",
        lambda w: reverse("facilitation:projects_download", args=[w["workshop"].pk, "xlsx"]),
    ),
}


def test_every_url_is_in_the_matrix():
    from django.urls import get_resolver

    assert _url_names(get_resolver()) == set(ROUTES)


@pytest.fixture
def world(db):
    facilitator = UserFactory(username="this-facilitator", role="facilitator")
    other = UserFactory(username="other-facilitator", role="facilitator")
    staff = UserFactory(username="staff-member", role="staff")
    workshop = WorkshopFactory(facilitators=[facilitator])
    WorkshopFactory(facilitators=[other])
    session = PlenarySessionFactory(workshop=workshop, phase="collecting")
    participant = ParticipantFactory(workshop=workshop)
    return {
        "workshop": workshop,
        "session": session,
        "category": CategoryFactory(session=session),
        "own_card": StatementFactory(session=session, participant=participant),
        "paper_card": StatementFactory(session=session, source="card"),
        "users": {"facilitator": facilitator, "other facilitator": other, "staff": staff},
        "participant": participant,
        "format": "json",
        "category_pk": session.categories.first().pk,
        "workshop_pk": workshop.pk,
    }


def client_for(role: str, world: dict) -> Client:
    client = Client()
    if role == "participant":
        client.cookies[settings.PARTICIPANT_COOKIE_NAME] = world["participant"].token
    elif role in world["users"]:
        client.force_login(world["users"][role])
    return client


def expected(kind: str, role: str) -> str:
    if kind == "open":
        return "allowed"
    if kind == "participant-write":
        return "allowed" if role == "participant" else "refused"
    if kind == "participant-read":
        return "allowed" if role == "participant" else "sent to join"
    if role in ("anonymous", "participant"):
        return "sent to login"
    if kind == "staff":
        return "allowed" if role == "staff" else "refused"
    if kind == "workshop" and role == "other facilitator":
        return "not found"
    return "allowed"


def outcome(response, method: str) -> str:
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith(LOGIN):
        return "sent to login"
    if method == "get" and response.status_code == 302 and location.startswith("/s/"):
        return "sent to join"
    if response.status_code == 404:
        return "not found"
    if response.status_code == 403:
        return "refused"
    if response.status_code in (200, 201, 204, 302):
        return "allowed"
    return f"status {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ROUTES))
def test_access(name, role, world):
    route = ROUTES[name]
    client = client_for(role, world)
    # Participants' writes are sent as the page's script sends them, asking for JSON.
    headers = {"HTTP_ACCEPT": "application/json"} if route.kind == "participant-write" else {}
    response = getattr(client, route.method)(route.url(world), route.data(world), **headers)
    assert outcome(response, route.method) == expected(route.kind, role), (
        name,
        role,
        response.status_code,
    )


def test_signed_in_user_without_a_role_is_refused_facilitator_pages(world):
    client = Client()
    client.force_login(UserFactory())
    assert client.get(reverse("workshop_sessions:workshop_create")).status_code == 403
    assert client.get(world["workshop"].get_absolute_url()).status_code == 404
