import datetime as dt
import io
import json
import zipfile

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from reports import exports
from reports.selectors import report_build
from responses.models import Dot, Participant, Statement
from responses.privacy import (
    ERASED,
    PurgeLine,
    PurgeResult,
    identities_purge,
    participant_data,
    participant_erase,
)
from sessions.models import AuditEvent
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    StatementFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Distinctive strings, so a search of the whole database finds only this participant.
IDENTITY = {
    "name": "Zebulon Quarterfield",
    "email": "zq.private@example.org",
    "organisation": "Office of Quillwort Affairs",
    "role": "Chief Snorkel Officer",
}


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2009, 9, 17, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(db, staff_user):
    """A state workshop: a named, consenting participant who wrote two statements (one hidden)
    and placed two dots, another participant, an admin log entry and history events."""
    phase = ProjectPhaseFactory(slug="esmp")
    workshop = WorkshopFactory(phase=phase, title="State agency workshop", kind="state")
    values = PlenarySessionFactory(workshop=workshop, position=1, title="Values")
    concerns = PlenarySessionFactory(
        workshop=workshop, position=2, title="Concerns", purpose="concerns", phase="voting"
    )
    cost = CategoryFactory(session=values, reference_number=1, name="Cost savings")
    resources = CategoryFactory(session=concerns, reference_number=1, name="Resources")
    security = CategoryFactory(session=concerns, reference_number=2, name="Security")
    named = ParticipantFactory(
        workshop=workshop,
        level_of_government="state",
        consent_to_be_named=True,
        consent_recorded_at=at(12, 41),
        joined_at=at(12, 40),
        **IDENTITY,
    )
    other = ParticipantFactory(workshop=workshop, organisation="Department of Health")
    written = StatementFactory(
        session=values,
        participant=named,
        category=cost,
        text="Cheaper than print",
        use="E",
        created_at=at(12, 45),
    )
    hidden = StatementFactory(
        session=values,
        participant=named,
        text="A duplicate card",
        hidden=True,
        hidden_reason="Duplicate",
        created_at=at(12, 46),
    )
    StatementFactory(session=values, participant=other, category=cost, text="Less travel")
    DotFactory(category=resources, participant=named, placed_at=at(13, 5))
    DotFactory(category=security, participant=named, placed_at=at(13, 6))
    DotFactory(category=resources, participant=other)
    LogEntry.objects.create(
        user=staff_user,
        content_type=ContentType.objects.get_for_model(Participant),
        object_id=str(named.pk),
        object_repr=str(named),
        action_flag=CHANGE,
        change_message=f"Corrected the e-mail of {IDENTITY['name']} to {IDENTITY['email']}",
    )
    profile_event = AuditEvent.objects.create(
        workshop=workshop,
        action=AuditEvent.Action.CHANGED,
        target=AuditEvent.Target.PARTICIPANT,
        target_id=named.pk,
        actor_participant=named,
        changes={"name": ["", IDENTITY["name"]], "role": ["", IDENTITY["role"]]},
        created_at=at(12, 42),
    )
    card_event = AuditEvent.objects.create(
        workshop=workshop,
        session=values,
        action=AuditEvent.Action.CREATED,
        target=AuditEvent.Target.STATEMENT,
        target_id=written.pk,
        actor_participant=named,
        changes={"text": [None, "Cheaper than print"]},
        created_at=at(12, 45),
    )
    return {
        "phase": phase,
        "workshop": workshop,
        "named": named,
        "other": other,
        "values": values,
        "written": written,
        "hidden": hidden,
        "profile_event": profile_event,
        "card_event": card_event,
    }


def database_dump() -> str:
    buffer = io.StringIO()
    call_command("dumpdata", stdout=buffer)
    return buffer.getvalue().casefold()


def export_texts(phase) -> dict[str, str]:
    """Every export format's bytes as text, zip-based formats (CSV, XLSX, Word) unzipped."""
    report = report_build(phase=phase)
    texts = {
        "html": exports.export_html(report).decode("utf-8"),
        "json": exports.export_json(report).decode("utf-8"),
    }
    for fmt, export in [
        ("csv", exports.export_csv),
        ("xlsx", exports.export_xlsx),
        ("docx", exports.export_docx),
    ]:
        archive = zipfile.ZipFile(io.BytesIO(export(report)))
        texts[fmt] = " ".join(
            archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
        )
    return {fmt: text.casefold() for fmt, text in texts.items()}


def found(text: str) -> list[str]:
    return [value for value in IDENTITY.values() if value.casefold() in text.casefold()]


def report_figures(phase) -> tuple:
    report = report_build(phase=phase)
    lines = (*report.state_values, *report.state_concerns)
    return (
        [(line.name, line.votes, line.statement_count, line.rank) for line in lines],
        [
            (group.category.name if group.category else None, [s.text for s in group.statements])
            for group in (*report.appendix_a, *report.appendix_b)
        ],
        [w.people for w in report.workshops],
    )


# --- The must-show ------------------------------------------------------------------------------


def test_erase_removes_identity_everywhere_and_keeps_statements_and_dots_in_the_counts(
    world, staff_user, client
):
    named, phase = world["named"], world["phase"]
    attendance_url = reverse("reports:trace_workshop", args=[phase.slug, world["workshop"].pk])
    client.force_login(staff_user)
    assert found(database_dump()) == list(IDENTITY.values())
    assert IDENTITY["name"] in client.get(attendance_url).content.decode()
    figures = report_figures(phase)
    organisations_before = report_build(phase=phase).workshops[0].organisations

    participant_erase(participant=named, actor=staff_user)

    assert found(database_dump()) == []  # every table: records, history, admin log
    assert {fmt: found(text) for fmt, text in export_texts(phase).items()} == {
        "html": [],
        "json": [],
        "csv": [],
        "xlsx": [],
        "docx": [],
    }
    assert found(json.dumps(participant_data(participant=named))) == []
    assert found(client.get(attendance_url).content.decode()) == []
    assert list(Statement.objects.filter(participant=named).values_list("text", flat=True)) == [
        "Cheaper than print",
        "A duplicate card",
    ]
    assert list(Dot.objects.filter(participant=named).values_list("category__name", "count")) == [
        ("Resources", 1),
        ("Security", 1),
    ]
    assert report_figures(phase) == figures
    # The one figure that moves: organisations counted from the records (documented).
    assert report_build(phase=phase).workshops[0].organisations == organisations_before - 1


# --- Erasing ------------------------------------------------------------------------------------


def test_erase_blanks_identity_withdraws_consent_and_records_the_event(world, staff_user):
    named = world["named"]
    old_token = named.token

    erased = participant_erase(participant=named, actor=staff_user)

    erased.refresh_from_db()
    assert (
        erased.name,
        erased.organisation,
        erased.level_of_government,
        erased.role,
        erased.email,
        erased.consent_to_be_named,
        erased.consent_recorded_at,
    ) == ("", "", "", "", "", False, None)
    assert erased.token != old_token and len(erased.token) == len(old_token)
    assert erased.erased_at is not None
    assert (erased.reference, erased.joined_at) == (named.reference, named.joined_at)
    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASED)
    assert (event.workshop, event.actor, event.target, event.target_id, event.changes) == (
        world["workshop"],
        staff_user,
        "participant",
        named.pk,
        {},
    )


def test_erase_scrubs_the_admin_log_and_the_history(world, staff_user):
    named = world["named"]
    participant_erase(participant=named, actor=staff_user)
    entry = LogEntry.objects.get()
    assert (entry.object_repr, entry.change_message) == (f"Anonymous participant {named.pk}", "")
    world["profile_event"].refresh_from_db()
    assert world["profile_event"].changes == {"name": ERASED, "role": ERASED}
    world["card_event"].refresh_from_db()
    assert world["card_event"].changes == {"text": [None, "Cheaper than print"]}


def test_erase_scrubs_a_workshop_event_quoting_the_name_but_not_other_values(world, staff_user):
    event = AuditEvent.objects.create(
        workshop=world["workshop"],
        action=AuditEvent.Action.IMPORTED,
        target=AuditEvent.Target.WORKSHOP,
        target_id=world["workshop"].pk,
        changes={"rows": [IDENTITY["email"].upper(), "Cost savings"], "name": "Cost savings"},
    )
    participant_erase(participant=world["named"], actor=staff_user)
    event.refresh_from_db()
    assert event.changes == {"rows": [ERASED, "Cost savings"], "name": "Cost savings"}


def test_erasing_twice_changes_nothing_more(world, staff_user):
    first = participant_erase(participant=world["named"], actor=staff_user)
    second = participant_erase(participant=world["named"], actor=staff_user)
    second.refresh_from_db()
    assert (second.token, second.erased_at) == (first.token, first.erased_at)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASED).count() == 1


def test_erasing_again_removes_details_entered_after_the_first_erasure(world, staff_user):
    first = participant_erase(participant=world["named"], actor=staff_user)
    Participant.objects.filter(pk=first.pk).update(name="Typed in later")
    second = participant_erase(participant=first, actor=staff_user)
    assert second.name == ""
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASED).count() == 2


def test_the_erased_browser_token_no_longer_acts_as_the_participant(world, staff_user):
    named, values = world["named"], world["values"]
    values.phase = "collecting"
    values.save()
    browser = Client()
    browser.cookies[settings.PARTICIPANT_COOKIE_NAME] = named.token
    page = reverse("responses:session", args=[values.join_code])
    assert "Cheaper than print" in browser.get(page).content.decode()

    participant_erase(participant=named, actor=staff_user)

    response = browser.get(page)
    assert response.templates[0].name == "responses/join_session.html"
    assert "Cheaper than print" not in response.content.decode()
    refused = browser.post(
        reverse("responses:statement_create", args=[values.join_code]),
        {"text": "Sent as them", "idempotency_key": "5b1b3f4e-8d4c-4a53-9a3e-1f0e2d3c4b5a"},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 403
    assert not Statement.objects.filter(text="Sent as them").exists()


# --- Subject-access export ----------------------------------------------------------------------


def test_participant_data_holds_everything_about_the_participant(world):
    named = world["named"]
    data = participant_data(participant=named)
    assert data["format"] == "ctg-workshops participant data, version 1"
    assert data["participant"] == {
        "reference": named.reference,
        "name": "Zebulon Quarterfield",
        "organisation": "Office of Quillwort Affairs",
        "level_of_government": "state",
        "role": "Chief Snorkel Officer",
        "email": "zq.private@example.org",
        "consent_to_be_named": True,
        "consent_recorded_at": "2009-09-17T08:41:00-04:00",
        "consent_to_contact": False,
        "contact_consent_at": None,
        "contact_opted_out_at": None,
        "joined_at": "2009-09-17T08:40:00-04:00",
        "identity_erased_at": None,
    }
    assert data["workshop"] == {
        "reference": world["workshop"].reference,
        "title": "State agency workshop",
        "date": "2009-09-17",
        "project_phase": world["phase"].title,
    }
    assert [
        {key: value for key, value in s.items() if key != "updated_at"} for s in data["statements"]
    ] == [
        {
            "session": "Values",
            "text": "Cheaper than print",
            "use": "E",
            "source": "online",
            "category": "Cost savings",
            "created_at": "2009-09-17T08:45:00-04:00",
            "hidden": False,
            "hidden_reason": "",
        },
        {
            "session": "Values",
            "text": "A duplicate card",
            "use": "",
            "source": "online",
            "category": None,
            "created_at": "2009-09-17T08:46:00-04:00",
            "hidden": True,
            "hidden_reason": "Duplicate",
        },
    ]
    assert data["dots"] == [
        {
            "session": "Concerns",
            "category": "Resources",
            "count": 1,
            "placed_at": "2009-09-17T09:05:00-04:00",
        },
        {
            "session": "Concerns",
            "category": "Security",
            "count": 1,
            "placed_at": "2009-09-17T09:06:00-04:00",
        },
    ]
    assert data["history"] == [
        {
            "when": "2009-09-17T08:42:00-04:00",
            "action": "changed",
            "record": "participant",
            "record_id": named.pk,
            "session": None,
            "by": "participant",
            "changes": {
                "name": ["", "Zebulon Quarterfield"],
                "role": ["", "Chief Snorkel Officer"],
            },
        },
        {
            "when": "2009-09-17T08:45:00-04:00",
            "action": "created",
            "record": "statement",
            "record_id": world["written"].pk,
            "session": "Values",
            "by": "participant",
            "changes": {"text": [None, "Cheaper than print"]},
        },
    ]
    assert json.loads(json.dumps(data)) == data


def test_participant_data_of_another_participant_holds_none_of_theirs(world):
    data = participant_data(participant=world["other"])
    assert [s["text"] for s in data["statements"]] == ["Less travel"]
    assert [d["category"] for d in data["dots"]] == ["Resources"]
    assert data["history"] == []


def test_staff_download_the_data_as_an_attachment_and_it_is_recorded(world, staff_user, client):
    named = world["named"]
    expected = participant_data(participant=named)
    client.force_login(staff_user)
    response = client.get(
        reverse("facilitation:participant_data", args=[world["workshop"].pk, named.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{named.reference}-data.json"'
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    del document["exported_at"], expected["exported_at"]
    assert document == expected
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert (event.actor, event.target, event.target_id, event.changes) == (
        staff_user,
        "participant",
        named.pk,
        {},
    )


# --- Staff pages --------------------------------------------------------------------------------


def list_url(workshop) -> str:
    return reverse("facilitation:participant_list", args=[workshop.pk])


def test_participant_list_shows_each_participant_with_counts(world, staff_user, client):
    participant_erase(participant=world["other"], actor=staff_user)
    client.force_login(staff_user)
    response = client.get(list_url(world["workshop"]))
    rows = [
        (p.reference, p.name, p.organisation, p.statement_count, p.dot_count, bool(p.erased_at))
        for p in response.context["participants"]
    ]
    assert rows == [
        (
            world["named"].reference,
            "Zebulon Quarterfield",
            "Office of Quillwort Affairs",
            2,
            2,
            False,
        ),
        (world["other"].reference, "", "", 1, 1, True),
    ]
    html = response.content.decode()
    assert "Office of Quillwort Affairs" in html
    assert (
        reverse("facilitation:participant_erase", args=[world["workshop"].pk, world["named"].pk])
        in html
    )


@pytest.mark.parametrize("count", [1, 3])
def test_participant_list_query_count_is_fixed(
    client, staff_user, django_assert_num_queries, count
):
    workshop = WorkshopFactory()
    session = PlenarySessionFactory(workshop=workshop)
    category = CategoryFactory(session=session)
    for _ in range(count):
        participant = ParticipantFactory(workshop=workshop, name="Someone")
        StatementFactory.create_batch(2, session=session, participant=participant)
        DotFactory(category=category, participant=participant, count=1)
    client.force_login(staff_user)
    # session, user, groups, workshop, participants with both counts
    with django_assert_num_queries(5):
        response = client.get(list_url(workshop))
    assert [(p.statement_count, p.dot_count) for p in response.context["participants"]] == [
        (2, 1)
    ] * count


def test_erase_page_says_what_goes_and_what_stays_and_the_post_erases(world, staff_user, client):
    named = world["named"]
    url = reverse("facilitation:participant_erase", args=[world["workshop"].pk, named.pk])
    client.force_login(staff_user)
    page = client.get(url).content.decode()
    assert "What is removed, everywhere" in page and "What stays" in page
    assert "Zebulon Quarterfield" in page and "Their 2 statements" in page

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == list_url(world["workshop"])
    named.refresh_from_db()
    assert (named.name, named.erased_at is not None) == ("", True)
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == [
        f"The identity of participant {named.reference} is erased. Their statements and dots "
        "stay and still count."
    ]


@pytest.mark.parametrize(
    "name, method",
    [
        ("participant_list", "get"),
        ("participant_data", "get"),
        ("participant_erase", "get"),
        ("participant_erase", "post"),
    ],
)
def test_facilitators_are_refused_and_nothing_is_erased(world, facilitator, client, name, method):
    workshop, named = world["workshop"], world["named"]
    workshop.facilitators.add(facilitator)
    args = [workshop.pk] if name == "participant_list" else [workshop.pk, named.pk]
    client.force_login(facilitator)
    response = getattr(client, method)(reverse(f"facilitation:{name}", args=args))
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    named.refresh_from_db()
    assert named.name == "Zebulon Quarterfield"
    assert not AuditEvent.objects.filter(action__in=["erased", "exported"]).exists()


def test_a_participant_of_another_workshop_is_not_found(world, staff_user, client):
    elsewhere = ParticipantFactory(name="Someone else")
    client.force_login(staff_user)
    for name in ("participant_data", "participant_erase"):
        url = reverse(f"facilitation:{name}", args=[world["workshop"].pk, elsewhere.pk])
        assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.name == "Someone else"


def test_workshop_page_links_the_participant_list_for_staff_only(world, staff_user, facilitator):
    workshop = world["workshop"]
    workshop.facilitators.add(facilitator)
    link = f'href="{list_url(workshop)}"'
    pages = {}
    for user in (staff_user, facilitator):
        client = Client()
        client.force_login(user)
        pages[user.username] = link in client.get(workshop.get_absolute_url()).content.decode()
    assert pages == {staff_user.username: True, facilitator.username: False}


# --- Retention purge ----------------------------------------------------------------------------

NOW = dt.datetime(2012, 1, 10, 15, 0, tzinfo=UTC)
RECENT = timezone.localdate() - dt.timedelta(days=100)


@pytest.fixture
def archive(db):
    old = WorkshopFactory(title="Old workshop", date=dt.date(2009, 9, 17))
    # 100 days before the real clock (the command's), after the services' NOW.
    recent = WorkshopFactory(title="Recent workshop", date=RECENT)
    return {
        "old": old,
        "old_named": ParticipantFactory(workshop=old, name="Old Name"),
        "old_org_only": ParticipantFactory(
            workshop=old, organisation="Parks", level_of_government=""
        ),
        "old_anonymous": ParticipantFactory(workshop=old, organisation="", level_of_government=""),
        "old_erased": ParticipantFactory(
            workshop=old, organisation="", level_of_government="", erased_at=NOW
        ),
        "recent_named": ParticipantFactory(workshop=recent, name="Recent Name"),
    }


def snapshot() -> list[tuple]:
    return list(
        Participant.objects.order_by("pk").values_list(
            "name", "organisation", "level_of_government", "token", "erased_at"
        )
    )


def test_purge_dry_run_counts_and_changes_nothing(archive):
    before = snapshot()
    result = identities_purge(older_than_days=730, now=NOW, dry_run=True)
    assert result == PurgeResult(
        held_before=dt.date(2010, 1, 10),
        dry_run=True,
        workshops=(PurgeLine(archive["old"].pk, "Old workshop", dt.date(2009, 9, 17), 2, 2),),
    )
    assert result.total == 2
    assert snapshot() == before
    assert not AuditEvent.objects.exists()


def test_purge_erases_identities_of_old_workshops_only(archive):
    result = identities_purge(older_than_days=730, now=NOW, dry_run=False)
    assert result.total == 2
    erased = set(Participant.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {archive[key].pk for key in ("old_named", "old_org_only", "old_erased")}
    assert Participant.objects.get(pk=archive["recent_named"].pk).name == "Recent Name"
    assert Participant.objects.get(pk=archive["old_named"].pk).name == ""
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ERASED)
    assert sorted(events.values_list("target_id", "actor")) == sorted(
        [(archive["old_named"].pk, None), (archive["old_org_only"].pk, None)]
    )
    assert identities_purge(older_than_days=730, now=NOW, dry_run=False).total == 0
    # The report's organisation count, taken from the records, is kept before they are erased.
    archive["old"].refresh_from_db()
    assert archive["old"].attendance_organisations == 2


def test_purge_command_dry_run_lists_and_changes_nothing(archive, capsys):
    before = snapshot()
    with override_settings(IDENTITY_RETENTION_DAYS=30):
        call_command("purge_identities", "--older-than-days", "365", "--dry-run")
    out = capsys.readouterr().out
    held_before = (timezone.localdate() - dt.timedelta(days=365)).isoformat()
    assert out == (
        f"Workshops held before {held_before} (more than 365 days ago):\n"
        "  Old workshop (2009-09-17): 2 participants to erase\n"
        "    its report's count of 2 organisations is kept as the reported attendance\n"
        "Total: 2 participants to erase in 1 workshop.\n"
        "Dry run: nothing was changed.\n"
    )
    assert snapshot() == before


def test_purge_command_uses_the_retention_setting_and_erases(archive, capsys):
    with override_settings(IDENTITY_RETENTION_DAYS=10):
        call_command("purge_identities")
    out = capsys.readouterr().out
    held_before = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert out == (
        f"Workshops held before {held_before} (more than 10 days ago):\n"
        "  Old workshop (2009-09-17): 2 participants erased\n"
        "    its report's count of 2 organisations was kept as the reported attendance\n"
        f"  Recent workshop ({RECENT.isoformat()}): 1 participant erased\n"
        "    its report's count of 1 organisation was kept as the reported attendance\n"
        "Total: 3 participants erased in 2 workshops.\n"
    )
    assert not Participant.objects.exclude(name="").exists()
