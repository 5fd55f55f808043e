"""factory_boy factories for every model; tests build exactly the records they need."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from responses.models import (
    AgencyProject,
    Category,
    Dot,
    Participant,
    Statement,
    SuggestionDismissal,
)
from sessions.models import NoteRevision, PlenarySession, ProjectPhase, Workshop
from sessions.roles import user_grant_role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        if not create:
            return
        self.save()  # stores the password set above
        if extracted:
            user_grant_role(user=self, role=extracted)


class ProjectPhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectPhase

    title = factory.Sequence(lambda n: f"Exploratory Project — Phase {n}")
    slug = factory.Sequence(lambda n: f"phase-{n}")
    starts_on = dt.date(2009, 7, 1)
    ends_on = dt.date(2009, 10, 31)


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop
        skip_postgeneration_save = True

    phase = factory.SubFactory(ProjectPhaseFactory)
    title = factory.Sequence(lambda n: f"State agency workshop {n}")
    kind = Workshop.Kind.STATE
    date = dt.date(2009, 9, 17)
    start_time = dt.time(8, 30)
    end_time = dt.time(10, 30)
    venue = "Center for Technology in Government, Albany, NY"

    @factory.post_generation
    def facilitators(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            self.facilitators.add(*extracted)


class PlenarySessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlenarySession

    workshop = factory.SubFactory(WorkshopFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Session {n + 1}")
    prompt = "What value can your agency gain from using social media tools?"
    purpose = PlenarySession.Purpose.VALUES


class NoteRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NoteRevision

    session = factory.SubFactory(PlenarySessionFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "Discussed the gaps in the current literature."


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    workshop = factory.SubFactory(WorkshopFactory)
    organisation = "Department of Health"
    level_of_government = Participant.Level.STATE


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    session = factory.SubFactory(PlenarySessionFactory)
    reference_number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Category {n + 1}")
    description = "What the statements in this category have in common."


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    session = factory.SubFactory(PlenarySessionFactory)
    text = factory.Sequence(lambda n: f"Reach residents where they already are ({n}).")
    source = Statement.Source.ONLINE


class SuggestionDismissalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuggestionDismissal

    session = factory.SubFactory(PlenarySessionFactory)
    kind = SuggestionDismissal.Kind.DUPLICATE
    signature = factory.Sequence(lambda n: f"{n + 1}-{n + 2}")


class DotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dot

    category = factory.SubFactory(CategoryFactory)
    session = factory.SelfAttribute("category.session")
    participant = factory.SubFactory(
        ParticipantFactory, workshop=factory.SelfAttribute("..session.workshop")
    )
    count = 1


def consenting_participant(**kwargs) -> Participant:
    return ParticipantFactory(
        consent_to_be_named=True, consent_recorded_at=timezone.now(), **kwargs
    )


class AgencyProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyProject

    participant = factory.SubFactory(ParticipantFactory)
    workshop = factory.SelfAttribute("participant.workshop")
    organisation = "Department of Health"
    platform = "Twitter"
    purpose = "Health alerts for the public."
    status = AgencyProject.Status.EXISTING

    class Params:
        # AgencyProjectFactory(contact=True): a named contact, consented to.
        contact = factory.Trait(
            contact_name="Pat Jones",
            contact_email="pat.jones@example.org",
            contact_consent=True,
            contact_consent_at=factory.LazyFunction(timezone.now),
        )
