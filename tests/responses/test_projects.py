"""Agency projects: participants describe them, facilitators review them, the approved list is
shared with the workshop's participants once the workshop is completed."""

import csv
import io
import re
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from responses import projects as project_services
from responses.forms import AgencyProjectForm
from responses.models import AgencyProject
from responses.privacy import participant_data, participant_erase
from responses.projects import (
    ProjectDetails,
    project_review,
    project_submit,
    project_withdraw,
    projects_csv,
    projects_xlsx,
)
from responses.selectors import projects_for_review, projects_shared
from responses.services import ParticipationRefused
from sessions.audit import ChangeLine, audit_change_lines
from sessions.models import AuditEvent
from tests.factories import (
    AgencyProjectFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

KEY = uuid.UUID("6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b")
DETAILS = ProjectDetails(
    organisation="  Office of Parks  ",
    platform="YouTube",
    purpose="Trail videos for visitors.",
    status="planned",
)
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"]


@pytest.fixture
def session(db, facilitator):
    workshop = WorkshopFactory(title="State agency workshop", facilitators=[facilitator])
    return PlenarySessionFactory(workshop=workshop, phase="collecting")


@pytest.fixture
def participant(session):
    return ParticipantFactory(workshop=session.workshop, organisation="Office of Parks")


def as_participant(participant) -> Client:
    client = Client()
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    return client


def projects_url(session) -> str:
    return reverse("responses:projects", args=[session.join_code])


def shared_url(session) -> str:
    return reverse("responses:projects_shared", args=[session.join_code])


def review_url(workshop) -> str:
    return reverse("facilitation:project_review", args=[workshop.pk])


def form_data(**overrides) -> dict:
    return {
        "organisation": "Office of Parks",
        "platform": "YouTube",
        "purpose": "Trail videos for visitors.",
        "status": "existing",
        "contact_name": "",
        "contact_email": "",
        "idempotency_key": str(KEY),
        **overrides,
    }


def complete(workshop) -> None:
    workshop.status = "completed"
    workshop.save()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Services ---------------------------------------------------------------------------------


def test_project_submit_stores_the_entry_and_an_event_without_the_contact(participant):
    data = ProjectDetails(
        organisation="Office of Parks",
        platform="YouTube",
        purpose="Trail videos.",
        status="existing",
        contact_name=" Pat Jones ",
        contact_email="pat@example.org",
        contact_consent=True,
    )
    before = timezone.now()

    submission = project_submit(participant=participant, data=data, idempotency_key=KEY)

    project = submission.project
    assert submission.created is True
    assert (project.workshop_id, project.participant_id, project.review) == (
        participant.workshop_id,
        participant.pk,
        "pending",
    )
    assert (project.contact_name, project.contact_email, project.contact_consent) == (
        "Pat Jones",
        "pat@example.org",
        True,
    )
    assert before <= project.contact_consent_at <= timezone.now()
    event = AuditEvent.objects.get(target="agency_project", target_id=project.pk)
    assert (event.action, event.actor_participant_id, event.actor_id) == (
        "created",
        participant.pk,
        None,
    )
    assert event.changes == {
        "platform": [None, "YouTube"],
        "status": [None, "existing"],
        "contact_consent": [None, True],
    }


def test_project_submit_strips_text_and_keeps_no_consent_time_without_a_contact(participant):
    project = project_submit(participant=participant, data=DETAILS, idempotency_key=KEY).project
    assert (project.organisation, project.contact_consent, project.contact_consent_at) == (
        "Office of Parks",
        False,
        None,
    )


def test_project_submit_twice_with_one_key_stores_once(participant):
    first = project_submit(participant=participant, data=DETAILS, idempotency_key=KEY)
    again = project_submit(participant=participant, data=DETAILS, idempotency_key=KEY)

    assert (first.created, again.created) == (True, False)
    assert again.project.pk == first.project.pk
    assert AgencyProject.objects.count() == 1
    assert AuditEvent.objects.filter(target="agency_project").count() == 1


def test_project_submit_racing_the_same_key_returns_the_stored_entry(participant):
    stored = AgencyProjectFactory(participant=participant, idempotency_key=KEY)
    real_lookup = project_services._project_for_key
    # The first lookup misses (the other request has not committed yet); the insert then
    # collides with it on the unique key.
    lookups = iter([None])

    def lookup(key, who):
        return next(lookups, None) or real_lookup(key, who)

    with mock.patch.object(project_services, "_project_for_key", side_effect=lookup):
        submission = project_submit(participant=participant, data=DETAILS, idempotency_key=KEY)

    assert (submission.created, submission.project.pk) == (False, stored.pk)
    assert AgencyProject.objects.count() == 1


def test_project_submit_with_another_participants_key_is_refused(participant):
    AgencyProjectFactory(
        participant=ParticipantFactory(workshop=participant.workshop), idempotency_key=KEY
    )

    with pytest.raises(ParticipationRefused) as refusal:
        project_submit(participant=participant, data=DETAILS, idempotency_key=KEY)

    assert refusal.value.code == "key_conflict"
    assert AgencyProject.objects.filter(participant=participant).count() == 0


@pytest.mark.parametrize(
    "name, email", [("Pat Jones", ""), ("", "pat@example.org"), ("Pat", "pat@example.org")]
)
def test_project_submit_refuses_a_contact_without_consent(participant, name, email):
    data = ProjectDetails(
        organisation="Office of Parks",
        platform="YouTube",
        purpose="Trail videos.",
        status="existing",
        contact_name=name,
        contact_email=email,
        contact_consent=False,
    )
    with pytest.raises(ParticipationRefused) as refusal:
        project_submit(participant=participant, data=data, idempotency_key=KEY)
    assert refusal.value.message == "A contact is kept only with consent to share it."
    assert AgencyProject.objects.count() == 0


def test_project_withdraw_removes_a_pending_entry_and_records_it(participant):
    project = AgencyProjectFactory(participant=participant, contact=True)

    project_withdraw(participant=participant, pk=project.pk)

    assert not AgencyProject.objects.filter(pk=project.pk).exists()
    event = AuditEvent.objects.get(target="agency_project", target_id=project.pk)
    assert (event.action, event.actor_participant_id) == ("withdrawn", participant.pk)
    assert event.changes == {
        "platform": ["Twitter", None],
        "status": ["existing", None],
        "contact_consent": [True, None],
    }
    assert "Pat Jones" not in str(event.changes)


@pytest.mark.parametrize("review", ["approved", "rejected"])
def test_project_withdraw_refuses_a_reviewed_entry(participant, review):
    project = AgencyProjectFactory(participant=participant, review=review)
    with pytest.raises(ParticipationRefused) as refusal:
        project_withdraw(participant=participant, pk=project.pk)
    assert refusal.value.code == "reviewed"
    assert AgencyProject.objects.filter(pk=project.pk).exists()


def test_project_withdraw_refuses_another_participants_entry(participant):
    other = AgencyProjectFactory(participant=ParticipantFactory(workshop=participant.workshop))
    with pytest.raises(ParticipationRefused) as refusal:
        project_withdraw(participant=participant, pk=other.pk)
    assert refusal.value.code == "not_yours"
    assert AgencyProject.objects.filter(pk=other.pk).exists()


def test_project_review_records_reviewer_time_and_an_event(participant, facilitator):
    project = AgencyProjectFactory(participant=participant, contact=True)
    before = timezone.now()

    project_review(project=project, decision="approved", actor=facilitator)

    project.refresh_from_db()
    assert (project.review, project.reviewed_by) == ("approved", facilitator)
    assert before <= project.reviewed_at <= timezone.now()
    event = AuditEvent.objects.get(target="agency_project", target_id=project.pk)
    assert (event.action, event.actor, event.actor_participant) == ("changed", facilitator, None)
    assert event.changes == {"review": ["pending", "approved"]}
    assert audit_change_lines(event.changes) == [
        ChangeLine(label="Review", before="Waiting for review", after="Approved")
    ]


def test_project_review_of_the_same_decision_changes_nothing(participant, facilitator):
    project = AgencyProjectFactory(participant=participant)
    project_review(project=project, decision="rejected", actor=facilitator)
    project_review(project=project, decision="rejected", actor=UserFactory(role="staff"))

    project.refresh_from_db()
    assert (project.review, project.reviewed_by) == ("rejected", facilitator)
    assert AuditEvent.objects.filter(target="agency_project").count() == 1


def test_project_review_refuses_an_unknown_decision(participant, facilitator):
    project = AgencyProjectFactory(participant=participant)
    with pytest.raises(ValueError, match="unknown review decision 'pending'"):
        project_review(project=project, decision="pending", actor=facilitator)


# --- Selectors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, shared",
    [("planned", False), ("running", False), ("completed", True), ("cancelled", False)],
)
def test_projects_are_shared_only_once_the_workshop_is_completed(participant, status, shared):
    workshop = participant.workshop
    approved = AgencyProjectFactory(participant=participant, review="approved")
    AgencyProjectFactory(participant=participant, review="pending")
    AgencyProjectFactory(participant=participant, review="rejected")
    workshop.status = status
    workshop.save()

    assert projects_shared(workshop=workshop) == ([approved] if shared else [])


def test_projects_for_review_lists_waiting_then_approved_then_not_shared(participant):
    rejected = AgencyProjectFactory(participant=participant, review="rejected", organisation="A")
    approved = AgencyProjectFactory(participant=participant, review="approved", organisation="B")
    pending = AgencyProjectFactory(participant=participant, organisation="C")
    AgencyProjectFactory()  # another workshop's

    assert projects_for_review(workshop=participant.workshop) == [pending, approved, rejected]


# --- The form ---------------------------------------------------------------------------------


def test_form_refuses_a_contact_without_consent_and_says_why():
    form = AgencyProjectForm(form_data(contact_name="Pat Jones"))
    assert form.errors == {
        "contact_consent": [
            "You gave a contact but did not tick the box to share it. Tick it to share the "
            "contact, or clear the contact name and e-mail: a contact is kept only with consent."
        ]
    }


def test_form_refuses_consent_without_a_contact():
    form = AgencyProjectForm(form_data(contact_consent="on"))
    assert form.errors == {
        "contact_name": ["Give a contact name or e-mail to share, or untick the box below."]
    }


def test_form_consent_label_says_who_sees_the_contact():
    assert str(AgencyProjectForm().fields["contact_consent"].label) == (
        "Share this contact. Who sees it: this workshop's facilitators and staff, who review "
        "the entry; and, once it is approved and the workshop is completed, this workshop's "
        "participants, on the shared list and in its downloads."
    )


# --- The participant's pages ------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["draft", "collecting", "clustering", "voting", "closed"])
def test_projects_page_is_open_in_every_phase_with_the_organisation_filled_in(
    session, participant, phase
):
    session.phase = phase
    session.save()

    response = as_participant(participant).get(projects_url(session))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["organisation"].value() == "Office of Parks"
    assert uuid.UUID(form["idempotency_key"].value())
    html = response.content.decode()
    assert re.search(r'<input type="radio"[^>]* name="status" value="existing"', html)
    assert 'name="idempotency_key"' in html


def test_projects_page_makes_a_new_key_on_every_render(session, participant):
    client = as_participant(participant)
    keys = {
        client.get(projects_url(session)).context["form"]["idempotency_key"].value()
        for _ in range(2)
    }
    assert len(keys) == 2


@pytest.mark.parametrize("phase", ["draft", "collecting", "clustering", "voting", "closed"])
def test_session_page_links_to_the_projects_in_every_phase(session, participant, phase):
    session.phase = phase
    session.save()
    html = (
        as_participant(participant)
        .get(reverse("responses:session", args=[session.join_code]))
        .content.decode()
    )
    assert f'href="{projects_url(session)}"' in html


def test_submitting_the_form_twice_stores_one_entry(session, participant):
    client = as_participant(participant)

    first = client.post(
        projects_url(session), form_data(contact_name="Pat Jones", contact_consent="on")
    )
    second = client.post(
        projects_url(session), form_data(contact_name="Pat Jones", contact_consent="on")
    )

    assert (first.status_code, first["Location"]) == (302, projects_url(session))
    assert (second.status_code, second["Location"]) == (302, projects_url(session))
    assert list(
        AgencyProject.objects.values_list(
            "organisation", "platform", "status", "contact_name", "contact_consent", "review"
        )
    ) == [("Office of Parks", "YouTube", "existing", "Pat Jones", True, "pending")]
    assert messages_of(first) == [
        "Received: your project is stored. The facilitators review it before it is shared."
    ]


def test_a_contact_without_consent_is_refused_and_the_typed_text_kept(session, participant):
    response = as_participant(participant).post(
        projects_url(session),
        form_data(purpose="Trail videos & maps", contact_email="pat@example.org"),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "You gave a contact but did not tick the box to share it." in html
    assert "Trail videos &amp; maps</textarea>" in html
    assert 'value="pat@example.org"' in html
    assert re.search(r'<input type="radio"[^>]* name="status" value="existing"[^>]* checked>', html)
    assert AgencyProject.objects.count() == 0


def test_missing_fields_are_refused_with_status_400(session, participant):
    response = as_participant(participant).post(
        projects_url(session), form_data(platform="", status="")
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "platform": ["Name the tool or platform."],
        "status": ["Choose existing or planned."],
    }
    assert 'value="Office of Parks"' in response.content.decode()


def test_own_entries_show_their_review_and_withdraw_only_while_pending(session, participant):
    pending = AgencyProjectFactory(participant=participant, platform="Blog")
    approved = AgencyProjectFactory(participant=participant, platform="Wiki", review="approved")
    AgencyProjectFactory(
        participant=ParticipantFactory(workshop=session.workshop), platform="Flickr"
    )

    response = as_participant(participant).get(projects_url(session))

    assert response.context["projects"] == [approved, pending]
    html = response.content.decode()
    assert reverse("responses:project_withdraw", args=[session.join_code, pending.pk]) in html
    assert reverse("responses:project_withdraw", args=[session.join_code, approved.pk]) not in html
    assert "Flickr" not in html


def test_withdraw_view_removes_a_pending_entry_and_refuses_a_reviewed_one(session, participant):
    client = as_participant(participant)
    pending = AgencyProjectFactory(participant=participant)
    approved = AgencyProjectFactory(participant=participant, review="approved")

    done = client.post(reverse("responses:project_withdraw", args=[session.join_code, pending.pk]))
    refused = client.post(
        reverse("responses:project_withdraw", args=[session.join_code, approved.pk])
    )

    assert (done.status_code, done["Location"]) == (302, projects_url(session))
    assert messages_of(done) == ["Your entry is withdrawn."]
    # The first message is still waiting: no page was shown between the two posts.
    assert messages_of(refused) == [
        "Your entry is withdrawn.",
        "That entry has been reviewed and can no longer be withdrawn.",
    ]
    assert list(AgencyProject.objects.all()) == [approved]


def test_shared_page_says_when_the_list_will_be_shared(session, participant):
    AgencyProjectFactory(participant=participant, review="approved", platform="Wiki")

    response = as_participant(participant).get(shared_url(session))

    assert response.context["projects"] == []
    html = response.content.decode()
    assert "This list is shared once the workshop is completed" in html
    assert "Wiki" not in html


def test_shared_page_shows_approved_entries_with_consented_contacts_only(session, participant):
    complete(session.workshop)
    with_contact = AgencyProjectFactory(
        participant=participant, review="approved", organisation="A agency", contact=True
    )
    without = AgencyProjectFactory(
        participant=participant, review="approved", organisation="B agency"
    )
    AgencyProjectFactory(participant=participant, review="pending", platform="Pending tool")
    AgencyProjectFactory(participant=participant, review="rejected", platform="Rejected tool")
    AgencyProjectFactory(review="approved", platform="Other workshop tool")

    response = as_participant(participant).get(shared_url(session))

    assert response.context["projects"] == [with_contact, without]
    html = response.content.decode()
    assert 'Pat Jones, <a href="mailto:pat.jones@example.org">pat.jones@example.org</a>' in html
    assert html.count('class="col-sm-9 project-contact"') == 1
    for hidden in ("Pending tool", "Rejected tool", "Other workshop tool"):
        assert hidden not in html


def test_a_participant_of_another_workshop_is_sent_to_join(session):
    complete(session.workshop)
    AgencyProjectFactory(
        participant=ParticipantFactory(workshop=session.workshop), review="approved"
    )
    outsider = ParticipantFactory()  # another workshop, so their cookie is unknown here

    response = as_participant(outsider).get(shared_url(session))

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("responses:session", args=[session.join_code]),
    )


# --- Downloads --------------------------------------------------------------------------------


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_participant_download_is_the_shared_list_with_formulas_made_inert(session, participant):
    complete(session.workshop)
    for n, payload in enumerate(FORMULAS):
        AgencyProjectFactory(
            participant=participant, review="approved", organisation=f"{n} agency", platform=payload
        )
    AgencyProjectFactory(participant=participant, review="approved", organisation="Z", contact=True)
    AgencyProjectFactory(participant=participant, organisation="Pending")
    url = reverse("responses:projects_shared_download", args=[session.join_code, "csv"])

    response = as_participant(participant).get(url)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{session.workshop.reference}-agency-projects.csv"'
    )
    assert read_csv(response.content) == [
        ["Organisation", "Tool or platform", "Purpose", "Status", "Contact name", "Contact e-mail"],
        *[
            [f"{n} agency", "'" + payload, "Health alerts for the public.", "Existing", "", ""]
            for n, payload in enumerate(FORMULAS)
        ],
        [
            "Z",
            "Twitter",
            "Health alerts for the public.",
            "Existing",
            "Pat Jones",
            "pat.jones@example.org",
        ],
    ]


def test_participant_download_before_the_list_is_shared_holds_no_entry(session, participant):
    AgencyProjectFactory(participant=participant, review="approved")
    url = reverse("responses:projects_shared_download", args=[session.join_code, "csv"])

    rows = read_csv(as_participant(participant).get(url).content)

    assert rows == [
        ["Organisation", "Tool or platform", "Purpose", "Status", "Contact name", "Contact e-mail"]
    ]


def test_download_of_an_unknown_format_is_not_found(session, participant):
    url = reverse("responses:projects_shared_download", args=[session.join_code, "pdf"])
    assert as_participant(participant).get(url).status_code == 404


def test_facilitator_download_is_a_workbook_without_formula_cells(
    client, session, participant, facilitator
):
    from openpyxl import load_workbook

    for payload in FORMULAS:
        AgencyProjectFactory(participant=participant, review="approved", purpose=payload + "\x01")
    AgencyProjectFactory(participant=participant, purpose="=not approved")
    client.force_login(facilitator)
    url = reverse("facilitation:projects_download", args=[session.workshop.pk, "xlsx"])

    response = client.get(url)

    assert response["Content-Disposition"] == (
        f'attachment; filename="{session.workshop.reference}-agency-projects.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content))["agency_projects"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "'" + payload for payload in FORMULAS
    ]


def test_csv_and_xlsx_leave_out_a_contact_without_consent():
    # An unsaved row the database would refuse: the exports still never show its contact.
    project = AgencyProject(
        organisation="A", platform="B", purpose="C", status="existing", contact_name="Secret"
    )
    assert "Secret" not in projects_csv([project]).decode("utf-8-sig")
    assert b"Secret" not in projects_xlsx([project])


# --- The facilitator's review page ------------------------------------------------------------


def test_review_page_lists_entries_waiting_first_with_consented_contacts(
    client, session, participant, facilitator
):
    approved = AgencyProjectFactory(participant=participant, review="approved", organisation="A")
    pending = AgencyProjectFactory(participant=participant, organisation="B", contact=True)
    rejected = AgencyProjectFactory(participant=participant, review="rejected", organisation="C")
    client.force_login(facilitator)

    response = client.get(review_url(session.workshop))

    assert [(review, entries) for review, _, entries in response.context["groups"]] == [
        ("pending", [pending]),
        ("approved", [approved]),
        ("rejected", [rejected]),
    ]
    html = response.content.decode()
    assert html.count('class="col-sm-9 project-contact"') == 1
    assert html.count('name="decision" value="approved"') == 2  # pending and rejected
    assert html.count('name="decision" value="rejected"') == 2  # pending and approved


def test_review_post_approves_and_redirects_back_with_a_message(
    client, session, participant, facilitator
):
    project = AgencyProjectFactory(participant=participant, organisation="Office of Parks")
    client.force_login(facilitator)

    response = client.post(
        review_url(session.workshop), {"project": project.pk, "decision": "approved"}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        review_url(session.workshop) + f"#project-{project.pk}",
    )
    assert messages_of(response) == ["Approved: Office of Parks, Twitter."]
    project.refresh_from_db()
    assert (project.review, project.reviewed_by) == ("approved", facilitator)


def test_review_post_for_another_workshops_entry_is_not_found(client, session, facilitator):
    elsewhere = AgencyProjectFactory()
    client.force_login(facilitator)

    response = client.post(
        review_url(session.workshop), {"project": elsewhere.pk, "decision": "approved"}
    )

    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.review == "pending"


def test_review_page_of_another_workshop_is_not_found(client, session, other_facilitator):
    project = AgencyProjectFactory(participant=ParticipantFactory(workshop=session.workshop))
    client.force_login(other_facilitator)

    assert client.get(review_url(session.workshop)).status_code == 404
    response = client.post(
        review_url(session.workshop), {"project": project.pk, "decision": "approved"}
    )
    assert response.status_code == 404
    project.refresh_from_db()
    assert project.review == "pending"


def test_staff_may_review_any_workshop(client, session, participant, staff_user):
    project = AgencyProjectFactory(participant=participant)
    client.force_login(staff_user)
    client.post(review_url(session.workshop), {"project": project.pk, "decision": "rejected"})
    project.refresh_from_db()
    assert (project.review, project.reviewed_by) == ("rejected", staff_user)


def test_workshop_page_links_to_the_review_with_the_waiting_count(
    client, session, participant, facilitator
):
    AgencyProjectFactory.create_batch(2, participant=participant)
    AgencyProjectFactory(participant=participant, review="approved")
    client.force_login(facilitator)

    html = client.get(session.workshop.get_absolute_url()).content.decode()

    assert f'href="{review_url(session.workshop)}"' in html
    assert "2 waiting for review" in html


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_review_page_query_count_is_fixed(
    client, session, participant, facilitator, django_assert_num_queries, count
):
    for _ in range(count):
        AgencyProjectFactory(participant=participant, review="approved", contact=True)
        AgencyProjectFactory(participant=participant)
        project = AgencyProjectFactory(participant=participant)
        project_review(project=project, decision="rejected", actor=facilitator)
    client.force_login(facilitator)
    # session, user, groups, workshop, entries with their reviewers
    with django_assert_num_queries(5):
        response = client.get(review_url(session.workshop))
    assert [len(entries) for _, _, entries in response.context["groups"]] == [count] * 3


@pytest.mark.parametrize("count", [1, 3])
def test_shared_page_query_count_is_fixed(session, participant, django_assert_num_queries, count):
    complete(session.workshop)
    AgencyProjectFactory.create_batch(
        count, participant=participant, review="approved", contact=True
    )
    client = as_participant(participant)
    # session with its workshop and the participant (one query), approved entries
    with django_assert_num_queries(2):
        response = client.get(shared_url(session))
    assert len(response.context["projects"]) == count


# --- Privacy ----------------------------------------------------------------------------------


def test_participant_data_includes_their_projects_and_the_review_of_them(participant, facilitator):
    project = AgencyProjectFactory(participant=participant, contact=True, status="planned")
    project_review(project=project, decision="approved", actor=facilitator)
    AgencyProjectFactory(participant=ParticipantFactory(workshop=participant.workshop))

    data = participant_data(participant=participant)

    assert [
        {k: v for k, v in p.items() if k not in ("contact_consent_at", "created_at")}
        for p in data["agency_projects"]
    ] == [
        {
            "organisation": "Department of Health",
            "platform": "Twitter",
            "purpose": "Health alerts for the public.",
            "status": "planned",
            "contact_name": "Pat Jones",
            "contact_email": "pat.jones@example.org",
            "contact_consent": True,
            "review": "approved",
        }
    ]
    assert data["agency_projects"][0]["contact_consent_at"] is not None
    assert [(e["action"], e["record"], e["by"]) for e in data["history"]] == [
        ("changed", "agency_project", "staff")
    ]


def test_erasing_a_participant_blanks_the_contacts_of_their_projects(participant, staff_user):
    mine = AgencyProjectFactory(participant=participant, contact=True, review="approved")
    theirs = AgencyProjectFactory(
        participant=ParticipantFactory(workshop=participant.workshop), contact=True
    )

    participant_erase(participant=participant, actor=staff_user)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (
        mine.contact_name,
        mine.contact_email,
        mine.contact_consent,
        mine.contact_consent_at,
        mine.organisation,
        mine.review,
    ) == ("", "", False, None, "Department of Health", "approved")
    assert (theirs.contact_name, theirs.contact_consent) == ("Pat Jones", True)
