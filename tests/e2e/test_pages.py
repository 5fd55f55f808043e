"""Every page of the site passes the HTML and accessibility checks, on a phone and a desktop.

PAGES lists every URL the site serves to people. ``test_every_url_is_listed`` fails when a new
URL is added without an entry here, so no page escapes the quality gates.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sessions.audit import audit_record
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import (
    AgencyProjectFactory,
    CategoryFactory,
    DotFactory,
    NoteRevisionFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)


@dataclass(frozen=True)
class Page:
    role: str | None  # who: None (anonymous), "facilitator", "staff" or "participant"
    url: Callable[[dict], str]
    status: int = 200


PAGES: dict[str, Page] = {
    "home (anonymous)": Page(None, lambda world: reverse("home")),
    "home": Page("facilitator", lambda world: reverse("home")),
    "home (staff)": Page("staff", lambda world: reverse("home")),
    "login": Page(None, lambda world: reverse("login")),
    "workshop_sessions:workshop_detail": Page(
        "facilitator", lambda world: world["workshop"].get_absolute_url()
    ),
    "workshop_sessions:session_join_screen": Page(
        "facilitator",
        lambda world: session_page("workshop_sessions:session_join_screen", world["collecting"]),
    ),
    "workshop_sessions:workshop_create": Page(
        "facilitator", lambda world: reverse("workshop_sessions:workshop_create")
    ),
    "workshop_sessions:workshop_edit": Page(
        "facilitator",
        lambda world: reverse("workshop_sessions:workshop_edit", args=[world["workshop"].pk]),
    ),
    "workshop_sessions:workshop_history": Page(
        "facilitator",
        lambda world: reverse("workshop_sessions:workshop_history", args=[world["workshop"].pk]),
    ),
    "workshop_sessions:session_create": Page(
        "facilitator",
        lambda world: reverse("workshop_sessions:session_create", args=[world["workshop"].pk]),
    ),
    "workshop_sessions:session_edit": Page(
        "facilitator",
        lambda world: session_page("workshop_sessions:session_edit", world["collecting"]),
    ),
    "facilitation:session_board": Page(
        "facilitator", lambda world: session_page("facilitation:session_board", world["collecting"])
    ),
    "facilitation:session_board (revealed)": Page(
        "facilitator", lambda world: session_page("facilitation:session_board", world["closed"])
    ),
    "facilitation:session_board (voting)": Page(
        "staff", lambda world: session_page("facilitation:session_board", world["voting"])
    ),
    "workshop_sessions:session_notes": Page(
        "facilitator",
        lambda world: session_page("workshop_sessions:session_notes", world["collecting"]),
    ),
    "workshop_sessions:session_note_history": Page(
        "facilitator",
        lambda world: session_page("workshop_sessions:session_note_history", world["collecting"]),
    ),
    # Opening voting where the categories cannot take every dot (3 categories, 4 dots each).
    "workshop_sessions:session_phase (voting warning)": Page(
        "facilitator",
        lambda world: (
            session_page("workshop_sessions:session_phase", world["clustering"])
            + "?next_page=board"
        ),
    ),
    "workshop_sessions:session_phase (voting warning, no categories)": Page(
        "facilitator", lambda world: session_page("workshop_sessions:session_phase", world["empty"])
    ),
    "facilitation:session_cards": Page(
        "facilitator", lambda world: session_page("facilitation:session_cards", world["collecting"])
    ),
    "facilitation:card_correct": Page(
        "facilitator",
        lambda world: reverse(
            "facilitation:card_correct",
            args=[world["workshop"].pk, world["collecting"].pk, world["paper_card"].pk],
        ),
    ),
    "facilitation:session_clustering": Page(
        "facilitator",
        lambda world: session_page("facilitation:session_clustering", world["clustering"]),
    ),
    "facilitation:session_clustering (empty, can present)": Page(
        "facilitator", lambda world: session_page("facilitation:session_clustering", world["empty"])
    ),
    # One category's editor open (with tick boxes for a split), and the hide form of a statement.
    "facilitation:session_clustering (editing a category)": Page(
        "facilitator",
        lambda world: (
            session_page("facilitation:session_clustering", world["clustering"])
            + f"?edit={world['clustering'].categories.get(reference_number=1).pk}"
        ),
    ),
    "facilitation:session_clustering (hiding a statement)": Page(
        "facilitator",
        lambda world: (
            session_page("facilitation:session_clustering", world["clustering"])
            + f"?hide={world['clustering'].statements.get(text='Nobody owns the account').pk}"
        ),
    ),
    "not found": Page("facilitator", lambda world: "/no-such-page/", status=404),
    # Staff's report pages.
    "reports:index": Page("staff", lambda world: reverse("reports:index")),
    "reports:records": Page("staff", lambda world: reverse("reports:records")),
    "reports:records_batch": Page("staff", lambda world: records_batch_url(valid=True)),
    "reports:records_batch (problems)": Page("staff", lambda world: records_batch_url(valid=False)),
    "reports:report": Page(
        "staff", lambda world: reverse("reports:report", args=[world["workshop"].phase.slug])
    ),
    "reports:narrative": Page(
        "staff", lambda world: reverse("reports:narrative", args=[world["workshop"].phase.slug])
    ),
    "reports:trace_category": Page(
        "staff",
        lambda world: reverse(
            "reports:trace_category",
            args=[world["workshop"].phase.slug, world["voting"].categories.first().pk],
        ),
    ),
    "reports:trace_workshop": Page(
        "staff",
        lambda world: reverse(
            "reports:trace_workshop", args=[world["workshop"].phase.slug, world["workshop"].pk]
        ),
    ),
    "reports:notifications": Page("staff", lambda world: notifications_url(world)),
    "reports:notifications (none yet)": Page(
        "staff", lambda world: reverse("reports:notifications", args=[world["workshop"].phase.slug])
    ),
    # The opt-out link in a message: asking first, and after opting out.
    "notifications:opt_out": Page(None, lambda world: opt_out_url(world, opted_out=False)),
    "notifications:opt_out (done)": Page(None, lambda world: opt_out_url(world, opted_out=True)),
    # Publishing the report: the staff page's panel once published, the withdrawal's
    # confirmation, and the pages for everyone.
    "reports:report (published)": Page(
        "staff", lambda world: publish(world, then="reports:report", visibility="public")
    ),
    "reports:withdraw": Page("staff", lambda world: publish(world, then="reports:withdraw")),
    "published:index": Page(
        None, lambda world: publish(world, then="published:index", visibility="public")
    ),
    "published:index (none yet)": Page(None, lambda world: reverse("published:index")),
    "published:report": Page(None, lambda world: publish(world, then="published:report")),
    # Staff's pages for participants' personal data.
    "facilitation:participant_list": Page(
        "staff",
        lambda world: reverse("facilitation:participant_list", args=[world["workshop"].pk]),
    ),
    "facilitation:participant_erase": Page(
        "staff",
        lambda world: reverse(
            "facilitation:participant_erase",
            args=[world["workshop"].pk, world["participant"].pk],
        ),
    ),
    # The participant's pages, in every phase of a session.
    "responses:join": Page(None, lambda world: reverse("responses:join")),
    "responses:join (wrong code)": Page(None, lambda world: reverse("responses:join") + "?code=x"),
    "responses:session (first visit)": Page(None, lambda world: code_url(world["collecting"])),
    "responses:session (draft)": Page("participant", lambda world: code_url(world["draft"])),
    "responses:session": Page("participant", lambda world: code_url(world["collecting"])),
    "responses:session (clustering)": Page(
        "participant", lambda world: code_url(world["clustering"])
    ),
    "responses:session (voting)": Page("participant", lambda world: code_url(world["voting"])),
    "responses:session (closed, revealed)": Page(
        "participant", lambda world: code_url(world["closed"])
    ),
    "responses:profile": Page(
        "participant",
        lambda world: reverse("responses:profile", args=[world["collecting"].join_code]),
    ),
    "responses:statement_edit": Page(
        "participant",
        lambda world: reverse(
            "responses:statement_edit",
            args=[world["collecting"].join_code, world["card"].pk],
        ),
    ),
    "responses:statement_withdraw": Page(
        "participant",
        lambda world: reverse(
            "responses:statement_withdraw",
            args=[world["collecting"].join_code, world["card"].pk],
        ),
    ),
    # Agency projects: the participant's form and entries, the shared list before and after the
    # workshop is completed, and the facilitator's review.
    "responses:projects": Page(
        "participant", lambda world: projects_page("responses:projects", world)
    ),
    "responses:projects_shared (not yet shared)": Page(
        "participant", lambda world: projects_page("responses:projects_shared", world)
    ),
    "responses:projects_shared": Page(
        "participant",
        lambda world: projects_page("responses:projects_shared", world, completed=True),
    ),
    "facilitation:project_review": Page(
        "facilitator",
        lambda world: projects_page("facilitation:project_review", world),
    ),
}

# URL names that are not pages for people, with the reason.
NOT_PAGES = {
    "logout": "POST only; redirects to the home page",
    "healthz": "JSON for load balancers",
    "csp_report": "POST only; browsers send their CSP violation reports here",
    "responses:session_status": "polled by the participant's page; no body",
    "responses:join_qr": "an SVG image, shown on the join screen",
    "responses:statement_create": "POST only; redirects back to the session page",
    # responses:statement_withdraw is a page (GET, above: "Withdraw this card?"); its POST
    # withdraws and redirects back to the session page.
    "responses:dot_change": "POST only; redirects back, or returns the ballot to htmx",
    "facilitation:session_board_feed": "a fragment of the board, polled by htmx",
    "reports:export": "a download (attachment), not a page",
    "reports:records_export": "a download (attachment), not a page",
    "reports:records_template": "a download (attachment), not a page",
    "reports:records_upload": "POST only; redirects to the checked file's page",
    "reports:records_batch_import": "POST only; redirects to the file's page",
    "reports:records_batch_discard": "POST only; redirects to the records page",
    "reports:records_progress": "JSON polled by the records pages while a file is worked on",
    "reports:publish": "POST only; redirects back to the report page",
    "published:pdf": "a download (attachment), not a page",
    "published:docx": "a download (attachment), not a page",
    # notifications:opt_out is a page (GET, above); its POST, also sent by mail clients as a
    # one-click unsubscribe, shows the same page in its "done" state.
    "facilitation:participant_data": "a JSON download (attachment), not a page",
    "responses:project_withdraw": "POST only; redirects back to the projects page",
    "responses:projects_shared_download": "a download (attachment), not a page",
    "facilitation:projects_download": "a download (attachment), not a page",
    "facilitation:suggestions_switch": "POST only; redirects back to the clustering page",
    "facilitation:suggestion_file": "POST only; redirects back to the clustering page",
    "facilitation:suggestion_group_accept": "POST only; redirects back to the clustering page",
    "facilitation:suggestion_dismiss": "POST only; redirects back to the clustering page",
    "facilitation:suggestion_duplicate_hide": "POST only; redirects back to the clustering page",
    # facilitation:participant_erase is a page (GET, above); its POST erases and redirects
    # back to the participant list. So is workshop_sessions:session_phase: its GET warns that
    # voting would leave dots nowhere to go; its POST changes the phase and redirects back.
    **dict.fromkeys(
        [
            "workshop_sessions:session_move",
            "workshop_sessions:session_reveal",
            "facilitation:category_create",
            "facilitation:category_update",
            "facilitation:categories_renumber",
            "facilitation:statements_move",
            "facilitation:category_merge",
            "facilitation:category_split",
            "facilitation:category_delete",
            "facilitation:categories_present",
            "facilitation:statement_hide",
            "facilitation:statement_restore",
            "facilitation:paper_dots_save",
        ],
        "POST only; redirects back to the page it came from",
    ),
}


def publish(world: dict, *, then: str, visibility: str = "unlisted") -> str:
    """Publish the world's phase as its staff member would, and give the URL of ``then``."""
    from reports.publishing import report_publish

    phase = world["workshop"].phase
    publication = report_publish(phase=phase, visibility=visibility, user=world["staff"])
    if then.startswith("reports:"):
        return reverse(then, args=[phase.slug])
    if then == "published:index":
        return reverse(then)
    return reverse(then, args=[publication.token])


def records_batch_url(*, valid: bool) -> str:
    """The page of an uploaded records file: checked and waiting, or with problems."""
    from reports.models import ImportBatch
    from reports.records.importing import records_import

    text = "workshop,session,text\r\n" + (
        "w-missing,1,A card\r\nw-missing,x,\r\n" if not valid else ""
    )
    result = records_import(name="statements.csv", content=text.encode(), dry_run=True)
    batch = ImportBatch.objects.create(
        filename="statements.csv",
        sha256="0" * 64,
        size_bytes=len(text),
        content=text.encode() if valid else None,
        status=ImportBatch.Status.CHECKED if valid else ImportBatch.Status.INVALID,
        summary={"counts": result.counts, "notices": ["Join code ABCDEF is taken here."]},
        problems=[problem.as_dict() for problem in result.problems],
    )
    return reverse("reports:records_batch", args=[batch.pk])


def projects_page(name: str, world: dict, *, completed: bool = False) -> str:
    """A page about the workshop's agency projects, with an entry in each review state."""
    participant, workshop = world["participant"], world["workshop"]
    AgencyProjectFactory(participant=participant, organisation="Office of Parks", contact=True)
    AgencyProjectFactory(participant=participant, review="approved", contact=True)
    AgencyProjectFactory(participant=participant, review="approved", status="planned")
    AgencyProjectFactory(participant=participant, review="rejected", platform="A wiki")
    if completed:
        workshop.status = "completed"
        workshop.save()
    if name.startswith("responses:"):
        return reverse(name, args=[world["collecting"].join_code])
    return reverse(name, args=[workshop.pk])


def notifications_url(world: dict) -> str:
    """The record of a phase's messages: one sent, one retrying after an error, one cancelled."""
    from django.utils import timezone

    from reports.models import Notification, Publication

    workshop = world["workshop"]
    publication = Publication.objects.create(
        phase=workshop.phase, title="Phase I summary report", body_html="<p>Report</p>", etag="e"
    )
    for n, (status, error) in enumerate(
        [("sent", ""), ("pending", "SMTPServerDisconnected: Connection closed"), ("cancelled", "")]
    ):
        Notification.objects.create(
            publication=publication,
            phase=workshop.phase,
            participant=ParticipantFactory(workshop=workshop, email=f"p{n}@example.org"),
            email=f"p{n}@example.org",
            status=status,
            attempts=1 if status != "cancelled" else 0,
            last_error=error,
            sent_at=timezone.now() if status == "sent" else None,
        )
    return reverse("reports:notifications", args=[workshop.phase.slug])


def opt_out_url(world: dict, *, opted_out: bool) -> str:
    from django.utils import timezone

    from reports.notifications import opt_out_token

    participant = world["participant"]
    if opted_out:
        participant.contact_opted_out_at = timezone.now()
        participant.save()
    return reverse("notifications:opt_out", args=[opt_out_token(participant.pk)])


def session_page(name: str, session) -> str:
    return reverse(name, args=[session.workshop_id, session.pk])


def code_url(session) -> str:
    return reverse("responses:session", args=[session.join_code])


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own admin, for staff; not our markup
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_is_listed():
    page_names = {name.split(" (")[0] for name in PAGES} - {"not found"}
    assert _url_names(get_resolver()) == page_names | set(NOT_PAGES)


@pytest.fixture
def world(transactional_db):
    facilitator = UserFactory(username="facilitator", role="facilitator")
    staff = UserFactory(username="staff", role="staff")
    workshop = WorkshopFactory(
        title="State agency workshop", facilitators=[facilitator], description="Two sessions."
    )
    values = PlenarySessionFactory(workshop=workshop, position=1, title="Values")
    concerns = PlenarySessionFactory(
        workshop=workshop, position=2, title="Concerns", purpose="concerns", dots_may_stack=True
    )
    category = CategoryFactory(session=values, name="Cost savings")
    StatementFactory(session=values, category=category, text="Cheaper outreach (E)", use="E")
    StatementFactory(session=concerns, text="Who approves a post?")
    participant = ParticipantFactory(workshop=workshop)
    world = {"facilitator": facilitator, "staff": staff, "workshop": workshop}
    world["participant"] = participant
    for position, phase in enumerate(["draft", "collecting", "clustering", "voting", "closed"]):
        session = PlenarySessionFactory(
            workshop=workshop, position=position + 3, title=f"{phase} session", phase=phase
        )
        session.results_revealed = phase == "closed"
        session.save()
        for number, name in enumerate(["Resources", "Security", "Governance"], start=1):
            CategoryFactory(
                session=session,
                reference_number=number,
                name=name,
                description=f"What {name.lower()} the agency needs.",
            )
        world[phase] = session
    world["card"] = StatementFactory(
        session=world["collecting"],
        participant=participant,
        text="Answer residents faster",
        use="E",
    )
    world["paper_card"] = StatementFactory(
        session=world["collecting"], source="card", text="Shared calendars", use="I"
    )
    clustered = StatementFactory(session=world["clustering"], participant=participant)
    StatementFactory(session=world["clustering"], text="Nobody owns the account", use="I")
    StatementFactory(session=world["clustering"], hidden=True, hidden_reason="Duplicate card")
    clustered.category = world["clustering"].categories.first()
    clustered.save()
    world["empty"] = PlenarySessionFactory(workshop=workshop, position=20, title="Ranking")
    NoteRevisionFactory(
        session=world["collecting"], number=1, text="First notes", author=facilitator
    )
    NoteRevisionFactory(
        session=world["collecting"], number=2, based_on=1, text="Second notes", author=staff
    )
    DotFactory(category=world["voting"].categories.first(), participant=participant)
    DotFactory(category=world["closed"].categories.first(), participant=participant)
    # The history page's table: a participant's card and a facilitator's move.
    audit_record(
        workshop=workshop,
        session=world["collecting"],
        participant=participant,
        action="created",
        target="statement",
        target_id=world["card"].pk,
        changes={"text": [None, "Answer residents faster"], "use": [None, "E"]},
    )
    audit_record(
        workshop=workshop,
        session=world["clustering"],
        actor=facilitator,
        action="moved",
        target="statement",
        target_id=clustered.pk,
        changes={"category": [None, str(clustered.category)]},
    )
    return world


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_passes_html_and_accessibility_checks(name, viewport, world, open_browser, audit):
    page_spec = PAGES[name]
    person = open_browser(viewport=viewport)
    if page_spec.role == "participant":
        person.join_as(world["participant"])
    elif page_spec.role:
        person.login_as(world[page_spec.role])
    person.page.goto(page_spec.url(world))
    audit(person.page, name=name, expect_status=page_spec.status)
