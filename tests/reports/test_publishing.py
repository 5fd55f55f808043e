"""Publishing a phase's report: what readers see, the life of a link, caching, and who may act."""

import io
import zipfile

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from reports.exports import ExportUnavailable
from reports.models import Notification, Publication, ReportNarrative
from reports.publishing import publication_live, report_publish, report_withdraw
from tests.factories import (
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    StatementFactory,
    UserFactory,
    WorkshopFactory,
)
from tests.reports.test_consent import readable
from tests.reports.test_exports import needs_pdf

pytestmark = pytest.mark.django_db

# Distinctive, so a leak cannot hide behind a common word.
SECRET_NAME = "Philippa Wrenfeather-Oakes"
SECRET_ORGANISATION = "Bureau of Wrenfeather Affairs"
SECRET_EMAIL = "philippa.wrenfeather@example.org"


def url(name: str, publication: Publication) -> str:
    return reverse(f"published:{name}", args=[publication.token])


def stored(phase, **fields) -> Publication:
    """A publication stored directly, for tests about reading rather than rendering."""
    return Publication.objects.create(
        phase=phase, title=phase.title, body_html="<p>Body</p>", etag="e" * 64, **fields
    )


def docx_text(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()


# --- What readers see -----------------------------------------------------------------------------


def test_published_page_shows_the_narrative_tables_charts_and_appendices(client, phase, staff_user):
    publication = report_publish(phase=phase, visibility="unlisted", user=staff_user)

    response = client.get(url("report", publication))

    assert response.status_code == 200
    html = response.content.decode()
    assertInHTML("<h1>Exploratory Social Media Project — Phase I</h1>", html)
    assertInHTML('<p class="lead">Benefits and concerns</p>', html)
    assertInHTML("<strong>exploratory</strong>", html)
    assertInHTML(
        '<tr><td>1</td><td>3</td><th scope="row">Resources</th><td class="num">5</td>'
        '<td>About Resources</td><td class="num">1</td></tr>',
        html,
    )
    assertInHTML(
        '<tr><td>1</td><td>2</td><th scope="row">Security</th><td class="num">6</td></tr>', html
    )
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assertInHTML("<li>Cheaper than print (E)</li>", html)
    assertInHTML("<li>Hacked accounts</li>", html)
    assert f'href="{url("pdf", publication)}"' in html or publication.pdf is None
    assert f'href="{url("docx", publication)}"' in html


def test_published_page_has_no_hidden_statement_and_no_staff_links(client, phase, staff_user):
    client.force_login(staff_user)
    staff_page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    publication = report_publish(phase=phase, visibility="public", user=staff_user)
    client.logout()

    html = client.get(url("report", publication)).content.decode()

    assert 'href="/reports/esmp/trace/' in staff_page  # the staff page links its counts
    assert "/reports/" not in html
    assert "Rude card" not in html
    assert "Rude card" not in docx_text(bytes(publication.docx))
    assertInHTML("<li>Share across units</li>", html)


@pytest.fixture
def secret_participant(phase):
    """A participant of the state workshop who did not consent to be named, with a dot and a
    statement, and a name, organisation, role and e-mail that must never be published."""
    security = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Security")
    )
    participant = ParticipantFactory(
        workshop=security.session.workshop,
        name=SECRET_NAME,
        organisation=SECRET_ORGANISATION,
        role="Chief Wren Officer",
        email=SECRET_EMAIL,
    )
    DotFactory(category=security, participant=participant)
    StatementFactory(
        session=security.session, category=security, participant=participant, text="Phishing"
    )
    return participant


def assert_not_named(text: str) -> None:
    for secret in (SECRET_NAME, "Wrenfeather", SECRET_EMAIL, "Chief Wren Officer"):
        assert secret not in text, secret


def test_a_name_without_consent_is_in_no_published_part(
    client, phase, staff_user, secret_participant
):
    publication = report_publish(phase=phase, visibility="public", user=staff_user)

    html = client.get(url("report", publication)).content.decode()
    docx = client.get(url("docx", publication)).content

    assert_not_named(html)
    assert_not_named(publication.body_html)
    assert_not_named(readable("docx", docx))
    assertInHTML("<li>Phishing</li>", html)  # what they wrote is quoted, without their name
    assert "Phishing" in docx_text(docx)


@needs_pdf
def test_a_name_without_consent_is_not_in_the_published_pdf(
    client, phase, staff_user, secret_participant
):
    publication = report_publish(phase=phase, visibility="public", user=staff_user)

    response = client.get(url("pdf", publication))

    assert response.content.startswith(b"%PDF")
    text = readable("pdf", response.content)
    assert_not_named(text)
    assert "Phishing" in text


def test_small_group_suppression_is_applied(client, phase, staff_user):
    # The state workshop has 16 participants on record (4 joined, 12 voted); the local one
    # reported 31.
    ReportNarrative.objects.filter(phase=phase).update(suppress_below=20)

    publication = report_publish(phase=phase, visibility="public", user=staff_user)

    html = client.get(url("report", publication)).content.decode()
    docx = docx_text(client.get(url("docx", publication)).content)
    for statement in ("Cheaper than print", "Less travel", "Staff time", "Hacked accounts"):
        assert statement not in html, statement
        assert statement not in docx, statement
    assertInHTML(
        '<tr><td>withheld</td><td>3</td><th scope="row">Resources</th>'
        '<td class="num">withheld</td><td>About Resources</td><td class="num">withheld</td></tr>',
        html,
    )
    assertInHTML("<dd>fewer than 20 people</dd>", html)
    assertInHTML(
        '<tr><td>1</td><td>withheld</td><th scope="row">Security</th><td class="num">6</td></tr>',
        html,
    )


def test_without_pdf_support_the_page_offers_word_only(client, phase, staff_user, monkeypatch):
    def unavailable(report):
        raise ExportUnavailable("no Pango here")

    monkeypatch.setattr("reports.publishing.export_pdf", unavailable)

    publication = report_publish(phase=phase, visibility="public", user=staff_user)

    html = client.get(url("report", publication)).content.decode()
    assert publication.pdf is None
    assert url("pdf", publication) not in html
    assert f'href="{url("docx", publication)}"' in html
    assert client.get(url("pdf", publication)).status_code == 404
    assert client.get(url("docx", publication)).status_code == 200


def test_downloads_are_attachments_named_after_the_phase(client, phase, staff_user, monkeypatch):
    monkeypatch.setattr("reports.publishing.export_pdf", lambda report: b"%PDF-1.7 test")
    publication = report_publish(phase=phase, visibility="unlisted", user=staff_user)

    pdf = client.get(url("pdf", publication))
    docx = client.get(url("docx", publication))

    assert pdf["Content-Disposition"] == 'attachment; filename="esmp-summary-report.pdf"'
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 test"
    assert docx["Content-Disposition"] == 'attachment; filename="esmp-summary-report.docx"'
    assert docx.content == bytes(Publication.objects.get().docx)
    assert docx["X-Robots-Tag"] == "noindex"


def test_the_page_is_the_same_for_every_visitor(client, phase, staff_user):
    publication = stored(phase)
    anonymous = client.get(url("report", publication))
    client.force_login(staff_user)

    signed_in = client.get(url("report", publication))

    assert signed_in.content == anonymous.content
    assert "Signed in" not in signed_in.content.decode()
    assert "csrfmiddlewaretoken" not in signed_in.content.decode()
    assert "Cookie" not in signed_in.get("Vary", "")
    assert not signed_in.cookies


# --- The life of a link ---------------------------------------------------------------------------


def test_withdrawing_ends_the_page_and_its_files_at_once(client, phase, staff_user):
    publication = report_publish(phase=phase, visibility="public", user=staff_user)
    assert [client.get(url(name, publication)).status_code for name in ("report", "docx")] == [
        200,
        200,
    ]

    withdrawn = report_withdraw(publication=publication, user=staff_user)

    for name in ("report", "pdf", "docx"):
        response = client.get(url(name, publication))
        assert response.status_code == 404, name
        assert "404.html" in [template.name for template in response.templates], name
    assert withdrawn.withdrawn_by == staff_user
    assert publication_live(token=publication.token) is None
    assert publication.title not in client.get(reverse("published:index")).content.decode()


def test_an_unknown_link_is_not_found(client, db):
    response = client.get(reverse("published:report", args=["x" * 43]))
    assert response.status_code == 404


def test_publishing_again_keeps_the_link_and_replaces_the_snapshot(client, phase, staff_user):
    first = report_publish(phase=phase, visibility="unlisted", user=staff_user)
    ReportNarrative.objects.filter(phase=phase).update(concluding_remarks="Phase III is next.")
    other = UserFactory(username="other-staff", role="staff")

    second = report_publish(phase=phase, visibility="public", user=other)

    html = client.get(url("report", first)).content.decode()
    assert (second.pk, second.token) == (first.pk, first.token)
    assert Publication.objects.count() == 1
    assert (second.visibility, second.published_by) == ("public", other)
    assert second.etag != first.etag
    assert "Phase III is next." in html
    assert "Phase II will centre on the concerns." not in html


def test_publishing_after_a_withdrawal_brings_the_report_back_at_its_link(
    client, phase, staff_user
):
    first = report_publish(phase=phase, visibility="unlisted", user=staff_user)
    report_withdraw(publication=first, user=staff_user)
    assert client.get(url("report", first)).status_code == 404

    again = report_publish(phase=phase, visibility="public", user=staff_user)

    assert (again.pk, again.token, again.withdrawn_at) == (first.pk, first.token, None)
    assert client.get(url("report", first)).status_code == 200


def test_publishing_after_a_withdrawal_with_a_new_link_keeps_the_old_one_closed(
    client, phase, staff_user
):
    first = report_publish(phase=phase, visibility="unlisted", user=staff_user)
    report_withdraw(publication=first, user=staff_user)

    second = report_publish(phase=phase, visibility="unlisted", user=staff_user, new_link=True)

    assert second.pk != first.pk
    assert second.token != first.token
    assert len(second.token) == 43
    assert client.get(url("report", first)).status_code == 404
    assert client.get(url("report", second)).status_code == 200


def test_publishing_queues_the_notifications_in_the_same_transaction(
    phase, staff_user, monkeypatch
):
    def failing(*, publication):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr("reports.publishing.publication_notify", failing)

    with pytest.raises(RuntimeError):
        report_publish(phase=phase, visibility="public", user=staff_user)

    assert Publication.objects.count() == 0


def test_publishing_notifies_participants_who_agreed_to_be_contacted(phase, staff_user):
    workshop = phase.workshops.get(kind="state")
    contact = ParticipantFactory(
        workshop=workshop,
        email="reader@example.org",
        consent_to_contact=True,
        contact_consent_at=timezone.now(),
    )
    ParticipantFactory(workshop=workshop, email="silent@example.org")

    publication = report_publish(phase=phase, visibility="unlisted", user=staff_user)

    assert list(
        Notification.objects.filter(publication=publication).values_list("participant", flat=True)
    ) == [contact.pk]


def test_an_unknown_visibility_is_refused(phase, staff_user):
    with pytest.raises(ValueError, match="visibility"):
        report_publish(phase=phase, visibility="secret", user=staff_user)
    assert Publication.objects.count() == 0


# --- The public list ------------------------------------------------------------------------------


def test_the_list_shows_live_public_reports_only(client, db):
    public = stored(ProjectPhaseFactory(title="Phase One"), visibility="public")
    stored(ProjectPhaseFactory(title="Phase Two"), visibility="unlisted")
    stored(
        ProjectPhaseFactory(title="Phase Three"),
        visibility="public",
        withdrawn_at=timezone.now(),
    )

    response = client.get(reverse("published:index"))

    html = response.content.decode()
    assert html.count('<th scope="row"><a href="/published/') == 1
    assertInHTML(f'<a href="{url("report", public)}">Phase One</a>', html)
    assert "Phase Two" not in html
    assert "Phase Three" not in html


def test_the_list_says_when_nothing_is_published(client, db):
    response = client.get(reverse("published:index"))
    assertInHTML("<p>No report is published for everyone yet.</p>", response.content.decode())


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_query_count_is_fixed(client, django_assert_num_queries, count):
    for _ in range(count):
        stored(ProjectPhaseFactory(), visibility="public")
    with django_assert_num_queries(1):
        response = client.get(reverse("published:index"))
    assert response.content.decode().count('<th scope="row"><a href="/published/') == count


# --- Caching --------------------------------------------------------------------------------------


def test_the_page_is_cached_but_always_revalidated(client, phase, staff_user):
    publication = report_publish(phase=phase, visibility="unlisted", user=staff_user)

    response = client.get(url("report", publication))
    again = client.get(url("report", publication), HTTP_IF_NONE_MATCH=response["ETag"])

    assert response["Cache-Control"] == "public, no-cache"
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 66
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == response["ETag"]
    assert again["Cache-Control"] == "public, no-cache"

    report_publish(phase=phase, visibility="unlisted", user=staff_user)
    changed = client.get(url("report", publication), HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != response["ETag"]


def test_a_withdrawn_page_is_not_found_even_for_a_cached_copy(client, phase, staff_user):
    publication = stored(phase)
    etag = client.get(url("report", publication))["ETag"]
    report_withdraw(publication=publication, user=staff_user)

    response = client.get(url("report", publication), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 404


def test_downloads_answer_304_to_a_current_copy(client, phase):
    publication = stored(phase, docx=b"PK docx")
    response = client.get(url("docx", publication))

    again = client.get(url("docx", publication), HTTP_IF_NONE_MATCH=response["ETag"])

    assert again.status_code == 304
    assert again["Cache-Control"] == "public, no-cache"


@pytest.mark.parametrize(
    ("visibility", "robots"),
    [("unlisted", "noindex"), ("public", None)],
    ids=["unlisted", "public"],
)
def test_unlisted_pages_ask_search_engines_not_to_index_them(client, phase, visibility, robots):
    publication = stored(phase, visibility=visibility)

    response = client.get(url("report", publication))

    assert response.get("X-Robots-Tag") == robots
    meta = '<meta name="robots" content="noindex">' in response.content.decode()
    assert meta is (robots is not None)


@pytest.mark.parametrize("workshops", [1, 3])
def test_the_page_costs_one_query(client, django_assert_num_queries, staff_user, workshops):
    phase = ProjectPhaseFactory()
    for _ in range(workshops):
        WorkshopFactory(phase=phase)
    publication = report_publish(phase=phase, visibility="public", user=staff_user)

    with django_assert_num_queries(1):
        response = client.get(url("report", publication))
    with django_assert_num_queries(1):
        client.get(url("docx", publication))

    assert response.status_code == 200


# --- Staff: publish and withdraw from the report page ---------------------------------------------


def test_the_report_page_says_it_is_not_published(client, phase, staff_user):
    client.force_login(staff_user)
    html = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    assert "Not published." in html
    assertInHTML('<button type="submit" class="btn btn-dark">Publish</button>', html)
    assert reverse("reports:withdraw", args=[phase.slug]) not in html


def test_staff_publish_from_the_report_page(client, phase):
    sam = UserFactory(username="sam", role="staff", first_name="Sam", last_name="Analyst")
    client.force_login(sam)

    response = client.post(
        reverse("reports:publish", args=[phase.slug]), {"visibility": "unlisted"}, follow=True
    )

    publication = Publication.objects.get()
    html = response.content.decode()
    assert response.redirect_chain == [("/reports/esmp/", 302)]
    assert (publication.visibility, publication.published_by) == ("unlisted", sam)
    assert "The report is published. Only people with the link can read it." in html
    assertInHTML(
        '<input class="form-control" type="url" id="publication-link" '
        f'value="http://testserver/published/{publication.token}/" readonly>',
        html,
    )
    assertInHTML("<dt>By</dt>", html)
    assertInHTML("<dd>Sam Analyst</dd>", html)
    assertInHTML('<button type="submit" class="btn btn-dark">Publish again</button>', html)


def test_the_publish_panel_and_its_confirmation_count_who_is_e_mailed(client, phase):
    client.force_login(UserFactory(role="staff"))
    ParticipantFactory(
        workshop=phase.workshops.get(kind="state"),
        email="reader@example.org",
        consent_to_contact=True,
        contact_consent_at=timezone.now(),
    )
    report_url = reverse("reports:report", args=[phase.slug])
    before = client.get(report_url).content.decode()

    first = client.post(
        reverse("reports:publish", args=[phase.slug]), {"visibility": "unlisted"}, follow=True
    ).content.decode()
    again = client.post(
        reverse("reports:publish", args=[phase.slug]), {"visibility": "unlisted"}, follow=True
    ).content.decode()

    assert "Publishing e-mails the link to 1 participant who asked to be told" in before
    assert "1 participant who asked to be told is being e-mailed the link." in first
    assert "were e-mailed before; nobody is e-mailed again." in again


def test_an_invalid_visibility_publishes_nothing(client, phase, staff_user):
    client.force_login(staff_user)

    response = client.post(
        reverse("reports:publish", args=[phase.slug]), {"visibility": "everyone"}, follow=True
    )

    assert Publication.objects.count() == 0
    assert "Choose who can find the published report." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [(None, 302), ("facilitator", 403)], ids=["anonymous", "facilitator"]
)
def test_only_staff_publish_and_withdraw(client, phase, role, status):
    live = stored(phase)
    if role:
        client.force_login(UserFactory(username="someone", role=role))

    publish = client.post(reverse("reports:publish", args=[phase.slug]), {"visibility": "public"})
    withdraw = client.post(reverse("reports:withdraw", args=[phase.slug]), {"publication": live.pk})

    assert (publish.status_code, withdraw.status_code) == (status, status)
    assert list(Publication.objects.values_list("visibility", "withdrawn_at")) == [
        ("unlisted", None)
    ]


def test_staff_withdraw_after_confirming(client, phase, staff_user):
    live = stored(phase)
    client.force_login(staff_user)
    withdraw_url = reverse("reports:withdraw", args=[phase.slug])

    confirm = client.get(withdraw_url).content.decode()
    response = client.post(withdraw_url, {"publication": live.pk}, follow=True)

    assertInHTML(
        f'<input type="hidden" name="publication" value="{live.pk}" id="id_publication">', confirm
    )
    assertInHTML(
        '<button type="submit" class="btn btn-danger">Withdraw the report</button>', confirm
    )
    live.refresh_from_db()
    assert live.withdrawn_by == staff_user
    assert "The report is withdrawn: its link now answers “not found”." in (
        response.content.decode()
    )
    assert "Not published." in response.content.decode()


def test_a_stale_confirmation_does_not_withdraw_a_newer_publication(client, phase, staff_user):
    old = stored(phase, withdrawn_at=timezone.now())
    new = stored(phase, token="n" * 43)
    client.force_login(staff_user)

    response = client.post(
        reverse("reports:withdraw", args=[phase.slug]), {"publication": old.pk}, follow=True
    )

    new.refresh_from_db()
    assert new.withdrawn_at is None
    assert "That publication was already withdrawn." in response.content.decode()


def test_the_withdraw_page_without_a_publication_goes_back(client, phase, staff_user):
    client.force_login(staff_user)

    response = client.get(reverse("reports:withdraw", args=[phase.slug]), follow=True)

    assert response.redirect_chain == [("/reports/esmp/", 302)]
    assert "The report is not published." in response.content.decode()


def test_participants_of_a_closed_session_find_the_published_report(client, db):
    session = PlenarySessionFactory(phase="closed")
    participant = ParticipantFactory(workshop=session.workshop)
    publication = Publication.objects.create(
        phase=session.workshop.phase, title="R", body_html="<p>R</p>", etag="e"
    )
    page_url = reverse("responses:session", args=[session.join_code])
    link = reverse("published:report", args=[publication.token])

    stranger = client.get(page_url).content.decode()
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = participant.token
    taking_part = client.get(page_url).content.decode()

    assert link not in stranger  # unlisted: only for the people who were there
    assert link in taking_part
    Publication.objects.filter(pk=publication.pk).update(visibility="public")
    client.cookies.pop(settings.PARTICIPANT_COOKIE_NAME)
    assert link in client.get(page_url).content.decode()
