import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import ReportNarrative
from tests.factories import DotFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

SECTIONS = {
    "abstract": "",
    "introduction": "",
    "project_overview": "",
    "project_design": "",
    "workshops_framing": "",
    "concluding_remarks": "",
    "appendix_c": "",
}


def test_preview_renders_sanitised_markdown_without_saving(client, staff_user, phase):
    client.force_login(staff_user)
    data = {
        **SECTIONS,
        "abstract": "Hello **world** <script>alert(1)</script> [x](javascript:alert(1))",
    }
    response = client.post(
        reverse("reports:narrative", args=[phase.slug]), {**data, "preview": "1"}
    )
    title, html = response.context["preview"][0]
    assert title == "Abstract"
    assert "<strong>world</strong>" in html
    assert "<script>" not in html and "javascript:" not in html
    assert ReportNarrative.objects.get(phase=phase).abstract == "An **exploratory** study."


def test_saving_the_narrative_records_who_and_shows_it_in_the_report(client, staff_user, phase):
    client.force_login(staff_user)
    data = {**SECTIONS, "introduction": "Why we **met**."}
    response = client.post(reverse("reports:narrative", args=[phase.slug]), data)
    assert response["Location"] == reverse("reports:report", args=[phase.slug])
    narrative = ReportNarrative.objects.get(phase=phase)
    assert (narrative.introduction, narrative.updated_by) == ("Why we **met**.", staff_user)
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    assert "<p>Why we <strong>met</strong>.</p>" in page


def test_every_count_in_the_report_links_to_the_records_behind_it(client, staff_user, phase):
    client.force_login(staff_user)
    page = client.get(reverse("reports:report", args=[phase.slug])).content.decode()
    security = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Security")
    )
    assert reverse("reports:trace_category", args=[phase.slug, security.pk]) + "#dots" in page
    state = phase.workshops.get(kind="state")
    assert reverse("reports:trace_workshop", args=[phase.slug, state.pk]) in page


def test_trace_shows_the_statements_and_dots_with_names_only_by_consent(client, staff_user, phase):
    category = (
        phase.workshops.get(kind="state")
        .sessions.get(purpose="concerns")
        .categories.get(name="Perception")
    )
    named = ParticipantFactory(
        workshop=category.session.workshop,
        name="Pat Named",
        consent_to_be_named=True,
        consent_recorded_at=timezone.now(),
    )
    secret = ParticipantFactory(workshop=category.session.workshop, name="Sam Secret")
    DotFactory(category=category, participant=named)
    DotFactory(category=category, participant=secret)
    client.force_login(staff_user)
    response = client.get(reverse("reports:trace_category", args=[phase.slug, category.pk]))
    assert response.context["dot_total"] == 3
    content = response.content.decode()
    assert "Pat Named" in content
    assert "Sam Secret" not in content
    assert f"Participant {secret.reference}" in content


def test_trace_of_another_phases_category_is_not_found(client, staff_user, phase):
    from tests.factories import CategoryFactory

    client.force_login(staff_user)
    assert (
        client.get(
            reverse("reports:trace_category", args=[phase.slug, CategoryFactory().pk])
        ).status_code
        == 404
    )
